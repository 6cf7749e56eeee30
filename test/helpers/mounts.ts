import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Decodes the octal escapes mountinfo uses for spaces and other bytes. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or below `root`, deepest first (the order to unmount them in). */
export function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => unescape(l.split(' ')[4]!))
    .filter((p) => p === root || p.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

export function isMountpoint(p: string): boolean {
  return mountsUnder(p).includes(p);
}

/** Lazily unmounts everything below `root`; for test teardown, so it never throws. */
export function unmountAllUnder(root: string): void {
  for (const p of mountsUnder(root)) {
    try {
      execFileSync('umount', ['-l', p], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
}
