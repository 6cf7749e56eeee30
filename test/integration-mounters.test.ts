import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../src/checkpoint/file-store.js';
import { Isolator } from '../src/core/isolator.js';
import type { Mounter } from '../src/core/ports.js';
import { NodeHostPaths } from '../src/host/host-paths.js';
import { systemClock } from '../src/runtime/engine.js';
import { DvdcliMounter } from '../src/mounters/dvdcli.js';
import { PluginMounter } from '../src/mounters/plugin.js';
import { startPluginServer, type PluginServer } from '../src/plugin/server/server.js';
import { DVDCLI_ENTRY } from './helpers/cli.js';
import { env, memoryLogger, tempRoot, type LogLine } from './helpers/harness.js';
import { cleanupUnder, loopDevicesUnder } from './helpers/loop-cleanup.js';
import { isMountpoint } from './helpers/mounts.js';

const PLUGIN = 'itest';

interface Setup {
  root: string;
  plugins: string;
  sandbox: string;
  logs: LogLine[];
  server?: PluginServer;
  mounter?: Mounter;
}

let s: Setup;
beforeEach(() => {
  const root = tempRoot('dvdi-itest-');
  s = { root, plugins: path.join(root, 'plugins'), sandbox: path.join(root, 'sandbox'), logs: [] };
  mkdirSync(s.sandbox, { recursive: true });
  mkdirSync(s.plugins, { recursive: true });
});
afterEach(async () => {
  await s.mounter?.close();
  await s.server?.close();
  await cleanupUnder(s.root);
});

/** `dvdi volume` installed as a dvdcli binary, told where the plugins are through its environment. */
function dvdcliBinary(): string {
  const wrapper = path.join(s.root, 'bin', 'dvdcli');
  mkdirSync(path.dirname(wrapper), { recursive: true });
  writeFileSync(wrapper, `#!/bin/sh\nDVDI_PLUGIN_SOCKET_DIRS='${s.plugins}' exec '${process.execPath}' '${DVDCLI_ENTRY}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

const mounters = {
  plugin: (): Mounter =>
    new PluginMounter({ socketDirs: [s.plugins], specDirs: [], mountTimeoutMs: 60_000, unmountTimeoutMs: 60_000 }),
  dvdcli: (): Mounter => new DvdcliMounter({ binary: dvdcliBinary(), mountTimeoutMs: 60_000, unmountTimeoutMs: 60_000 }),
};

async function open(mounter: Mounter): Promise<Isolator> {
  s.mounter = mounter;
  const logger = memoryLogger(s.logs);
  return Isolator.open({
    mounter,
    store: new FileCheckpointStore(path.join(s.root, 'state', 'dvdimounts.pb'), logger),
    clock: systemClock,
    logger,
    paths: new NodeHostPaths(),
    configuredDvdcli: mounter instanceof DvdcliMounter ? path.join(s.root, 'bin', 'dvdcli') : '/usr/bin/dvdcli',
    limits: { retryPendingMs: 60_000 },
  });
}

describe.each(['dir', 'loop'] as const)('against the real %s plugin', (backend) => {
  describe.each(['plugin', 'dvdcli'] as const)('through the %s mounter', (kind) => {
    it('mounts a shared volume once, keeps data, and detaches after the last user', async () => {
      s.server = await startPluginServer({ name: PLUGIN, socketPath: path.join(s.plugins, `${PLUGIN}.sock`), root: path.join(s.root, 'plugin'), backend, logger: memoryLogger([]) });
      const iso = await open(mounters[kind]());
      const vars: Record<string, string> = { DVDI_VOLUME_DRIVER: PLUGIN, DVDI_VOLUME_NAME: 'shared' };
      if (backend === 'loop') vars.DVDI_VOLUME_OPTS = 'size=64Mi';
      const a = await iso.prepare({ containerId: 'a', environment: env(vars), directory: s.sandbox });
      const b = await iso.prepare({ containerId: 'b', environment: env(vars), directory: s.sandbox });
      const mp = a.mounts[0]!.mountpoint;
      expect(b.mounts[0]).toMatchObject({ mountpoint: mp, shared: true });
      if (backend === 'loop') expect(isMountpoint(mp)).toBe(true);
      writeFileSync(path.join(mp, 'kept.txt'), 'still here');

      await iso.cleanup('a');
      expect(existsSync(path.join(mp, 'kept.txt'))).toBe(true);
      await iso.cleanup('b');
      expect(iso.status()).toEqual([]);
      if (backend === 'loop') {
        expect(isMountpoint(mp)).toBe(false);
        expect(await loopDevicesUnder(s.root)).toEqual([]);
      }

      const again = await iso.prepare({ containerId: 'c', environment: env(vars), directory: s.sandbox });
      expect(readFileSync(path.join(again.mounts[0]!.mountpoint, 'kept.txt'), 'utf8')).toBe('still here');
      await iso.cleanup('c');
    });

    it('fails a prepare with the plugin\'s own error and rolls back the other volumes', async () => {
      s.server = await startPluginServer({ name: PLUGIN, socketPath: path.join(s.plugins, `${PLUGIN}.sock`), root: path.join(s.root, 'plugin'), backend, logger: memoryLogger([]) });
      const iso = await open(mounters[kind]());
      const ok = backend === 'loop' ? 'size=64Mi' : '';
      const failure = iso.prepare({
        containerId: 'a',
        environment: env({
          DVDI_VOLUME_DRIVER: PLUGIN,
          DVDI_VOLUME_NAME: 'good',
          ...(ok ? { DVDI_VOLUME_OPTS: ok } : {}),
          DVDI_VOLUME_DRIVER1: PLUGIN,
          DVDI_VOLUME_NAME1: 'bad',
          DVDI_VOLUME_OPTS1: 'colour=blue',
        }),
        directory: s.sandbox,
      });
      await expect(failure).rejects.toThrow(/mount of itest\/bad failed: .*colour/);
      await iso.settle();
      expect(iso.status()).toEqual([]);
      expect(await loopDevicesUnder(s.root)).toEqual([]);
      expect(s.logs.some((l) => l.line.startsWith('rolling back') || l.line.includes('mount failed'))).toBe(true);
    });
  });
});

describe('against a misbehaving plugin, through the isolator', () => {
  // After a timeout the mount may still complete, so dvdi unmounts to be sure, after the call; this
  // plugin refuses that Unmount (nothing was mounted) and its Get and Path show the volume unmounted,
  // so nothing is left pending.
  const cases = [
    ['hangs on Mount', { kind: 'hang' }, /timeout/i],
    ['dies in the middle of Mount', { kind: 'destroy' }, /VolumeDriver\.Mount/],
    ['answers 500 with Err', { kind: 'error500', err: 'backend on fire' }, /backend on fire/],
    ['answers 200 with Err', { kind: 'error200', err: 'quota exceeded' }, /quota exceeded/],
  ] as const;

  it.each(cases)('fails only that prepare, with a message, when the plugin %s', async (_, behaviour, message) => {
    const { TestPlugin } = await import('./helpers/test-plugin.js');
    const plugin = await TestPlugin.start(path.join(s.plugins, 'flaky.sock'), path.join(s.root, 'flaky'));
    try {
      const iso = await open(new PluginMounter({ socketDirs: [s.plugins], specDirs: [], mountTimeoutMs: 1_000, unmountTimeoutMs: 1_000, connectRetryMs: 200 }));
      await plugin.addVolume('first');
      await plugin.addVolume('second');
      // Twice: a call dropped on a reused keep-alive connection is sent once more, on a fresh one.
      plugin.script('VolumeDriver.Mount', { kind: 'normal' }, behaviour, behaviour);
      const failure = iso.prepare({
        containerId: 'c1',
        environment: env({ DVDI_VOLUME_DRIVER: 'flaky', DVDI_VOLUME_NAME: 'first', DVDI_VOLUME_DRIVER1: 'flaky', DVDI_VOLUME_NAME1: 'second' }),
        directory: s.sandbox,
      });
      await expect(failure).rejects.toThrow(message);
      await iso.settle();
      expect(iso.status()).toEqual([]);
      // Whatever was mounted is released with the ID it was mounted with.
      expect(plugin.mountIds('first')).toEqual([]);
      plugin.unscript('VolumeDriver.Mount');
      const next = await iso.prepare({ containerId: 'c2', environment: env({ DVDI_VOLUME_DRIVER: 'flaky', DVDI_VOLUME_NAME: 'first' }), directory: s.sandbox });
      expect(plugin.mountIds('first')).toEqual(['c2']);
      expect(next.mounts).toHaveLength(1);
    } finally {
      await plugin.stop();
    }
  });
});
