import { mkdirSync, statSync, chmodSync, chownSync, symlinkSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, env } from './helpers/harness.js';
import { isMountpoint } from './helpers/mounts.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => h.dispose());

describe('prepare', () => {
  it('mounts every requested volume with the original flags and returns binds', async () => {
    const iso = await h.open();
    const target = path.join(h.root, 'existing-target');
    mkdirSync(target);
    const result = await iso.prepare({
      containerId: 'c1',
      environment: env({
        DVDI_VOLUME_NAME: 'data',
        DVDI_VOLUME_DRIVER: 'rexray/ebs:latest',
        DVDI_VOLUME_OPTS: 'size=5,iops=100',
        DVDI_VOLUME_CONTAINERPATH: target,
        DVDI_VOLUME_NAME12: 'logs',
        DVDI_VOLUME_EXPLICITCREATE12: 'true',
      }),
      directory: h.sandbox,
    });
    const data = h.dvdcli.mountpoint('rexray/ebs:latest', 'data');
    const logs = h.dvdcli.mountpoint('rexray', 'logs');
    expect(result.mounts).toEqual([
      { driver: 'rexray/ebs:latest', name: 'data', mountpoint: data, containerPath: target, shared: false },
      { driver: 'rexray', name: 'logs', mountpoint: logs, containerPath: '', shared: false },
    ]);
    expect(result.commands).toEqual(['mount --make-rslave /', `mount -n --rbind '${data}' '${target}'`]);
    expect(result.mountNamespace).toBe(true);
    expect(isMountpoint(data) && isMountpoint(logs)).toBe(true);
    const calls = h.dvdcli.calls();
    expect(calls).toContainEqual(
      expect.objectContaining({ op: 'mount', volumedriver: 'rexray/ebs:latest', volumename: 'data', volumeopts: ['size=5', 'iops=100'] }),
    );
    expect(calls.find((c) => c.volumename === 'logs')).toMatchObject({ explicitcreate: 'true', volumeopts: [] });
    expect(calls.find((c) => c.volumename === 'data')?.explicitcreate).toBeUndefined();
    expect(iso.status().map((s) => [s.name, s.state, s.holders])).toEqual([
      ['logs', 'mounted', ['c1']],
      ['data', 'mounted', ['c1']],
    ]);
  });

  it('needs no mount namespace when no container path is asked for', async () => {
    const iso = await h.open();
    const result = await iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox });
    expect(result.commands).toEqual([]);
    expect(result.mountNamespace).toBe(false);
  });

  it('returns an empty result and mounts nothing without DVDI variables', async () => {
    const iso = await h.open();
    const result = await iso.prepare({ containerId: 'c1', environment: env({ PATH: '/bin', DVDI_VOLUME_NAMESPACE: 'x' }), directory: h.sandbox });
    expect(result).toEqual({ containerId: 'c1', mounts: [], commands: [], mountNamespace: false });
    expect(h.dvdcli.calls()).toEqual([]);
  });

  it('refuses a second prepare of the same container', async () => {
    const iso = await h.open();
    await iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox });
    await expect(iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'w' }), directory: h.sandbox })).rejects.toThrow(
      /already prepared/,
    );
    expect(h.dvdcli.calls().filter((c) => c.op === 'mount')).toHaveLength(1);
  });

  it('quotes paths with single quotes in the returned commands', async () => {
    const iso = await h.open();
    const result = await iso.prepare({
      containerId: 'c1',
      environment: env({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_CONTAINERPATH: 'data/in-sandbox' }),
      directory: path.join(h.sandbox),
    });
    const target = path.join(h.sandbox, 'data/in-sandbox');
    expect(result.commands[1]).toBe(`mount -n --rbind '${h.dvdcli.mountpoint('rexray', 'v')}' '${target}'`);
    expect(statSync(target).isDirectory()).toBe(true);
  });

  it('creates a missing container path under /tmp/ and refuses a missing one elsewhere', async () => {
    const iso = await h.open();
    const tmpTarget = path.join(h.root, 'made', 'here');
    expect(tmpTarget.startsWith('/tmp/')).toBe(true);
    await iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'a', DVDI_VOLUME_CONTAINERPATH: tmpTarget }), directory: h.sandbox });
    expect(existsSync(tmpTarget)).toBe(true);
    await expect(
      iso.prepare({ containerId: 'c2', environment: env({ DVDI_VOLUME_NAME: 'b', DVDI_VOLUME_CONTAINERPATH: '/var/dvdi-missing-target' }), directory: h.sandbox }),
    ).rejects.toThrow(/does not exist/);
    expect(h.dvdcli.calls().filter((c) => c.volumename === 'b')).toEqual([]);
  });

  it('refuses two volumes bound to the same place, even written differently', async () => {
    const iso = await h.open();
    await expect(
      iso.prepare({
        containerId: 'c1',
        environment: env({ DVDI_VOLUME_NAME: 'a', DVDI_VOLUME_CONTAINERPATH: 'data', DVDI_VOLUME_NAME1: 'b', DVDI_VOLUME_CONTAINERPATH1: `${h.sandbox}/data` }),
        directory: h.sandbox,
      }),
    ).rejects.toThrow(/volumes 0 and 1 are both bound to .*\/data/);
    expect(h.dvdcli.calls()).toEqual([]);
  });

  it('refuses nested binds, which a symbolic link in the outer volume could redirect', async () => {
    const iso = await h.open();
    await expect(
      iso.prepare({
        containerId: 'c1',
        environment: env({ DVDI_VOLUME_NAME: 'a', DVDI_VOLUME_CONTAINERPATH: 'a', DVDI_VOLUME_NAME1: 'a', DVDI_VOLUME_CONTAINERPATH1: 'a/b' }),
        directory: h.sandbox,
      }),
    ).rejects.toThrow(/container path .*\/a\/b is inside container path .*\/a; binds must not nest/);
    expect(h.dvdcli.calls()).toEqual([]);
  });

  it('gives the directories it creates, and so a fresh volume, to the owner of the sandbox', async () => {
    const iso = await h.open();
    chownSync(h.sandbox, 4321, 8765);
    const result = await iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'a', DVDI_VOLUME_CONTAINERPATH: 'deep/data' }), directory: h.sandbox });
    for (const p of [path.join(h.sandbox, 'deep'), path.join(h.sandbox, 'deep/data'), result.mounts[0]!.mountpoint]) {
      expect([statSync(p).uid, statSync(p).gid]).toEqual([4321, 8765]);
    }
  });

  it('refuses a container path through a symbolic link, before mounting anything', async () => {
    const iso = await h.open();
    symlinkSync('/etc', path.join(h.sandbox, 'link'));
    await expect(
      iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'a', DVDI_VOLUME_CONTAINERPATH: 'link/x' }), directory: h.sandbox }),
    ).rejects.toThrow(/symbolic link/);
    expect(h.dvdcli.calls()).toEqual([]);
    expect(existsSync('/etc/x')).toBe(false);
  });

  it('gives a newly mounted volume the owner and mode of its container path', async () => {
    const iso = await h.open();
    const target = path.join(h.root, 'owned');
    mkdirSync(target);
    chownSync(target, 1234, 5678);
    chmodSync(target, 0o750);
    const result = await iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'a', DVDI_VOLUME_CONTAINERPATH: target }), directory: h.sandbox });
    const s = statSync(result.mounts[0]!.mountpoint);
    expect([s.uid, s.gid, s.mode & 0o7777]).toEqual([1234, 5678, 0o750]);
  });

  it('honours DVDI_VOLUME_DVDCLI only when it names the configured binary', async () => {
    const iso = await h.open();
    await iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'a', DVDI_VOLUME_DVDCLI: h.dvdcli.binary }), directory: h.sandbox });
    await expect(
      iso.prepare({ containerId: 'c2', environment: env({ DVDI_VOLUME_NAME: 'b', DVDI_VOLUME_DVDCLI: '/bin/sh' }), directory: h.sandbox }),
    ).rejects.toThrow(/operator/);
    expect(h.dvdcli.calls().map((c) => c.volumename)).toEqual(['a']);
  });

  it('logs each mount once with container, driver and volume', async () => {
    const iso = await h.open();
    await iso.prepare({ containerId: 'c1', environment: env({ DVDI_VOLUME_NAME: 'a' }), directory: h.sandbox });
    const mounted = h.logged('mounted volume');
    expect(mounted).toHaveLength(1);
    expect(mounted[0]!.line).toMatch(/containerId=c1 driver=rexray volume=a mountpoint=/);
  });
});
