import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';

/** Who holds a checkpoint's lock, as the holder itself tells anyone who asks. */
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
const ASK_MS = 1_000;

/**
 * The lock is a unix socket in Linux's abstract namespace, named after the
 * checkpoint: binding it is one atomic step, and the kernel releases it the
 * instant its holder dies, so a crash can never leave the state locked. The
 * holder answers connections with who it is. Abstract sockets belong to a
 * network namespace: every user of a checkpoint must share the host's.
 */
export async function lockName(checkpointFile: string): Promise<string> {
  const absolute = path.resolve(checkpointFile);
  const directory = await realpath(path.dirname(absolute)).catch(() => path.dirname(absolute));
  const digest = createHash('sha256').update(path.join(directory, path.basename(absolute))).digest('hex');
  return `\0dvdi/state-lock/${digest.slice(0, 40)}`;
}

/**
 * Takes the checkpoint's lock, waiting up to `waitMs` while another command
 * holds it. A runtime holder is never waited for: it keeps the lock as long
 * as the agent runs.
 */
export async function acquireStateLock(checkpointFile: string, role: string, waitMs: number): Promise<StateLock> {
  const name = await lockName(checkpointFile);
  const deadline = Date.now() + waitMs;
  const me: LockHolder = { pid: process.pid, role, since: new Date().toISOString() };
  for (;;) {
    const server = await bind(name, me);
    if (server) return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    const holder = await askHolder(name);
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

/** Who holds the lock now, or undefined when nobody does (or it cannot say). */
export async function lockHolder(checkpointFile: string): Promise<LockHolder | undefined> {
  return askHolder(await lockName(checkpointFile));
}

function bind(name: string, me: LockHolder): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(`${JSON.stringify(me)}\n`);
    });
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen({ path: name }, () => {
      // Holding the lock must not keep a finished process alive.
      server.unref();
      resolve(server);
    });
  });
}

function askHolder(name: string): Promise<LockHolder | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect({ path: name });
    socket.setTimeout(ASK_MS, () => socket.destroy());
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      if (text.length > 4096) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      try {
        const h = JSON.parse(text) as Partial<LockHolder>;
        resolve(typeof h.pid === 'number' && typeof h.role === 'string' ? { pid: h.pid, role: h.role, since: String(h.since) } : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}
