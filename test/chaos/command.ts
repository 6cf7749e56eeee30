import { watch } from 'node:fs';
import { startDvdi } from '../helpers/cli.js';

/**
 * When to `kill -9` a command: at a time after its start, a delay after its
 * n-th log line, or a delay after the n-th change in the state directory (the
 * lock file taken, a checkpoint temp file written, renamed; 0 ms lands inside
 * these steps).
 */
export type KillPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'at'; readonly ms: number }
  | { readonly kind: 'after-line'; readonly line: number; readonly ms: number }
  | { readonly kind: 'after-event'; readonly event: number; readonly ms: number };

export interface CommandRun {
  readonly args: readonly string[];
  readonly kill: KillPlan;
  /** Past this the command is killed and counted as hung. */
  readonly limitMs: number;
  /** The directory whose changes `after-event` counts. */
  readonly stateDir: string;
  /** Called at once after the kill, before the exit is seen (the plugin is thawed there). */
  readonly onKill?: () => void;
}

export interface Outcome {
  readonly pid: number;
  readonly status: number | null;
  readonly killed: boolean;
  readonly hung: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly lines: number;
  /** Changes seen in the state directory while it ran (other commands' included). */
  readonly events: number;
}

/** Runs `dvdi ARGS` as its own process and kills it as planned; resolves when it has exited. */
export function runCommand(run: CommandRun): Promise<Outcome> {
  const started = performance.now();
  let stdout = '';
  let stderr = '';
  let lines = 0;
  let killed = false;
  let hung = false;
  let exited = false;
  const timers: NodeJS.Timeout[] = [];
  const kill = (): void => {
    if (exited || killed) return;
    killed = child.kill('SIGKILL');
    run.onKill?.();
  };
  const after = (ms: number, action: () => void): void => void timers.push(setTimeout(action, ms));
  let events = 0;
  // Started first, so no change of this command is missed.
  const watcher = watch(run.stateDir, () => {
    events++;
    const plan = run.kill;
    if (plan.kind !== 'after-event' || events !== plan.event) return;
    if (plan.ms === 0) kill();
    else after(plan.ms, kill);
  });
  const child = startDvdi(run.args);
  if (run.kill.kind === 'at') after(run.kill.ms, kill);
  after(run.limitMs, () => {
    if (exited || killed) return;
    hung = true;
    kill();
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    const before = lines;
    lines += d.split('\n').length - 1;
    const plan = run.kill;
    if (plan.kind === 'after-line' && before < plan.line && lines >= plan.line) after(plan.ms, kill);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => {
      exited = true;
      watcher.close();
      for (const t of timers) clearTimeout(t);
      resolve({
        pid: child.pid!,
        status,
        // A kill that raced with the exit did not interrupt anything.
        killed: killed && signal === 'SIGKILL',
        hung,
        stdout,
        stderr,
        ms: performance.now() - started,
        lines,
        events,
      });
    });
  });
}

/** The one-line reason a failed command gave (the CLI's last stderr line). */
export function reason(outcome: Outcome): string {
  const last = outcome.stderr.trim().split('\n').pop() ?? '';
  return last === '' ? `exit ${outcome.status}` : last;
}
