/**
 * The main job through the real embedded Node 18: dvdi-agent-sim loads
 * libdvdi_runtime.so with dlopen, the bundle runs the isolator against dvdi's
 * loop-device plugin, containers run in real mount namespaces, and the agent
 * is killed with SIGKILL and restarted in the middle.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder, readMountInfo } from '../src/plugin/server/mountinfo.js';
import { cleanupUnder, loopDevicesUnder } from './helpers/loop-cleanup.js';
import { builtFile } from './helpers/native-build.js';

const SCENARIO_TIMEOUT_MS = 300_000;

describe('dvdi-agent-sim scenario (make demo)', () => {
  let work: string;
  let run: { status: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    work = await realpath(await mkdtemp(path.join(os.tmpdir(), 'dvdi-agent-sim-')));
    // The runtime finds the bundle next to itself, as in an installed module.
    const args = ['--work', work, '--quiet', '--dvdi', path.resolve('dist/cli/main.js'), '--node', process.execPath, 'scenario'];
    run = spawnSync(builtFile('dvdi-agent-sim'), args, { encoding: 'utf8', timeout: SCENARIO_TIMEOUT_MS });
  }, SCENARIO_TIMEOUT_MS);

  afterAll(async () => {
    await cleanupUnder(work);
  });

  const passed = (check: RegExp) => {
    expect(run.stdout, run.stdout + run.stderr).toMatch(new RegExp(`^ {4}ok {3}${check.source}`, 'm'));
  };

  it('launches shared and private volumes from several threads and moves data through the binds', () => {
    passed(/web-1 and web-2 share one mount of "shared"/);
    passed(/web-2 reads what web-1 wrote/);
    passed(/the host sees it at the volume's mountpoint/);
    passed(/db-1 writes to its own volume/);
    passed(/binds stayed inside the namespaces/);
  });

  it('survives a kill -9 of the agent and recovers: live containers keep their volumes, the gone one is unmounted', () => {
    expect(run.stdout).toMatch(/kill -9 of the agent \(pid \d+\)/);
    passed(/its 3 containers outlived it/);
    passed(/the running containers web-1 and web-2 keep their volumes/);
    passed(/db-1 is gone: its volume is released/);
    passed(/"shared" stayed mounted through the crash/);
    passed(/web-2 still reads web-1's data through its bind/);
    passed(/db-1's volume is unmounted in the background/);
    passed(/db-2 reads what db-1 wrote before the crash/);
  });

  it('ends with every volume unmounted and nothing left on the host', async () => {
    passed(/every volume is unmounted after its last user/);
    passed(/nothing left mounted or attached/);
    expect(run.stdout).toMatch(/summary: \d+ checks passed, 0 failed\n$/);
    expect(run.status).toBe(0);
    expect(mountsUnder(await readMountInfo(), work)).toEqual([]);
    expect(await loopDevicesUnder(work)).toEqual([]);
  });
});
