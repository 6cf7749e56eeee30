import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exited } from './process.js';

/** The built CLI: `npm test` builds before running the suite. */
export const DVDI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const DVDCLI_ENTRY = fileURLToPath(new URL('../../dist/cli/dvdcli.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function ensureBuilt(): void {
  if (!existsSync(DVDI)) throw new Error(`${DVDI} is missing: run \`npm run build\` (npm test does)`);
}

export function dvdi(args: readonly string[], env: NodeJS.ProcessEnv = process.env): CliResult {
  ensureBuilt();
  const r = spawnSync(process.execPath, [DVDI, ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like `dvdi`, without blocking this process: needed when the test itself serves a plugin. */
export function dvdiAsync(args: readonly string[]): Promise<CliResult> {
  const child = startDvdi(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export function startDvdi(args: readonly string[]): ChildProcess {
  ensureBuilt();
  const child = spawn(process.execPath, [DVDI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Its exit is recorded from the start: wait for it with `exited(child)`, never with a late `on('close')`.
  void exited(child).catch(() => undefined);
  return child;
}

/** Polls until `check` holds; the limit only stops a broken test from hanging. */
export async function waitFor(check: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
