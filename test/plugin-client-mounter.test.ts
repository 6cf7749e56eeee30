import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import os from 'node:os';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginMounter, type PluginMounterSettings } from '../src/mounters/plugin.js';
import { MounterError, type MountRequest } from '../src/core/ports.js';
import { Method } from '../src/plugin/protocol.js';
import { TestPlugin } from './helpers/test-plugin.js';

let tmp: string;
let socketDir: string;
let plugin: TestPlugin;
const mounters: PluginMounter[] = [];

function mounter(settings: Partial<PluginMounterSettings> = {}): PluginMounter {
  const m = new PluginMounter({
    socketDirs: [socketDir],
    specDirs: [join(tmp, 'specs')],
    mountTimeoutMs: 5000,
    unmountTimeoutMs: 5000,
    connectRetryMs: 1000,
    ...settings,
  });
  mounters.push(m);
  return m;
}

function request(overrides: Partial<MountRequest> = {}): MountRequest {
  return { driver: 'testdrv', name: 'vol1', options: [['size', '5']], explicitCreate: false, mountId: 'container-1', ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<MounterError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MounterError);
  return err as MounterError;
}

beforeEach(async () => {
  tmp = await mkdtemp(join(os.tmpdir(), 'dvdi-plugin-mounter-'));
  socketDir = join(tmp, 'run');
  await mkdir(socketDir);
  plugin = await TestPlugin.start(join(socketDir, 'testdrv.sock'), join(tmp, 'root'));
});

afterEach(async () => {
  await Promise.all(mounters.splice(0).map((m) => m.close()));
  await plugin.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('plugin mounter', () => {
  it('creates a missing volume with the task options, then mounts it with the mount ID', async () => {
    const m = mounter();
    expect(m.kind).toBe('plugin');
    const options: MountRequest['options'] = [['size', '5'], ['type', 'io1']];
    expect(await m.mount(request({ options }))).toBe(plugin.mountpointOf('vol1'));
    expect(plugin.calls.map((c) => c.method)).toEqual([Method.Activate, Method.Get, Method.Create, Method.Mount]);
    expect(plugin.bodiesOf(Method.Create)).toEqual([{ Name: 'vol1', Opts: { size: '5', type: 'io1' } }]);
    expect(plugin.bodiesOf(Method.Mount)).toEqual([{ Name: 'vol1', ID: 'container-1' }]);
    expect(plugin.mountIds('vol1')).toEqual(['container-1']);
  });

  it('does not create a volume that exists', async () => {
    await plugin.addVolume('vol1');
    await mounter().mount(request());
    expect(plugin.calls.map((c) => c.method)).toEqual([Method.Activate, Method.Get, Method.Mount]);
  });

  it('does not create a missing volume when explicit create is set: Mount refuses it, as with dvdcli', async () => {
    const err = await failure(mounter().mount(request({ explicitCreate: true })));
    expect(err.message).toBe('cannot mount testdrv/vol1: plugin "testdrv" VolumeDriver.Mount: volume vol1 not found');
    expect(err.uncertain).toBe(false);
    expect(plugin.callsOf(Method.Create)).toHaveLength(0);
    expect(plugin.callsOf(Method.Mount)).toHaveLength(1);
  });

  it('mounts an existing volume when explicit create is set', async () => {
    await plugin.addVolume('vol1');
    expect(await mounter().mount(request({ explicitCreate: true }))).toBe(plugin.mountpointOf('vol1'));
  });

  it('unmounts with the ID it mounted with, leaving a counting plugin balanced', async () => {
    const m = mounter();
    await m.mount(request({ mountId: 'first-container' }));
    await m.unmount({ driver: 'testdrv', name: 'vol1', mountId: 'first-container' });
    expect(plugin.bodiesOf(Method.Unmount)).toEqual([{ Name: 'vol1', ID: 'first-container' }]);
    expect(plugin.mountIds('vol1')).toEqual([]);
  });

  it('keeps one activated connection per plugin across calls', async () => {
    const m = mounter();
    await m.mount(request({ name: 'a' }));
    await m.mount(request({ name: 'b' }));
    await m.unmount({ driver: 'testdrv', name: 'a', mountId: 'container-1' });
    expect(plugin.callsOf(Method.Activate)).toHaveLength(1);
    expect(plugin.connections).toBe(1);
  });

  it('carries the plugin error text', async () => {
    plugin.script(Method.Mount, { kind: 'error500', err: 'device busy' });
    const err = await failure(mounter().mount(request()));
    expect(err.message).toBe('cannot mount testdrv/vol1: plugin "testdrv" VolumeDriver.Mount: device busy');
    expect(err.detail).toBe('plugin "testdrv" VolumeDriver.Mount: device busy');
    plugin.script(Method.Unmount, { kind: 'error200', err: 'not mounted' });
    const unmountErr = await failure(mounter().unmount({ driver: 'testdrv', name: 'vol1', mountId: 'x' }));
    expect(unmountErr.detail).toBe('plugin "testdrv" VolumeDriver.Unmount: not mounted');
  });

  it('refuses an unusable mountpoint and undoes the mount', async () => {
    await plugin.addVolume('vol1');
    plugin.script(Method.Mount, { kind: 'raw', status: 200, body: '{"Mountpoint":"relative/dir","Err":""}' });
    const err = await failure(mounter().mount(request()));
    expect(err.message).toBe('cannot mount testdrv/vol1: plugin "testdrv" VolumeDriver.Mount returned a relative mountpoint "relative/dir"');
    expect(plugin.bodiesOf(Method.Unmount)).toEqual([{ Name: 'vol1', ID: 'container-1' }]);
    plugin.script(Method.Mount, { kind: 'raw', status: 200, body: '{"Err":""}' });
    expect((await failure(mounter().mount(request()))).detail).toBe('plugin "testdrv" VolumeDriver.Mount returned no mountpoint');
  });

  it('refuses a plugin that is not a volume driver', async () => {
    plugin.script(Method.Activate, { kind: 'notVolumeDriver' });
    const err = await failure(mounter().mount(request()));
    expect(err.detail).toContain('not a volume plugin');
    expect(plugin.callsOf(Method.Get)).toHaveLength(0);
  });

  it('applies the mount timeout to the whole sequence', async () => {
    await plugin.addVolume('vol1');
    // Each call alone fits in the timeout, both together do not (timers never fire early, so Get + Mount
    // always exceed it); Get answers with ample room to spare before it, even on a busy machine.
    plugin.script(Method.Get, { kind: 'slow', ms: 150 });
    plugin.script(Method.Mount, { kind: 'slow', ms: 1_400 });
    const err = await failure(mounter({ mountTimeoutMs: 1_500 }).mount(request()));
    expect(err.message).toBe('cannot mount testdrv/vol1: plugin "testdrv" VolumeDriver.Mount: the mount timeout of 1500 ms expired');
  });

  it('applies the unmount timeout to a plugin that never answers', async () => {
    plugin.script(Method.Unmount, { kind: 'hang' });
    // Long enough for the Unmount to reach the plugin (in this process) before it, on a busy machine.
    const err = await failure(mounter({ unmountTimeoutMs: 1_000 }).unmount({ driver: 'testdrv', name: 'vol1', mountId: 'c' }));
    expect(err.message).toBe('cannot unmount testdrv/vol1: plugin "testdrv" VolumeDriver.Unmount: the unmount timeout of 1000 ms expired');
    expect(plugin.callsOf(Method.Unmount)).toHaveLength(1);
  });

  it('does not create a volume when Get gets no answer', async () => {
    plugin.script(Method.Get, { kind: 'hang' });
    await failure(mounter({ mountTimeoutMs: 200 }).mount(request()));
    expect(plugin.callsOf(Method.Create)).toHaveLength(0);
  });

  it('reports a plugin that does not exist', async () => {
    const err = await failure(mounter({ connectRetryMs: 200 }).mount(request({ driver: 'nosuch' })));
    expect(err.message).toMatch(/^cannot mount nosuch\/vol1: plugin "nosuch" not found \(looked in .*nosuch\.sock/);
  });

  it('waits briefly for a plugin whose socket is being recreated', async () => {
    await plugin.stop();
    // The budget only bounds the wait: the mount goes on as soon as the socket is back, 150 ms on.
    const m = mounter({ connectRetryMs: 15_000 });
    const pending = m.mount(request());
    setTimeout(() => void plugin.restart(), 150);
    expect(await pending).toBe(plugin.mountpointOf('vol1'));
  });

  it('refuses work once closed', async () => {
    const m = mounter();
    await m.close();
    expect((await failure(m.mount(request()))).detail).toBe('the plugin mounter is closed');
  });
});
