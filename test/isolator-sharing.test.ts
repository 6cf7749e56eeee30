import { mkdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, env } from './helpers/harness.js';
import { isMountpoint } from './helpers/mounts.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => h.dispose());

const shared = env({ DVDI_VOLUME_NAME: 'shared' });

describe('volumes shared by several containers', () => {
  it('mounts on the first user and unmounts after the last', async () => {
    const iso = await h.open();
    const first = await iso.prepare({ containerId: 'a', environment: shared, directory: h.sandbox });
    const second = await iso.prepare({ containerId: 'b', environment: shared, directory: h.sandbox });
    expect(first.mounts[0]!.shared).toBe(false);
    expect(second.mounts[0]).toMatchObject({ shared: true, mountpoint: first.mounts[0]!.mountpoint });
    expect(h.dvdcli.calls().filter((c) => c.op === 'mount')).toHaveLength(1);

    await iso.cleanup('a');
    expect(h.dvdcli.calls().filter((c) => c.op === 'unmount')).toHaveLength(0);
    expect(isMountpoint(first.mounts[0]!.mountpoint)).toBe(true);
    expect(iso.status()[0]!.holders).toEqual(['b']);

    await iso.cleanup('b');
    expect(h.dvdcli.calls().filter((c) => c.op === 'unmount')).toHaveLength(1);
    expect(isMountpoint(first.mounts[0]!.mountpoint)).toBe(false);
    expect(iso.status()).toEqual([]);
  });

  it('mounts once when many containers prepare the same volume at once', async () => {
    h.dvdcli.behave({ mount: 'slow:200' });
    const iso = await h.open();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((id) => iso.prepare({ containerId: id, environment: shared, directory: h.sandbox })),
    );
    expect(h.dvdcli.calls().filter((c) => c.op === 'mount')).toHaveLength(1);
    expect(results.filter((r) => !r.mounts[0]!.shared)).toHaveLength(1);
    expect(iso.status()[0]!.holders).toEqual(['a', 'b', 'c', 'd']);
  });

  it('treats the exact (driver, name) pair as the identity', async () => {
    const iso = await h.open();
    await iso.prepare({ containerId: 'a', environment: env({ DVDI_VOLUME_NAME: 'Data' }), directory: h.sandbox });
    await iso.prepare({ containerId: 'b', environment: env({ DVDI_VOLUME_NAME: 'data' }), directory: h.sandbox });
    await iso.prepare({ containerId: 'c', environment: env({ DVDI_VOLUME_NAME: 'data', DVDI_VOLUME_DRIVER: 'other' }), directory: h.sandbox });
    expect(h.dvdcli.calls().filter((c) => c.op === 'mount')).toHaveLength(3);
  });

  it('gives every sharing container its own bind', async () => {
    const iso = await h.open();
    const a = await iso.prepare({ containerId: 'a', environment: env({ DVDI_VOLUME_NAME: 's', DVDI_VOLUME_CONTAINERPATH: 'vol' }), directory: h.sandbox });
    const other = `${h.sandbox}-b`;
    mkdirSync(other);
    const b = await iso.prepare({ containerId: 'b', environment: env({ DVDI_VOLUME_NAME: 's', DVDI_VOLUME_CONTAINERPATH: 'vol' }), directory: other });
    expect(a.commands[1]).toContain(`'${h.sandbox}/vol'`);
    expect(b.commands[1]).toContain(`'${other}/vol'`);
  });
});

describe('cleanup', () => {
  it('succeeds and does nothing for an unknown container', async () => {
    const iso = await h.open();
    expect(await iso.cleanup('nobody')).toEqual([]);
    expect(h.dvdcli.calls()).toEqual([]);
  });

  it('keeps a failed unmount pending, reports it, and carries it out on a later retry', async () => {
    const iso = await h.open();
    await iso.prepare({ containerId: 'a', environment: env({ DVDI_VOLUME_NAME: 'sticky' }), directory: h.sandbox });
    h.dvdcli.behave({ unmount: 'fail' });
    await expect(iso.cleanup('a')).rejects.toThrow(/unmount of rexray\/sticky failed \(kept pending, will retry\): .*refused/);
    expect(iso.status()).toMatchObject([{ name: 'sticky', state: 'unmount-pending', holders: [] }]);
    expect(isMountpoint(h.dvdcli.mountpoint('rexray', 'sticky'))).toBe(true);

    h.dvdcli.behave({});
    await iso.prepare({ containerId: 'b', environment: env({ DVDI_VOLUME_NAME: 'other' }), directory: h.sandbox });
    await iso.cleanup('b');
    await iso.retryPending();
    expect(iso.status()).toEqual([]);
    expect(isMountpoint(h.dvdcli.mountpoint('rexray', 'sticky'))).toBe(false);
  });

  it('refuses to mount over a pending unmount that fails again, until the operator forgets it', async () => {
    const iso = await h.open();
    await iso.prepare({ containerId: 'a', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox });
    h.dvdcli.behave({ unmount: 'fail' });
    await expect(iso.cleanup('a')).rejects.toThrow();
    await expect(iso.prepare({ containerId: 'b', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox })).rejects.toThrow(
      /cannot be mounted: its earlier unmount is still pending and failed again .*dvdi forget/,
    );
    // Each refused unmount is followed by a look at the volume, which is still mounted.
    expect(h.dvdcli.calls().map((c) => c.op)).toEqual(['mount', 'unmount', 'path', 'unmount', 'path']);
    expect(iso.status()).toMatchObject([{ name: 'v', state: 'unmount-pending', holders: [] }]);

    h.dvdcli.dispose();
    expect(await iso.forget({ driver: 'rexray', name: 'v' })).toBe(true);
    expect(h.logged('forgot a pending unmount')).toHaveLength(1);
    h.dvdcli.behave({});
    await iso.prepare({ containerId: 'b', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox });
    await expect(iso.forget({ driver: 'rexray', name: 'v' })).rejects.toThrow(/in use by b/);
  });

  it('retries a pending unmount before mounting the volume again', async () => {
    const iso = await h.open();
    await iso.prepare({ containerId: 'a', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox });
    h.dvdcli.behave({ unmount: 'fail' });
    await expect(iso.cleanup('a')).rejects.toThrow();
    h.dvdcli.behave({});
    await iso.prepare({ containerId: 'b', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox });
    expect(h.dvdcli.calls().map((c) => c.op)).toEqual(['mount', 'unmount', 'path', 'unmount', 'mount']);
    expect(iso.status()).toMatchObject([{ name: 'v', state: 'mounted', holders: ['b'] }]);
  });
});
