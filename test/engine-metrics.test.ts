/**
 * The numbers behind the agent's isolators/dvdi/… metrics and the JSON of its
 * /dvdi/volumes endpoint, from the engine (issue 14 items 2 and 3, the
 * Mesos-free part): counters and latency samples kept where calls and mounts
 * happen, gauges from the records, the bridge's status call that carries
 * both to the shim, and the shim's Mesos-free tally that turns snapshots
 * into what libprocess's counters and timers add. Latencies come from a
 * clock the fake mounter moves, so every duration is exact.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statusRequest, statusResponse } from '../src/bridge/codec.js';
import { isolatorHandlers } from '../src/bridge/handlers.js';
import { FileCheckpointStore } from '../src/checkpoint/file-store.js';
import { runStatus } from '../src/cli/state-commands.js';
import { Isolator } from '../src/core/isolator.js';
import { EngineMetrics, KEPT_SAMPLES, volumeGauges } from '../src/core/metrics.js';
import { MounterError, type Clock, type Mounter } from '../src/core/ports.js';
import { statusJson } from '../src/core/status-json.js';
import { NodeHostPaths } from '../src/host/host-paths.js';
import { memoryLogger, tempRoot } from './helpers/harness.js';
import { builtFile } from './helpers/native-build.js';

/** A clock that moves only when told: each mount and unmount of the fake mounter takes a set time. */
class StepClock implements Clock {
  at = 1_000;
  now(): number {
    return this.at;
  }
  schedule(): () => void {
    return () => undefined;
  }
}

/** Mounts at /mnt/NAME; names listed in `failing` fail, each call moves the clock by its duration. */
function fakeMounter(clock: StepClock, failing: Set<string>): Mounter {
  return {
    kind: 'plugin',
    async mount(req) {
      clock.at += 40;
      if (failing.has(req.name)) throw new MounterError('mount refused', 'plugin says no', false, true);
      return `/mnt/${req.name}`;
    },
    async unmount(req) {
      clock.at += 15.5;
      if (failing.has(req.name)) throw new MounterError('unmount failed', 'busy', false, false);
    },
    async probe() {
      return { state: 'unknown', detail: 'fake' };
    },
    async close() {},
  };
}

let root: string;
let sandbox: string;
let checkpoint: string;
let clock: StepClock;
let failing: Set<string>;

beforeEach(() => {
  root = tempRoot('dvdi-metrics-');
  sandbox = path.join(root, 'sandbox');
  checkpoint = path.join(root, 'run', 'dvdimounts.pb');
  mkdirSync(sandbox, { recursive: true });
  clock = new StepClock();
  failing = new Set();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function open(): Promise<Isolator> {
  const logger = memoryLogger([]);
  return Isolator.open({
    mounter: fakeMounter(clock, failing),
    store: new FileCheckpointStore(checkpoint, logger),
    clock,
    logger,
    paths: new NodeHostPaths(),
    configuredDvdcli: '/usr/bin/dvdcli',
    limits: { retryPendingMs: 0 },
  });
}

function prepare(isolator: Isolator, containerId: string, ...names: string[]) {
  const environment: Array<[string, string]> = names.flatMap((name, i): Array<[string, string]> => [
    [`DVDI_VOLUME_DRIVER${i || ''}`, 'fake'],
    [`DVDI_VOLUME_NAME${i || ''}`, name],
  ]);
  return isolator.prepare({ containerId, environment, directory: sandbox });
}

describe('engine metrics', () => {
  it('count calls, mounts and unmounts by outcome where they happen, with each duration as a sample', async () => {
    const isolator = await open();
    await prepare(isolator, 'c1', 'a', 'b');
    await prepare(isolator, 'c2', 'a');
    await prepare(isolator, 'c3');
    failing.add('x');
    await expect(prepare(isolator, 'c4', 'x')).rejects.toThrow(/mount of fake\/x failed/);
    await expect(prepare(isolator, 'c1', 'a')).rejects.toThrow(/already prepared/);
    expect(isolator.metrics.counters()).toEqual({
      prepares: 5, prepareFailures: 2, cleanups: 0, mounts: 2, mountFailures: 1, unmounts: 0, unmountFailures: 0,
    });
    expect(volumeGauges(isolator.status())).toEqual({ volumesMounted: 2, containersHolding: 2, unmountsPending: 0 });

    // c1 leaves a (c2 still holds it) and b (unmounted); b's unmount fails once: pending.
    failing.add('b');
    await expect(isolator.cleanup('c1')).rejects.toThrow(/unmount of fake\/b failed/);
    await isolator.cleanup('unknown');
    failing.delete('b');
    await isolator.cleanup('c2');
    expect(isolator.metrics.counters()).toEqual({
      prepares: 5, prepareFailures: 2, cleanups: 3, mounts: 2, mountFailures: 1, unmounts: 1, unmountFailures: 1,
    });
    expect(volumeGauges(isolator.status())).toEqual({ volumesMounted: 0, containersHolding: 0, unmountsPending: 1 });
    await isolator.retryPending();
    expect(isolator.metrics.counters()).toMatchObject({ unmounts: 2, unmountFailures: 1 });
    expect(volumeGauges(isolator.status())).toEqual({ volumesMounted: 0, containersHolding: 0, unmountsPending: 0 });

    const { samples, last } = isolator.metrics.samplesAfter(0);
    expect(samples.map((s) => [s.sequence, s.operation, s.ms])).toEqual([
      [1, 'mount', 40], [2, 'mount', 40], [3, 'unmount', 15.5], [4, 'unmount', 15.5],
    ]);
    expect(last).toBe(4);
    expect(isolator.metrics.samplesAfter(3).samples.map((s) => s.sequence)).toEqual([4]);
    expect(isolator.metrics.samplesAfter(4)).toEqual({ samples: [], last: 4 });
  });

  it('keep the latest samples for a reader that falls behind', () => {
    const metrics = new EngineMetrics();
    for (let i = 1; i <= KEPT_SAMPLES + 5; i++) metrics.sample('mount', i);
    const { samples, last } = metrics.samplesAfter(0);
    expect(samples).toHaveLength(KEPT_SAMPLES);
    expect(samples[0]!.sequence).toBe(6);
    expect(last).toBe(KEPT_SAMPLES + 5);
  });
});

describe('the status call (DVDI_CALL_STATUS)', () => {
  it('carries the counters, gauges, new samples in microseconds and the restarts; volumes only when asked', async () => {
    const isolator = await open();
    const status = isolatorHandlers(isolator, 3).status!;
    await prepare(isolator, 'c1', 'a');
    failing.add('x');
    await expect(prepare(isolator, 'c2', 'x')).rejects.toThrow();

    const first = statusResponse.decode(await status(statusRequest.encode({ samples_after: 0 })));
    expect(first).toEqual({
      runtime_restarts: 3, prepares: 2, prepare_failures: 1, cleanups: 0, mounts: 1, mount_failures: 1,
      unmounts: 0, unmount_failures: 0, volumes_mounted: 1, containers_holding: 1, unmounts_pending: 0,
      mount_us: [40_000], unmount_us: [], last_sample: 1,
    });
    await isolator.cleanup('c1');
    const next = statusResponse.decode(await status(statusRequest.encode({ samples_after: first.last_sample })));
    expect(next).toMatchObject({ cleanups: 1, unmounts: 1, volumes_mounted: 0, containers_holding: 0, mount_us: [], unmount_us: [15_500], last_sample: 2 });
    // Without samples_after, no samples: the volumes endpoint's call leaves them to the metrics' reader.
    const noSamples = statusResponse.decode(await status(statusRequest.encode({})));
    expect(noSamples).toMatchObject({ mount_us: [], unmount_us: [], last_sample: 2 });
    expect(noSamples.volumes_json).toBeUndefined();
  });

  it('answers the volumes with the JSON `dvdi status --json` prints, from one function', async () => {
    const isolator = await open();
    await prepare(isolator, 'c1', 'a', 'b');
    await prepare(isolator, 'c2', 'a');
    failing.add('b');
    await expect(isolator.cleanup('c1')).rejects.toThrow();
    const status = isolatorHandlers(isolator).status!;
    const answered = statusResponse.decode(await status(statusRequest.encode({ volumes: true }))).volumes_json!;
    expect(answered).toBe(statusJson(isolator.status()));
    expect(JSON.parse(answered)).toEqual([
      { driver: 'fake', name: 'a', mountpoint: '/mnt/a', state: 'mounted', holders: ['c2'], options: '', error: '' },
      {
        driver: 'fake', name: 'b', mountpoint: '/mnt/b', state: 'unmount-pending', holders: [], options: '',
        error: 'unmount failed: busy',
      },
    ]);

    let printed = '';
    await runStatus(['--checkpoint', checkpoint, '--json'], { stdout: (t) => (printed += t), stderr: () => undefined });
    expect(printed).toBe(answered);
  });
});

describe('the shim\'s tally (native/mesos/metrics_tally.cc)', () => {
  it('passes its unit tests: increments only, restarts, each sample once', () => {
    const r = spawnSync(builtFile('dvdi_mesos_metrics_test'), { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed\n$/);
    expect(r.status).toBe(0);
  });
});
