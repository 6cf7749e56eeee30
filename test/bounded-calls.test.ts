import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../src/checkpoint/file-store.js';
import { encodeCheckpoint } from '../src/checkpoint/codec.js';
import { Isolator } from '../src/core/isolator.js';
import { NodeHostPaths } from '../src/host/host-paths.js';
import { PluginMounter } from '../src/mounters/plugin.js';
import { systemClock } from '../src/runtime/engine.js';
import { processAlive } from '../src/util/process-alive.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dvdiAsync, startDvdi, waitFor } from './helpers/cli.js';
import { Harness, env } from './helpers/harness.js';
import { killAndWait } from './helpers/process.js';
import { TestPlugin } from './helpers/test-plugin.js';

// Issue 6 §3: every call is bounded by its own timeout, whatever the plugin does; the work it
// cannot finish in time is recorded and carried out afterwards.
let h: Harness;
let plugin: TestPlugin;
beforeEach(async () => {
  h = new Harness();
  mkdirSync(path.join(h.root, 'plugins'));
  plugin = await TestPlugin.start(path.join(h.root, 'plugins', 'mute.sock'), path.join(h.root, 'mute'));
  await plugin.addVolume('v');
});
afterEach(async () => {
  await plugin.stop();
  for (const c of h.dvdcli.calls()) {
    try {
      process.kill(c.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  h.dispose();
});

/**
 * What a busy machine may add to a bound (checkpoint fsyncs, process start-up, a starved event
 * loop). Each bound stays far below what the call would take if it waited for the hung call,
 * HUNG_MS: the property is proven as long as bound < HUNG_MS.
 */
const SLACK_MS = 5_000;
/** The unmount timeout of the hung plugin calls: a call that waited for one would take this long. */
const HUNG_MS = 60_000;

async function openWith(mountTimeoutMs: number, unmountTimeoutMs: number): Promise<Isolator> {
  return Isolator.open({
    mounter: new PluginMounter({ socketDirs: [path.join(h.root, 'plugins')], specDirs: [], mountTimeoutMs, unmountTimeoutMs }),
    store: new FileCheckpointStore(h.checkpoint, h.logger),
    clock: systemClock,
    logger: h.logger,
    paths: new NodeHostPaths(),
    configuredDvdcli: '',
    limits: { prepareTimeoutMs: mountTimeoutMs + 500, retryPendingMs: 60_000 },
  });
}

async function elapsed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work().catch(() => undefined);
  return performance.now() - start;
}

describe('calls bounded by their own timeout', () => {
  it('a prepare against a plugin that never answers fails within the mount timeout, not mount plus unmount', async () => {
    plugin.script('VolumeDriver.Mount', { kind: 'hang' });
    plugin.script('VolumeDriver.Unmount', { kind: 'hang' });
    const iso = await openWith(1_000, HUNG_MS);
    const prepare = iso.prepare({ containerId: 'c', environment: env({ DVDI_VOLUME_DRIVER: 'mute', DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox });
    const ms = await elapsed(() => prepare);
    await expect(prepare).rejects.toThrow(/timeout/);
    expect(ms).toBeLessThan(1_500 + SLACK_MS);
    // The undo is recorded at once, and runs after the call.
    expect(iso.status()).toMatchObject([{ name: 'v', state: 'unmount-pending', holders: [] }]);
    plugin.unscript('VolumeDriver.Unmount');
    await iso.retryPending();
    expect(iso.status()).toEqual([]);
    await iso.close();
  });

  it('a prepare waiting behind a hung background unmount of its volume fails within its own deadline', async () => {
    plugin.script('VolumeDriver.Unmount', { kind: 'hang' });
    const iso = await openWith(1_000, HUNG_MS);
    await iso.prepare({ containerId: 'a', environment: env({ DVDI_VOLUME_DRIVER: 'mute', DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox });
    const cleanup = iso.cleanup('a');
    await waitFor(() => h.logged('unmounting volume').length > 0, 'the unmount to start');
    const ms = await elapsed(() =>
      iso.prepare({ containerId: 'b', environment: env({ DVDI_VOLUME_DRIVER: 'mute', DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox }),
    );
    expect(ms).toBeLessThan(1_500 + SLACK_MS);
    plugin.unscript('VolumeDriver.Unmount');
    await plugin.stop();
    await cleanup.catch(() => undefined);
    await iso.close();
  });

  it('recover answers at once; the unmounts of gone containers happen after it', async () => {
    plugin.script('VolumeDriver.Unmount', { kind: 'hang' });
    mkdirSync(path.dirname(h.checkpoint), { recursive: true });
    const base = { driver: 'mute', mountpoint: '/nowhere', options: '', containerPath: '', dvdcliPath: '', explicitCreate: false, error: '' };
    writeFileSync(
      h.checkpoint,
      encodeCheckpoint([
        { ...base, containerId: 'gone', name: 'v', state: 'mounted', mountId: 'gone' },
        { ...base, containerId: 'half', name: 'w', state: 'mounting', mountId: 'half' },
      ]),
    );
    const iso = await openWith(1_000, HUNG_MS);
    let report;
    const ms = await elapsed(async () => (report = await iso.recover([], [])));
    // "At once": it does not wait for any plugin call, let alone a hung one.
    expect(ms).toBeLessThan(SLACK_MS);
    expect(report).toEqual({ kept: [], releasing: ['mute/v', 'mute/w'], pending: ['mute/v', 'mute/w'] });
    plugin.unscript('VolumeDriver.Unmount');
    await plugin.stop();
    await iso.close();
  });

  it('no dvdcli outlives its timeout, even when dvdi itself is killed during the call', async () => {
    h.dvdcli.behave({ mount: 'hang' });
    // Long enough for the (fake, Node) dvdcli to start and log its call on a busy machine before the timeout.
    const mountTimeoutS = 3;
    const child = startDvdi(['prepare', ...h.cliFlags, '--mount-timeout', String(mountTimeoutS), '--container-id', 'c', '--directory', h.sandbox, '--env', 'DVDI_VOLUME_NAME=v']);
    await waitFor(() => h.dvdcli.calls().length > 0, 'dvdcli to start');
    await killAndWait(child);
    const [call] = h.dvdcli.calls();
    expect(call!.op).toBe('mount');
    // timeout(1) kills it at the mount timeout plus its half-second slack; a hung dvdcli left alone would never end.
    await waitFor(() => !processAlive(call!.pid!), 'the orphaned dvdcli to be killed', mountTimeoutS * 1_000 + 500 + SLACK_MS);
    const r = await dvdiAsync(['recover', ...h.cliFlags]);
    expect(r.status).toBe(0);
  });
});
