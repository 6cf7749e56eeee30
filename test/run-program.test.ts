import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runProgram } from '../src/util/run-program.js';
import { tempRoot } from './helpers/harness.js';

const escaped: number[] = [];
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  for (const pid of escaped.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** A child that leaves the process group and keeps our pipes open. */
function escapingScript(pidFile: string, then: string): string {
  return `setsid sleep 60 & echo $! > '${pidFile}'; ${then}`;
}

describe('runProgram', () => {
  it('runs an argument vector without a shell: metacharacters stay literal', async () => {
    const r = await runProgram('/bin/echo', ['$(reboot)', '; ls', '`id`'], { timeoutMs: 10_000 });
    expect(r).toMatchObject({ code: 0, stdout: '$(reboot) ; ls `id`\n', timedOut: false });
  });

  it('returns when the program exits, even if an escaped descendant holds its output open', async () => {
    const root = tempRoot();
    roots.push(root);
    const pidFile = path.join(root, 'pid');
    const r = await runProgram('/bin/sh', ['-c', escapingScript(pidFile, 'echo done')], { timeoutMs: 60_000 });
    escaped.push(Number(readFileSync(pidFile, 'utf8')));
    expect(r).toMatchObject({ code: 0, stdout: 'done\n', timedOut: false });
  });

  it('enforces the timeout even when an escaped descendant holds the output open', async () => {
    const root = tempRoot();
    roots.push(root);
    const pidFile = path.join(root, 'pid');
    const r = await runProgram('/bin/sh', ['-c', escapingScript(pidFile, 'sleep 60')], { timeoutMs: 500 });
    escaped.push(Number(readFileSync(pidFile, 'utf8')));
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
  });

  it('rejects with the reason when the program cannot be started', async () => {
    await expect(runProgram('/nonexistent/tool', [], { timeoutMs: 1_000 })).rejects.toThrow(/cannot run \/nonexistent\/tool: .*No such file/);
  });
});
