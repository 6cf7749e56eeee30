/**
 * A plain Debian 12 system in a directory, made by mmdebstrap from Debian's
 * own archive, and commands run in it: chrooted, with /proc, /dev and /sys
 * mounted in a mount namespace of their own (private), so nothing shows on
 * the host and nothing stays mounted once they end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { exited } from './process.js';
import { mountsUnder, unmountAllUnder } from './mounts.js';

const SOURCES = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

/** Mounts what programs expect, then runs "$@" chrooted in "$0". */
const ENTER = 'mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && mount --rbind /sys "$0/sys" && exec chroot "$0" "$@"';
/** A root login's environment, none of this process's (its Node options, its certificate paths). */
const ENV = ['env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', 'DEBIAN_FRONTEND=noninteractive'];

export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function collect(child: ChildProcess): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const { code } = await exited(child);
  return { status: code, stdout, stderr };
}

/** The essential packages and apt (mmdebstrap's `apt` variant): the least a Debian 12 host has. */
export async function makeDebianRoot(dir: string): Promise<Ran> {
  return collect(spawn('mmdebstrap', ['--variant=apt', '--quiet', 'bookworm', dir, ...SOURCES], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Starts `args` in the root `dir`; stdin is /dev/null, as for an unattended apt-get. */
export function startInRoot(dir: string, args: readonly string[]): ChildProcess {
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', ENTER, dir, ...ENV, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  void exited(child).catch(() => undefined);
  return child;
}

/** Runs `args` in the root `dir` to its end. */
export function inRoot(dir: string, args: readonly string[]): Promise<Ran> {
  return collect(startInRoot(dir, args));
}

/** Removes the root; nothing may be mounted in it (a leftover /dev bind would take the host's along). */
export function removeDebianRoot(dir: string): void {
  if (mountsUnder(dir).length > 0) unmountAllUnder(dir);
  if (mountsUnder(dir).length > 0) throw new Error(`${dir} still has mounts: ${mountsUnder(dir).join(', ')}`);
  rmSync(dir, { recursive: true, force: true });
}
