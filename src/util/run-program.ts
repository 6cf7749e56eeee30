import { spawn } from 'node:child_process';

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed at its time limit, or stopped through `signal`. */
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Kills the program's process group early. */
  readonly signal?: AbortSignal;
}

/** Output beyond this is dropped: a misbehaving tool must not exhaust the agent's memory. */
const MAX_OUTPUT = 1 << 20;
const PIPE_GRACE_MS = 1_000;
/**
 * coreutils' timeout runs the program in a process group it kills at the
 * limit even if we were killed ourselves, so no child outlives its timeout.
 * It strikes a little after our own timer, which reports the timeout.
 */
const TIMEOUT_BINARY = '/usr/bin/timeout';
const TIMEOUT_SLACK_MS = 500;

/**
 * Runs a program with an argument vector (never a shell) in its own process
 * group, so that on timeout the whole group, children included, is killed.
 * Rejects only when the program cannot be started.
 */
export function runProgram(file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      resolve({ code: null, signal: null, stdout: '', stderr: '', timedOut: true });
      return;
    }
    const limit = ((opts.timeoutMs + TIMEOUT_SLACK_MS) / 1000).toFixed(3);
    const child = spawn(TIMEOUT_BINARY, ['--signal=KILL', limit, file, ...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => {
      if (outLen < MAX_OUTPUT) out.push(b);
      outLen += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errLen < MAX_OUTPUT) err.push(b);
      errLen += b.length;
    });
    // A descendant that left the process group can hold the pipes open forever:
    // once the program has exited or been killed, stop waiting for them.
    let drain: NodeJS.Timeout | undefined;
    const stopReading = () => {
      drain ??= setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, PIPE_GRACE_MS);
    };
    const kill = () => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
      stopReading();
    };
    const started = performance.now();
    const timer = setTimeout(kill, opts.timeoutMs);
    opts.signal?.addEventListener('abort', kill, { once: true });
    const settle = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
    };
    child.on('error', (e) => {
      settle();
      reject(new Error(`cannot run ${file}: ${e.message}`));
    });
    child.on('exit', stopReading);
    child.on('close', (code, signal) => {
      settle();
      clearTimeout(drain);
      const stderr = Buffer.concat(err).toString('utf8');
      // timeout(1) exits 126/127 when it cannot run the program, with its reason on stderr.
      const prefix = `${TIMEOUT_BINARY}: `;
      if (!timedOut && (code === 126 || code === 127) && stderr.startsWith(prefix)) {
        reject(new Error(`cannot run ${file}: ${stderr.slice(prefix.length).trim()}`));
        return;
      }
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
        // On a loaded host timeout(1)'s kill can come before our late timer: still a timeout.
        timedOut: timedOut || (signal === 'SIGKILL' && performance.now() - started >= opts.timeoutMs),
      });
    });
  });
}
