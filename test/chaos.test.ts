import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChaos } from './chaos/chaos.js';
import { runCommand } from './chaos/command.js';
import { checkState, checkStray, FAILURE_KINDS } from './chaos/invariants.js';
import { envArgs, Model, type Container } from './chaos/model.js';
import { observe } from './chaos/observe.js';
import { PluginProcess } from './chaos/plugin-process.js';
import { randomSeed } from './chaos/random.js';
import { ChaosWorkspace, DRIVER, type Backend } from './chaos/workspace.js';
import { cleanupUnder } from './helpers/loop-cleanup.js';
import { pluginCall } from './helpers/plugin-call.js';

/**
 * The randomized crash test, short: random prepares, cleanups and recovers
 * through the CLI against dvdi's own plugin, each killed at a random
 * instant, some with the plugin stopped; then the agent's recovery and the
 * invariants (test/chaos/invariants.ts). `npm run chaos` plays the long run.
 */
const FIXED_SEED = 20261201;
const ROUNDS = 10;
const LIMIT_MS = 240_000;

async function play(seed: number, backend: Backend): Promise<void> {
  const report = await runChaos({ rounds: ROUNDS, seed, backend, timeoutSeconds: 2, log: (line) => console.log(line) });
  expect(report.findings).toEqual([]);
  expect(report.totals).toEqual(Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])));
  // The run did crash things: otherwise it proved nothing.
  expect(Object.values(report.operations).reduce((n, op) => n + op.killed, 0)).toBeGreaterThan(0);
}

describe('randomized crash test: kill -9 at random points, recover, check the invariants', () => {
  it(`fixed seed ${FIXED_SEED}, loop backend`, () => play(FIXED_SEED, 'loop'), LIMIT_MS);

  // A new seed each run widens the coverage over time; a failure prints it for the replay.
  const seed = randomSeed();
  it(`random seed ${seed}, dir backend (replay: npm run chaos -- --seed ${seed} --rounds ${ROUNDS} --backend dir)`, () => play(seed, 'dir'), LIMIT_MS);
});

describe('the crash test sees what it checks for', () => {
  it('a lost, a doubled and a leaked volume, and a stray file, in real plugin and dvdi state', async () => {
    const ws = await ChaosWorkspace.create('loop');
    const plugin = await PluginProcess.start(ws);
    try {
      const slot = (n: string, volume: string) => [`DVDI_VOLUME_NAME${n}=${volume}`, `DVDI_VOLUME_DRIVER${n}=${DRIVER}`, `DVDI_VOLUME_OPTS${n}=${ws.volumeOptions()}`];
      const c: Container = {
        id: 'c1',
        sandbox: ws.sandbox('c1'),
        volumes: ['v1', 'v2'],
        env: [...slot('', 'v1'), 'DVDI_VOLUME_CONTAINERPATH=data', ...slot('1', 'v2')],
        sandboxEntries: ['data'],
      };
      const model = new Model();
      await mkdir(c.sandbox, { recursive: true });
      model.sandboxes.set(c.id, c);
      const prepared = await runCommand({
        args: ['prepare', ...ws.cliFlags(10), '--container-id', c.id, '--directory', c.sandbox, ...envArgs(c)],
        kill: { kind: 'none' },
        limitMs: 60_000,
        stateDir: ws.stateDir,
      });
      expect(prepared.status, prepared.stderr).toBe(0);
      model.live.set(c.id, c);
      expect(checkState(ws, await observe(ws), model)).toEqual([]);
      expect(await checkStray(ws, model)).toEqual([]);

      const call = async (method: string, body: object) => expect((await pluginCall(ws.socketPath, method, body)).status).toBe(200);
      await call('VolumeDriver.Unmount', { Name: 'v1', ID: 'c1' });
      await call('VolumeDriver.Mount', { Name: 'v2', ID: 'someone-else' });
      await call('VolumeDriver.Create', { Name: 'v3', Opts: { size: '16Mi' } });
      await call('VolumeDriver.Mount', { Name: 'v3', ID: 'nobody' });
      await writeFile(path.join(c.sandbox, 'stray'), '');

      const found = [...checkState(ws, await observe(ws), model), ...(await checkStray(ws, model))];
      expect(found.map((v) => `${v.kind} ${v.volume ?? ''}`).sort()).toEqual(['doubled v2', 'leaked v3', 'lost v1', 'stray ']);
    } finally {
      await plugin.stop();
      await cleanupUnder(ws.root);
    }
  });
});
