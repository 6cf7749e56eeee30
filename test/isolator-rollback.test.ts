import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, env } from './helpers/harness.js';
import { isMountpoint } from './helpers/mounts.js';
import { waitFor } from './helpers/cli.js';
import { processAlive } from '../src/util/process-alive.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => h.dispose());

/**
 * A mount timeout that the fake dvdcli (a Node program) surely outlives only by hanging: it has
 * started, logged its call and, when told, mounted well before it, even on a busy machine.
 */
const STARTED_BY_TIMEOUT_MS = 3_000;

const threeVolumes = env({ DVDI_VOLUME_NAME: 'one', DVDI_VOLUME_NAME1: 'two', DVDI_VOLUME_NAME2: 'three' });

describe('all-or-nothing prepare', () => {
  it('releases every volume it mounted, in reverse order, and unmounts them after the call, when the last mount fails', async () => {
    h.dvdcli.behave({ 'mount:three': 'fail', 'mount:one': 'ok', 'mount:two': 'gate' });
    const iso = await h.open();
    const failure = iso.prepare({ containerId: 'c1', environment: threeVolumes, directory: h.sandbox });
    // `two` finishes mounting only once the isolator holds `one`: the order is fixed, not a race of timers.
    await waitFor(() => h.logs.some((l) => l.line.startsWith('mounted volume') && /volume=one\b/.test(l.line)), 'the mount of one');
    h.dvdcli.open('mount', 'two');
    await expect(failure).rejects.toThrow(/mount of rexray\/three failed: .*refused by the plugin.*unmounting rexray\/two, rexray\/one in the background/);
    // `two` finished mounting last, so it is released first.
    expect(h.logged('rolling back').map((l) => /volume=(\w+)/.exec(l.line)?.[1])).toEqual(['two', 'one']);
    await iso.settle();
    const calls = h.dvdcli.calls();
    expect(calls.filter((c) => c.op === 'unmount').map((c) => c.volumename).sort()).toEqual(['one', 'two']);
    const mountOrder = calls.filter((c) => c.op === 'mount').map((c) => c.volumename);
    expect(mountOrder.sort()).toEqual(['one', 'three', 'two']);
    for (const name of ['one', 'two', 'three']) expect(isMountpoint(h.dvdcli.mountpoint('rexray', name))).toBe(false);
    expect(iso.status()).toEqual([]);
    expect(h.logged('rolling back')).toHaveLength(2);
  });

  it('keeps going when a rollback unmount fails, and keeps that volume pending', async () => {
    h.dvdcli.behave({ 'mount:three': 'exit2', 'unmount:one': 'fail' });
    const iso = await h.open();
    const failure = iso.prepare({ containerId: 'c1', environment: threeVolumes, directory: h.sandbox });
    await expect(failure).rejects.toThrow(/panic: runtime error.*unmounting .* in the background/);
    await iso.settle();
    expect(h.dvdcli.calls().filter((c) => c.op === 'unmount').map((c) => c.volumename).sort()).toEqual(['one', 'two']);
    expect(iso.status().map((s) => [s.name, s.state, s.holders])).toEqual([['one', 'unmount-pending', []]]);
  });

  it('does not unmount a volume another container still uses when rolling back', async () => {
    h.dvdcli.behave({ 'mount:three': 'fail' });
    const iso = await h.open();
    await iso.prepare({ containerId: 'c0', environment: env({ DVDI_VOLUME_NAME: 'one' }), directory: h.sandbox });
    await expect(iso.prepare({ containerId: 'c1', environment: threeVolumes, directory: h.sandbox })).rejects.toThrow();
    await iso.settle();
    expect(h.dvdcli.calls().filter((c) => c.op === 'unmount').map((c) => c.volumename)).toEqual(['two']);
    expect(isMountpoint(h.dvdcli.mountpoint('rexray', 'one'))).toBe(true);
    expect(iso.status().map((s) => [s.name, s.holders])).toEqual([['one', ['c0']]]);
  });

  it.each([
    ['empty', /did not print an absolute mountpoint|printed 0 lines/],
    ['exit0-garbage', /did not print an absolute mountpoint.*unknown flag/],
    ['exit2', /exited with status 2.*panic/],
    ['two-lines', /printed 2 lines/],
  ])('treats a dvdcli that answers %s as a failed mount', async (how, message) => {
    h.dvdcli.behave({ mount: how });
    const iso = await h.open();
    await expect(iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox })).rejects.toThrow(message);
    await iso.settle();
    expect(iso.status()).toEqual([]);
  });

  it('kills a hung dvdcli and its process group at the mount timeout', async () => {
    h.dvdcli.behave({ mount: 'hang' });
    const iso = await h.open(h.mounter({ mountTimeoutMs: STARTED_BY_TIMEOUT_MS }));
    await expect(iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox })).rejects.toThrow(
      /timed out and was killed/,
    );
    await iso.settle();
    const pid = h.dvdcli.calls()[0]!.pid as number;
    // The killed dvdcli is a grandchild (under timeout(1)): init reaps it, within moments.
    await waitFor(() => !processAlive(pid), 'the killed dvdcli to be gone', 5_000);
    expect(h.dvdcli.calls().map((c) => c.op)).toEqual(['mount', 'unmount']);
    expect(iso.status()).toEqual([]);
  });

  it('undoes a mount that completed after its timeout', async () => {
    h.dvdcli.behave({ mount: 'mount-then-hang' });
    const iso = await h.open(h.mounter({ mountTimeoutMs: STARTED_BY_TIMEOUT_MS }));
    const mp = h.dvdcli.mountpoint('rexray', 'v');
    await expect(iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox })).rejects.toThrow(
      /timed out/,
    );
    await iso.settle();
    expect(isMountpoint(mp)).toBe(false);
    expect(h.logged('mount may have completed after its failure')).toHaveLength(1);
    expect(iso.status()).toEqual([]);
  });

  it('keeps a timed-out mount pending when its undo is refused and the volume is mounted', async () => {
    h.dvdcli.behave({ mount: 'mount-then-hang', unmount: 'fail' });
    const iso = await h.open(h.mounter({ mountTimeoutMs: STARTED_BY_TIMEOUT_MS }));
    await expect(iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox })).rejects.toThrow(
      /timed out/,
    );
    await iso.settle();
    expect(iso.status()).toMatchObject([{ name: 'v', state: 'unmount-pending', holders: [] }]);
    expect(iso.status()[0]!.error).toMatch(/checked: .* is mounted/);
  });

  it('resolves a timed-out mount whose undo is refused when nothing is mounted', async () => {
    h.dvdcli.behave({ mount: 'hang', unmount: 'fail' });
    const iso = await h.open(h.mounter({ mountTimeoutMs: 500 }));
    await expect(iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox })).rejects.toThrow(
      /timed out/,
    );
    await iso.settle();
    expect(iso.status()).toEqual([]);
    expect(h.logged('unmount was refused, but the volume is not mounted')).toHaveLength(1);
  });

  it('fails with a clear message when the dvdcli binary is missing', async () => {
    const { DvdcliMounter } = await import('../src/mounters/dvdcli.js');
    const iso = await h.open(new DvdcliMounter({ binary: '/nonexistent/dvdcli', mountTimeoutMs: 1000, unmountTimeoutMs: 1000 }));
    await expect(iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox })).rejects.toThrow(
      /cannot run \/nonexistent\/dvdcli: .*No such file/,
    );
    expect(iso.status()).toEqual([]);
  });

  it('rolls back a mount whose checkpoint write fails, leaving memory and disk in step', async () => {
    const { FileCheckpointStore } = await import('../src/checkpoint/file-store.js');
    const { Isolator } = await import('../src/core/isolator.js');
    const { NodeHostPaths } = await import('../src/host/host-paths.js');
    const { systemClock } = await import('../src/runtime/engine.js');
    const file = new FileCheckpointStore(h.checkpoint, h.logger);
    let saves = 0;
    // The second save records the mountpoint after the mount: the disk is full by then.
    const store = {
      location: file.location,
      load: () => file.load(),
      save: async (records: Parameters<typeof file.save>[0]) => {
        if (++saves === 2) throw new Error('ENOSPC: no space left on device');
        await file.save(records);
      },
    };
    const iso = await Isolator.open({
      mounter: h.mounter(),
      store,
      clock: systemClock,
      logger: h.logger,
      paths: new NodeHostPaths(),
      configuredDvdcli: h.dvdcli.binary,
      limits: { retryPendingMs: 60_000 },
    });
    await expect(iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox })).rejects.toThrow(/ENOSPC/);
    await iso.settle();
    expect(isMountpoint(h.dvdcli.mountpoint('rexray', 'v'))).toBe(false);
    expect(iso.status()).toEqual([]);
    expect(await file.load()).toEqual([]);
  });
});
