import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mountsUnder as entriesUnder, parseMountInfo } from '../../src/plugin/server/mountinfo.js';

/** Mount points at or below `root`, deepest first (the order to unmount them in). */
export function mountsUnder(root: string): string[] {
  return entriesUnder(parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')), root).map((e) => e.mountPoint);
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
