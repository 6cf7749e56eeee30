import { readFile } from 'node:fs/promises';

export interface MountInfoEntry {
  readonly mountPoint: string;
  readonly fsType: string;
  readonly source: string;
}

// The kernel escapes space, tab, newline and backslash as three octal digits.
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses the text of /proc/<pid>/mountinfo (proc(5)). */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (separator < 0 || fields.length < separator + 3) continue;
    entries.push({
      mountPoint: unescape(fields[4]!),
      fsType: fields[separator + 1]!,
      source: unescape(fields[separator + 2]!),
    });
  }
  return entries;
}

export async function readMountInfo(): Promise<MountInfoEntry[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Mounts at `dir` or anywhere below it, deepest first (the order to unmount them in). */
export function mountsUnder(entries: readonly MountInfoEntry[], dir: string): MountInfoEntry[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return entries
    .filter((e) => e.mountPoint === dir || e.mountPoint.startsWith(prefix))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length);
}
