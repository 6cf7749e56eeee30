import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { runProgram } from '../../util/run-program.js';

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  readonly timeoutMs: number;
  /** Exit codes that count as an answer rather than a failure; default [0]. */
  readonly okCodes?: readonly number[];
}

/**
 * Runs a program with an argument vector (never a shell). Resolves for the
 * accepted exit codes; otherwise rejects with the command, why it failed and
 * its stderr.
 */
export async function run(program: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const okCodes = opts.okCodes ?? [0];
  const result = await runProgram(program, args, { timeoutMs: opts.timeoutMs });
  if (!result.timedOut && result.code !== null && okCodes.includes(result.code)) {
    return { code: result.code, stdout: result.stdout, stderr: result.stderr };
  }
  let reason: string;
  if (result.timedOut) reason = `timed out after ${opts.timeoutMs} ms`;
  else if (result.code !== null) reason = `exit code ${result.code}`;
  else reason = `killed by ${result.signal ?? 'a signal'}`;
  const detail = result.stderr.trim();
  throw new Error(`${[program, ...args].join(' ')}: ${reason}${detail ? `: ${detail}` : ''}`);
}

// Storage tools live in sbin, which a non-login PATH often lacks.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable found in PATH or the system directories, or undefined. */
export async function findProgram(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => path.isAbsolute(d)), ...EXTRA_DIRS];
  for (const dir of new Set(dirs)) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory; keep looking.
    }
  }
  return undefined;
}
