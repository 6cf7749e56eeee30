import type { LogFields, Logger } from '../core/ports.js';
import { showValue } from '../spec/display.js';

export type LogLevel = 'INFO' | 'WARN' | 'ERROR';

const PLAIN = /^[\w./@+:-]{1,128}$/;
/** Enough for an error text or a path; a 100 KB task value is cut. */
const FIELD_CHARACTERS = 400;
const MESSAGE_CHARACTERS = 4000;
/** Anything a reader cannot see, or that could start a new line or reorder text (U+202E, U+2028…). */
const UNSAFE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu;

/** `key=value` pairs; a value that could be misread is quoted, escaped and cut. */
export function formatFields(fields: LogFields = {}): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => {
      const s = String(v);
      return `${k}=${PLAIN.test(s) ? s : showValue(s, FIELD_CHARACTERS)}`;
    })
    .join(' ');
}

/** One line, whatever the message holds: invisible and separator characters are escaped. */
export function formatLine(message: string, fields?: LogFields): string {
  const escaped = message.replace(UNSAFE, (ch) => `\\u{${ch.codePointAt(0)!.toString(16).toUpperCase()}}`);
  const safe = escaped.length > MESSAGE_CHARACTERS ? `${escaped.slice(0, MESSAGE_CHARACTERS)}… (cut)` : escaped;
  const tail = formatFields(fields);
  return tail ? `${safe} ${tail}` : safe;
}

/** A logger that hands each finished line to a sink (stderr, the agent's log, a test array). */
export class LineLogger implements Logger {
  constructor(private readonly sink: (level: LogLevel, line: string) => void) {}

  info(message: string, fields?: LogFields): void {
    this.sink('INFO', formatLine(message, fields));
  }

  warn(message: string, fields?: LogFields): void {
    this.sink('WARN', formatLine(message, fields));
  }

  error(message: string, fields?: LogFields): void {
    this.sink('ERROR', formatLine(message, fields));
  }
}
