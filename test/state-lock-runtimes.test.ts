/**
 * One state lock per checkpoint, the same in every Node: the real embedded
 * runtime (libnode 18, loaded by dvdi-runtime-probe as the agent loads it),
 * the CLI under this Node (20+) and under Node 18 (the `dvdi` launcher, on
 * the module's libnode).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DVDI } from './helpers/cli.js';
import { tempRoot } from './helpers/harness.js';
import { builtFile } from './helpers/native-build.js';
import { exited } from './helpers/process.js';

interface Runtime {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

let root: string;
let plugins: string;
const runtimes: Runtime[] = [];

beforeEach(() => {
  root = tempRoot();
  plugins = path.join(root, 'plugins');
  mkdirSync(plugins);
});
afterEach(async () => {
  for (const r of runtimes.splice(0)) {
    r.child.kill('SIGKILL');
    await r.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

const checkpoint = (name: string) => path.join(root, name, 'dvdimounts.pb');
const common = (name: string) => ['--checkpoint', checkpoint(name), '--mounter', 'plugin', '--plugin-dirs', plugins, '--quiet'];

/** A runtime on the checkpoint, started with the real bundle and kept until its stdin closes. */
async function startRuntime(name: string): Promise<Runtime> {
  const params = [`checkpoint=${checkpoint(name)}`, 'mounter=plugin', `plugin_dirs=${plugins}`];
  const child = spawn(builtFile('dvdi-runtime-probe'), [builtFile('libdvdi_runtime.so'), ...params, '--', 'hold'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  // Recorded from the start: a probe that cannot start exits at once.
  const runtime = { child, output: () => text, exited: exited(child).then((e) => e.code) };
  runtimes.push(runtime);
  const outcome = await Promise.race([
    runtime.exited.then(() => 'exited'),
    new Promise<string>((resolve) => {
      const check = () => (/^holding$/m.test(text) ? resolve('holding') : setTimeout(check, 20));
      check();
    }),
  ]);
  expect(outcome, text).toBe('holding');
  expect(text).toMatch(/^start ok$/m);
  return runtime;
}

async function stopRuntime(runtime: Runtime): Promise<void> {
  runtime.child.stdin!.end();
  expect(await runtime.exited, runtime.output()).toBe(0);
  runtimes.splice(runtimes.indexOf(runtime), 1);
}

const CLIS: Array<{ node: string; command: (args: string[]) => [string, string[]] }> = [
  { node: `this Node (${process.version})`, command: (args) => [process.execPath, [DVDI, ...args]] },
  { node: 'Node 18 (the dvdi launcher)', command: (args) => [builtFile('dvdi'), args] },
];

const STATE_CHANGING = [
  ['prepare', '--container-id', 'c1', '--env', 'UNRELATED=1'],
  ['cleanup', '--container-id', 'c1'],
  ['recover'],
  ['forget', '--name', 'v'],
];

function run(command: [string, string[]]) {
  const [file, args] = command;
  return spawnSync(file, args, { encoding: 'utf8', timeout: 60_000 });
}

describe('the state lock across Node releases', () => {
  it('the launcher runs on the module\'s libnode (Node 18)', () => {
    const needed = spawnSync('readelf', ['-d', builtFile('dvdi')], { encoding: 'utf8' }).stdout;
    expect(needed).toMatch(/NEEDED.*\[libnode\.so\.108\]/);
  });

  it('lets two runtimes on two checkpoints run side by side', async () => {
    const a = await startRuntime('a');
    const b = await startRuntime('b');
    await stopRuntime(a);
    await stopRuntime(b);
  });

  for (const cli of CLIS) {
    it(`refuses at once every state change on a runtime's checkpoint and allows it on another, under ${cli.node}`, async () => {
      const runtime = await startRuntime('a');
      for (const command of STATE_CHANGING) {
        const refused = run(cli.command([...command, ...common('a')]));
        expect(refused.status, refused.stderr).toBe(1);
        expect(refused.stderr).toContain(`belongs to the Mesos agent's dvdi runtime (process ${runtime.child.pid}`);
        const allowed = run(cli.command([...command, ...common('b')]));
        expect(allowed.status, allowed.stderr).toBe(0);
      }
      // Reading is always allowed.
      expect(run(cli.command(['status', ...common('a')])).status).toBe(0);
      await stopRuntime(runtime);
      // Released with the runtime: the same commands now go through.
      for (const command of STATE_CHANGING) expect(run(cli.command([...command, ...common('a')])).status).toBe(0);
    });
  }
});
