/**
 * A failed prepare through the CLI is all-or-nothing when the command exits:
 * it undoes what it mounted before exiting, and says what failed, what was
 * undone and what stays pending. The embedded runtime still undoes in the
 * background, without making the agent wait.
 */
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PrepareError } from '../src/core/errors.js';
import { Isolator, type IsolatorLimits } from '../src/core/isolator.js';
import { MounterError, type CheckpointStore, type Clock, type MountRecord, type Mounter, type VolumePresence } from '../src/core/ports.js';
import { describeVolume } from '../src/core/volume.js';
import { NodeHostPaths } from '../src/host/host-paths.js';
import { PLUGIN_CONTENT_TYPE } from '../src/plugin/protocol.js';
import { startPluginServer, type PluginServer } from '../src/plugin/server/server.js';
import { dvdiAsync } from './helpers/cli.js';
import { env, memoryLogger, tempRoot, type LogLine } from './helpers/harness.js';
import { cleanupUnder, loopDevicesUnder } from './helpers/loop-cleanup.js';
import { isMountpoint, mountsUnder } from './helpers/mounts.js';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('undoPrepare, with fake parts', () => {
  /** Time moves only when the test says: the prepare deadline strikes exactly when fired. */
  class ManualClock implements Clock {
    private timers: Array<() => void> = [];
    now(): number {
      return Date.now();
    }
    schedule(_ms: number, fn: () => void): () => void {
      this.timers.push(fn);
      return () => void (this.timers = this.timers.filter((t) => t !== fn));
    }
    fire(): void {
      const due = this.timers;
      this.timers = [];
      for (const fn of due) fn();
    }
  }

  /** A mounter whose answers each test scripts; records every call as `op name mountId`. */
  class ScriptedMounter implements Mounter {
    readonly kind = 'fake';
    readonly calls: string[] = [];
    mountWith: (name: string) => Promise<string> = async (name) => `/mnt/${name}`;
    unmountWith: (name: string) => Promise<void> = async () => undefined;
    presence: VolumePresence = { state: 'mounted', detail: 'the volume is mounted' };
    mount(req: { name: string; mountId: string }): Promise<string> {
      this.calls.push(`mount ${req.name} ${req.mountId}`);
      return this.mountWith(req.name);
    }
    unmount(req: { name: string; mountId: string }): Promise<void> {
      this.calls.push(`unmount ${req.name} ${req.mountId}`);
      return this.unmountWith(req.name);
    }
    async probe(): Promise<VolumePresence> {
      return this.presence;
    }
    async close(): Promise<void> {}
  }

  const twoVolumes = env({ DVDI_VOLUME_DRIVER: 'fake', DVDI_VOLUME_NAME: 'one', DVDI_VOLUME_DRIVER1: 'fake', DVDI_VOLUME_NAME1: 'two' });
  let root: string;
  let logs: LogLine[];
  let clock: ManualClock;
  let mounter: ScriptedMounter;
  beforeEach(() => {
    root = tempRoot('dvdi-undo-');
    logs = [];
    clock = new ManualClock();
    mounter = new ScriptedMounter();
  });
  afterEach(() => cleanupUnder(root));

  function open(limits: Partial<IsolatorLimits>): Promise<Isolator> {
    let saved: MountRecord[] = [];
    const store: CheckpointStore = {
      location: 'memory',
      load: async () => [...saved],
      save: async (records) => void (saved = [...records]),
    };
    const logger = memoryLogger(logs);
    return Isolator.open({ mounter, store, clock, logger, paths: new NodeHostPaths(), configuredDvdcli: '/usr/bin/dvdcli', limits });
  }

  const unmounts = () => mounter.calls.filter((c) => c.startsWith('unmount')).sort();

  it('waits for a prepare abandoned at its deadline, whose mount completes afterwards, then unmounts all it mounted', async () => {
    const twoStarted = deferred();
    const twoMounted = deferred<string>();
    // Like a plugin that finishes the mount whatever the caller does: the deadline's abort is ignored.
    mounter.mountWith = async (name) => {
      if (name !== 'two') return `/mnt/${name}`;
      twoStarted.resolve();
      return twoMounted.promise;
    };
    const iso = await open({ prepareTimeoutMs: 5_000, retryPendingMs: 0 });
    const failure = iso.prepare({ containerId: 'c1', environment: twoVolumes, directory: root });
    await twoStarted.promise;
    clock.fire();
    await expect(failure).rejects.toBeInstanceOf(PrepareError);
    await expect(failure).rejects.toMatchObject({ reason: 'timed out after 5 s', message: expect.stringMatching(/released after the call$/) });

    let finished = false;
    const undo = iso.undoPrepare('c1').then((r) => ((finished = true), r));
    // Every promise that can settle without the mount of `two` has settled by now.
    await new Promise((r) => setImmediate(r));
    expect(finished).toBe(false);
    expect(unmounts()).toEqual([]);
    expect(iso.status().map((s) => [s.name, s.state, s.holders])).toEqual([
      ['one', 'mounted', ['c1']],
      ['two', 'mounting', ['c1']],
    ]);

    twoMounted.resolve('/mnt/two');
    const releases = await undo;
    expect(releases.map((r) => [describeVolume(r.volume), r.unmounted, r.error]).sort()).toEqual([
      ['fake/one', true, undefined],
      ['fake/two', true, undefined],
    ]);
    expect(unmounts()).toEqual(['unmount one c1', 'unmount two c1']);
    expect(iso.status()).toEqual([]);
    await iso.close();
  });

  it('keeps pending, with its error, an undo the plugin refuses while the volume is still mounted', async () => {
    mounter.mountWith = async (name) => {
      if (name === 'two') throw new MounterError('cannot mount fake/two', 'no such volume', false, true);
      return `/mnt/${name}`;
    };
    mounter.unmountWith = async () => {
      throw new MounterError('cannot unmount fake/one', 'device is busy', false, true);
    };
    const iso = await open({ retryPendingMs: 0 });
    const failure = iso.prepare({ containerId: 'c1', environment: twoVolumes, directory: root });
    await expect(failure).rejects.toThrow(/failed: mount of fake\/two failed: .*no such volume; unmounting fake\/one after the call$/);
    const reason = await failure.catch((e: PrepareError) => e.reason);
    expect(reason).toMatch(/^mount of fake\/two failed: .*no such volume$/);
    // Nothing happens in the background of a host without one.
    expect(unmounts()).toEqual([]);

    const releases = await iso.undoPrepare('c1');
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({ volume: { driver: 'fake', name: 'one' }, unmounted: false });
    expect(releases[0]!.error).toMatch(/device is busy \(checked: the volume is mounted\)/);
    expect(iso.status()).toMatchObject([{ name: 'one', state: 'unmount-pending', holders: [] }]);
    // Asked again, it tries again; a volume another container holds is never touched.
    mounter.unmountWith = async () => undefined;
    expect((await iso.undoPrepare('c1')).map((r) => r.unmounted)).toEqual([true]);
    expect(await iso.undoPrepare('c1')).toEqual([]);
    expect(iso.status()).toEqual([]);
    await iso.close();
  });

  it('still answers a long-running host at once and unmounts in the background', async () => {
    const unmountStarted = deferred();
    const unmountDone = deferred();
    mounter.mountWith = async (name) => {
      if (name === 'two') throw new MounterError('cannot mount fake/two', 'no such volume', false, true);
      return `/mnt/${name}`;
    };
    mounter.unmountWith = async () => {
      unmountStarted.resolve();
      await unmountDone.promise;
    };
    const iso = await open({ retryPendingMs: 30_000 });
    // The unmount cannot finish before the test lets it: the prepare answers without waiting for it.
    await expect(iso.prepare({ containerId: 'c1', environment: twoVolumes, directory: root })).rejects.toThrow(
      /unmounting fake\/one in the background/,
    );
    await unmountStarted.promise;
    expect(iso.status()).toMatchObject([{ name: 'one', state: 'unmount-pending' }]);
    unmountDone.resolve();
    await iso.settle();
    expect(unmounts()).toEqual(['unmount one c1']);
    expect(iso.status()).toEqual([]);
    await iso.close();
  });
});

interface ProxiedCall {
  readonly method: string;
  readonly name: string;
  readonly id: string;
  /** The answer's HTTP status, once answered. */
  status?: number;
}

/** Stands between dvdi and the real plugin: records every call and refuses those a test names. */
class PluginProxy {
  readonly calls: ProxiedCall[] = [];
  readonly refusals: Array<{ method: string; name: string; err: string }> = [];

  private constructor(private readonly server: http.Server) {}

  static async start(socket: string, upstream: string): Promise<PluginProxy> {
    let proxy: PluginProxy | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => proxy!.forward(req.url ?? '', Buffer.concat(chunks), res, upstream));
    });
    proxy = new PluginProxy(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, resolve);
    });
    return proxy;
  }

  callsOf(method: string, name: string) {
    return this.calls.filter((c) => c.method === method && c.name === name);
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    return closed;
  }

  private forward(url: string, body: Buffer, res: http.ServerResponse, upstream: string): void {
    const method = url.replace(/^\//, '');
    let fields: { Name?: string; ID?: string } = {};
    try {
      fields = JSON.parse(body.toString('utf8') || '{}') as typeof fields;
    } catch {
      // Activate has no body.
    }
    const call: ProxiedCall = { method, name: fields.Name ?? '', id: fields.ID ?? '' };
    this.calls.push(call);
    const answer = (status: number, payload: string) => {
      call.status = status;
      res.writeHead(status, { 'Content-Type': PLUGIN_CONTENT_TYPE });
      res.end(payload);
    };
    const refusal = this.refusals.find((r) => r.method === method && r.name === call.name);
    if (refusal) return answer(500, JSON.stringify({ Err: refusal.err }));
    const ask = http.request(
      { socketPath: upstream, path: url, method: 'POST', headers: { 'Content-Type': PLUGIN_CONTENT_TYPE, 'Content-Length': body.length } },
      (reply) => {
        const parts: Buffer[] = [];
        reply.on('data', (c: Buffer) => parts.push(c));
        reply.on('end', () => answer(reply.statusCode ?? 502, Buffer.concat(parts).toString('utf8')));
      },
    );
    ask.on('error', (e) => answer(502, JSON.stringify({ Err: e.message })));
    ask.end(body);
  }
}

describe('dvdi prepare (the CLI) against a real plugin that refuses the second volume', () => {
  const PLUGIN = 'itest';
  let root: string;
  let checkpoint: string;
  let server: PluginServer | undefined;
  let proxy: PluginProxy | undefined;

  beforeEach(async () => {
    root = tempRoot('dvdi-cli-undo-');
    checkpoint = path.join(root, 'state', 'dvdimounts.pb');
    for (const dir of ['plugins', 'upstream', 'sandbox']) mkdirSync(path.join(root, dir), { recursive: true });
    // dvdi's own plugin, loop backend: volume `good` is a real ext4 filesystem on a loop device.
    const upstream = path.join(root, 'upstream', `${PLUGIN}.sock`);
    server = await startPluginServer({ name: PLUGIN, socketPath: upstream, root: path.join(root, 'plugin'), backend: 'loop', logger: memoryLogger([]) });
    proxy = await PluginProxy.start(path.join(root, 'plugins', `${PLUGIN}.sock`), upstream);
  });
  afterEach(async () => {
    await proxy?.close();
    await server?.close();
    await cleanupUnder(root);
  });

  const flags = () => ['--checkpoint', checkpoint, '--mounter', 'plugin', '--plugin-dirs', path.join(root, 'plugins'), '--unmount-timeout', '30'];

  /** Volume 1 mounts; the plugin refuses volume 2 (an option its backend does not take). */
  const goodThenBad = () => [
    ...['--env', `DVDI_VOLUME_DRIVER=${PLUGIN}`, '--env', 'DVDI_VOLUME_NAME=good', '--env', 'DVDI_VOLUME_OPTS=size=64Mi'],
    ...['--env', `DVDI_VOLUME_DRIVER1=${PLUGIN}`, '--env', 'DVDI_VOLUME_NAME1=bad', '--env', 'DVDI_VOLUME_OPTS1=colour=blue'],
  ];

  async function prepare(envFlags: string[]) {
    const r = await dvdiAsync(['prepare', '--container-id', 'c1', '--directory', path.join(root, 'sandbox'), ...envFlags, ...flags()]);
    // Log lines carry a timestamp and a level; the error is the one line that starts with `dvdi:`.
    return { ...r, errors: r.stderr.split('\n').filter((l) => l.startsWith('dvdi: ')) };
  }

  async function status(): Promise<unknown> {
    const r = await dvdiAsync(['status', '--json', '--checkpoint', checkpoint]);
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout);
  }

  it('exits 1 with nothing left mounted, saying what failed and what it undid', async () => {
    const r = await prepare(goodThenBad());
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^dvdi: prepare of container "c1" failed: mount of itest\/bad failed: .*unknown option colour.*; undone: itest\/good \(unmounted\)$/);
    expect(r.errors[0]).not.toMatch(/background|pending/);
    // Volume 1 was really mounted, then unmounted with the ID it was mounted with.
    expect(proxy!.callsOf('VolumeDriver.Mount', 'good')).toMatchObject([{ id: 'c1', status: 200 }]);
    expect(proxy!.callsOf('VolumeDriver.Unmount', 'good')).toMatchObject([{ id: 'c1', status: 200 }]);
    expect(proxy!.callsOf('VolumeDriver.Mount', 'bad')).toEqual([]);
    expect(await status()).toEqual([]);
    expect(mountsUnder(root)).toEqual([]);
    expect(await loopDevicesUnder(root)).toEqual([]);
  });

  it('keeps pending, and reports, what the plugin refuses to unmount; the next recover unmounts it', async () => {
    proxy!.refusals.push({ method: 'VolumeDriver.Unmount', name: 'good', err: 'device is busy' });
    const r = await prepare(goodThenBad());
    expect(r.status).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /^dvdi: prepare of container "c1" failed: mount of itest\/bad failed: .*unknown option colour.*; still pending \(retried by the next cleanup or recover\): itest\/good: .*device is busy \(checked: .*\)$/,
    );
    expect(r.errors[0]).not.toMatch(/undone/);
    expect(await status()).toMatchObject([{ driver: PLUGIN, name: 'good', state: 'unmount-pending', holders: [] }]);
    const [mountpoint] = mountsUnder(root);
    expect(mountpoint).toBeDefined();
    expect(isMountpoint(mountpoint!)).toBe(true);

    proxy!.refusals.length = 0;
    const recovered = await dvdiAsync(['recover', '--quiet', ...flags()]);
    expect(recovered.status).toBe(0);
    expect(JSON.parse(recovered.stdout)).toEqual({ kept: [], unmounted: [`${PLUGIN}/good`], pending: [] });
    expect(mountsUnder(root)).toEqual([]);
    expect(await status()).toEqual([]);
  });

  it('says nothing was undone when the plugin refuses the only volume', async () => {
    const r = await prepare(['--env', `DVDI_VOLUME_DRIVER=${PLUGIN}`, '--env', 'DVDI_VOLUME_NAME=bad', '--env', 'DVDI_VOLUME_OPTS=colour=blue', '--quiet']);
    expect(r.status).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(/^dvdi: prepare of container "c1" failed: mount of itest\/bad failed: .*; nothing was undone: nothing had been mounted$/)]);
    expect(proxy!.callsOf('VolumeDriver.Unmount', 'bad')).toEqual([]);
    expect(await status()).toEqual([]);
  });
});
