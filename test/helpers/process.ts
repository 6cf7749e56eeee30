import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const exits = new WeakMap<ChildProcess, Promise<Exit>>();

/**
 * Resolves once `child` has exited, whenever that happened: at once when it
 * already has. Never wait with `child.on('exit'|'close', …)` attached after the
 * fact: an event that fired before the listener is never seen again, and the
 * wait never ends. Node sets `exitCode`/`signalCode` in the same step that
 * emits 'exit', so checking them and listening, synchronously, misses nothing.
 * Rejects when the process could not be started at all.
 */
export function exited(child: ChildProcess): Promise<Exit> {
  let exit = exits.get(child);
  if (exit === undefined) {
    exit =
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
        : new Promise<Exit>((resolve, reject) => {
            child.once('exit', (code, signal) => resolve({ code, signal }));
            // 'error' without 'exit' only when the spawn itself failed (a failed kill() has a live pid).
            child.on('error', (error) => {
              if (child.pid === undefined) reject(error);
            });
          });
    exits.set(child, exit);
  }
  return exit;
}

/** Sends `signal` unless the child has exited already, and resolves once it has. */
export function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  return exited(child);
}

/**
 * Stops `child` with `signal`, then SIGKILL if it is still there after
 * `graceMs`; resolves once it has exited (at once if it already had).
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<Exit> {
  const exit = exited(child);
  if (child.exitCode !== null || child.signalCode !== null) return exit;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exit;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `count` distinct TCP ports on 127.0.0.1 that nothing listens on right now, for
 * servers the test starts: never fixed numbers, which another run on the host
 * may hold. All are held open until all are chosen, so they differ.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => net.createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
