import { spawn } from 'node:child_process';
import { close, constants, fstat, ftruncate, open, write } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { isFileSync, pathExists } from '../util/path-exists.js';
import { processAlive } from '../util/process-alive.js';

/** Who holds a checkpoint's lock, as the holder itself wrote in the lock file. */
export interface LockHolder {
  readonly pid: number;
  /** `dvdi prepare`, `runtime`… */
  readonly role: string;
  readonly since: string;
}

export interface StateLock {
  release(): Promise<void>;
}

export class StateLockedError extends Error {
  constructor(
    message: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(message);
    this.name = 'StateLockedError';
  }
}

/** The role of the embedded runtime, which holds the lock for the agent's whole life. */
export const RUNTIME_ROLE = 'runtime';

const POLL_MS = 50;
/** flock(1) exits with this when another open file holds the lock. */
const HELD_EXIT = 75;
const FLOCK_CANDIDATES = ['/usr/bin/flock', '/bin/flock'];

const openFd = promisify(open);
const closeFd = promisify(close);
const fstatFd = promisify(fstat);
const truncateFd = promisify(ftruncate);
const writeFd = promisify(write);

/**
 * The lock is flock(2) on `<checkpoint>.lock`: the kernel releases it when the
 * last descriptor of its holder closes, so a crash never leaves the state
 * locked, and it is the same lock for every Node release and every network
 * namespace. Node has no flock, so util-linux's flock(1) takes it on this
 * process's own descriptor (passed as its fd 3) and exits: the lock belongs to
 * the open file, which stays open here. Descriptors are close-on-exec, so
 * children never hold it.
 */
export function lockFile(checkpointFile: string): string {
  return `${path.resolve(checkpointFile)}.lock`;
}

/**
 * Takes the checkpoint's lock, waiting up to `waitMs` while another command
 * holds it. A runtime holder is never waited for: it keeps the lock as long
 * as the agent runs.
 */
export async function acquireStateLock(checkpointFile: string, role: string, waitMs: number): Promise<StateLock> {
  const file = lockFile(checkpointFile);
  await mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + waitMs;
  const me: LockHolder = { pid: process.pid, role, since: new Date().toISOString() };
  for (;;) {
    const fd = await tryLock(file);
    if (fd !== undefined) {
      // Who holds it, for whoever finds it taken.
      await truncateFd(fd, 0);
      await writeFd(fd, `${JSON.stringify(me)}\n`, 0);
      return { release: () => unlockFd(fd) };
    }
    const holder = await readHolder(file);
    if (holder?.role === RUNTIME_ROLE) {
      throw new StateLockedError(
        `checkpoint ${checkpointFile} belongs to the Mesos agent's dvdi runtime (process ${holder.pid}, since ${holder.since}); ` +
          'state-changing commands are refused while it runs; `dvdi status` reads the state without changing it',
        holder,
      );
    }
    if (Date.now() > deadline) {
      const who = holder ? `${holder.role} (process ${holder.pid}, since ${holder.since})` : 'another process';
      throw new StateLockedError(`checkpoint ${checkpointFile} is locked by ${who}; gave up after ${Math.round(waitMs / 1000)} s`, holder);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Who holds the lock now, or undefined when nobody does (or it cannot say). Takes it for an instant when it is free. */
export async function lockHolder(checkpointFile: string): Promise<LockHolder | undefined> {
  const file = lockFile(checkpointFile);
  if (!(await pathExists(file))) return undefined;
  const fd = await tryLock(file);
  if (fd !== undefined) {
    await closeFd(fd);
    return undefined;
  }
  return readHolder(file);
}

/** An open descriptor holding the lock, or undefined when someone else holds it. */
async function tryLock(file: string): Promise<number | undefined> {
  const fd = await openFd(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  try {
    const code = await flockNonBlocking(fd);
    // A lock file replaced under us (an operator removed it) locks nothing: try the new one.
    if (code === 0 && (await sameFile(fd, file))) return fd;
    if (code !== 0 && code !== HELD_EXIT) throw new Error(`flock(1) failed on ${file} (exit ${code})`);
  } catch (e) {
    await closeFd(fd);
    throw e;
  }
  await closeFd(fd);
  return undefined;
}

async function sameFile(fd: number, file: string): Promise<boolean> {
  const [held, named] = await Promise.all([fstatFd(fd), stat(file).catch(() => undefined)]);
  return named !== undefined && held.ino === named.ino && held.dev === named.dev;
}

function flockNonBlocking(fd: number): Promise<number> {
  const binary = FLOCK_CANDIDATES.find(isFileSync);
  if (!binary) return Promise.reject(new Error(`the state lock needs flock(1) (util-linux): none of ${FLOCK_CANDIDATES.join(', ')}`));
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--nonblock', '--conflict-exit-code', String(HELD_EXIT), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-500)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0 || code === HELD_EXIT) resolve(code);
      else reject(new Error(`flock(1) ${signal ? `was killed by ${signal}` : `exited ${code}`}: ${stderr.trim()}`));
    });
  });
}

async function unlockFd(fd: number): Promise<void> {
  // Nobody is named once it is free; closing the last descriptor releases the lock.
  await truncateFd(fd, 0).catch(() => undefined);
  await closeFd(fd);
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  try {
    const h = JSON.parse(text.slice(0, 4096)) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.role !== 'string' || !processAlive(h.pid)) return undefined;
    return { pid: h.pid, role: h.role, since: String(h.since) };
  } catch {
    return undefined;
  }
}
