const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@+:-]*$/;
const MAX_NAME_BYTES = 255;

/**
 * Why `name` cannot be a volume or plugin name, or undefined when it can.
 * Names become single path components, so the allow-list never admits `/`,
 * NUL, or a leading `.` (which also keeps `..` and our own dot-prefixed work
 * directories out of reach).
 */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'a name is required';
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) return `name is longer than ${MAX_NAME_BYTES} bytes`;
  if (!NAME_PATTERN.test(name)) {
    return `invalid name ${JSON.stringify(name)}: must match ${NAME_PATTERN.source}`;
  }
  return undefined;
}
