/**
 * The bundle (dist/dvdi-runtime.cjs) as the embedded runtime loads it, under
 * this Node: `start(bridge)` with a JavaScript object keeping the binding's
 * contract (the native binding itself is tested with the addon), in front of
 * the real isolator, dvdi's loop-device plugin and real mounts.
 */
import { mkdtemp, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Binding, BridgeLogLevel, CallDeadlines, CallHandlers } from '../src/bridge/binding.js';
import { cleanupRequest, cleanupResponse, prepareRequest, prepareResponse, recoverRequest, recoverResponse } from '../src/bridge/codec.js';
import type { Logger } from '../src/core/ports.js';
import { readMountInfo } from '../src/plugin/server/mountinfo.js';
import { startPluginServer, type PluginServer } from '../src/plugin/server/server.js';
import { cleanupUnder } from './helpers/loop-cleanup.js';
import { concat, messageField, stringField } from './helpers/wire.js';

const PLUGIN = 'dvdi-bundle';
const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const { start } = createRequire(import.meta.url)('../dist/dvdi-runtime.cjs') as { start(bridge: Binding): Promise<void> };

/** What the runtime would learn from the bundle through the binding. */
interface Started {
  readonly handlers?: CallHandlers;
  readonly deadlines?: CallDeadlines;
  readonly failure?: string;
  readonly logs: Array<[BridgeLogLevel, string]>;
}

async function startBundle(parameters: Array<[string, string]>): Promise<Started> {
  const logs: Array<[BridgeLogLevel, string]> = [];
  let handlers: CallHandlers | undefined;
  let deadlines: CallDeadlines | undefined;
  let failure: string | undefined;
  await start({
    parameters: () => parameters,
    log: (level, line) => logs.push([level, line]),
    register: (h) => (handlers = h),
    ready: (d) => (deadlines = d),
    fail: (message) => (failure = message),
  });
  return { handlers, deadlines, failure, logs };
}

/** A serialized mesos.ExecutorInfo whose command carries these variables. */
function executorInfo(env: Record<string, string>): Uint8Array {
  const variables = Object.entries(env).map(([name, value]) => messageField(1, stringField(1, name), stringField(2, value)));
  return concat(messageField(1, stringField(1, 'executor')), messageField(7, messageField(2, ...variables)));
}

async function isMounted(dir: string): Promise<boolean> {
  return (await readMountInfo()).some((m) => m.mountPoint === dir);
}

describe('the runtime bundle, started through the binding contract', () => {
  let work: string;
  let plugin: PluginServer;
  let started: Started;

  beforeAll(async () => {
    work = await realpath(await mkdtemp(path.join(os.tmpdir(), 'dvdi-bundle-')));
    plugin = await startPluginServer({
      name: PLUGIN,
      socketPath: path.join(work, 'plugins', `${PLUGIN}.sock`),
      root: path.join(work, 'plugin-root'),
      backend: 'loop',
      logger: silent,
    });
    started = await startBundle([
      ['checkpoint', path.join(work, 'checkpoint', 'dvdimounts.pb')],
      ['mounter', 'plugin'],
      ['plugin_socket_dirs', path.join(work, 'plugins')],
      ['mount_timeout', '30'],
      // Read by the native runtime; the bundle accepts it.
      ['heap_limit', '128'],
    ]);
  });

  afterAll(async () => {
    await plugin?.close();
    await cleanupUnder(work);
  });

  it('opens the isolator and reports deadlines derived from the timeouts', () => {
    expect(started.failure).toBeUndefined();
    expect(started.deadlines).toEqual({ recover: 60_000, prepare: 35_000, cleanup: 605_000, status: 1_000 });
    expect(started.logs).toContainEqual([0, expect.stringMatching(/^isolator open checkpoint=.* mounter=plugin$/)]);
  });

  it('recovers, prepares a volume with a real mount, and cleans it up', async () => {
    const handlers = started.handlers!;
    const recovered = recoverResponse.decode(await handlers.recover(recoverRequest.encode({ alive: [], orphans: [] })));
    expect(recovered).toEqual({ kept: [], releasing: [], pending: [] });

    const sandbox = path.join(work, 'sandbox');
    const request = prepareRequest.encode({
      container_id: 'c1',
      executor_info: executorInfo({ DVDI_VOLUME_DRIVER: PLUGIN, DVDI_VOLUME_NAME: 'v1', DVDI_VOLUME_OPTS: 'size=16M', DVDI_VOLUME_CONTAINERPATH: 'data' }),
      directory: sandbox,
    });
    const prepared = prepareResponse.decode(await handlers.prepare(request));
    expect(prepared.mount_namespace).toBe(true);
    expect(prepared.commands).toEqual(['mount --make-rslave /', `mount -n --rbind '${prepared.mounts[0]!.mountpoint}' '${sandbox}/data'`]);
    expect(prepared.mounts).toEqual([
      expect.objectContaining({ driver: PLUGIN, name: 'v1', container_path: `${sandbox}/data`, shared: false }),
    ]);
    expect(await isMounted(prepared.mounts[0]!.mountpoint)).toBe(true);

    const released = cleanupResponse.decode(await handlers.cleanup(cleanupRequest.encode({ container_id: 'c1' })));
    expect(released).toEqual({ released: [{ driver: PLUGIN, name: 'v1', unmounted: true }] });
    expect(await isMounted(prepared.mounts[0]!.mountpoint)).toBe(false);
    expect(started.logs.some(([level, line]) => level === 0 && /containerId=c1/.test(line))).toBe(true);
  });

  it('prepares a nested container (Mesos 1.1+) from its ContainerConfig: its own command_info\'s variables, its own sandbox', async () => {
    const handlers = started.handlers!;
    const sandbox = path.join(work, 'executor-sandbox', 'tasks', 'task-1');
    const variables = [
      ['DVDI_VOLUME_DRIVER', PLUGIN], ['DVDI_VOLUME_NAME', 'nested'], ['DVDI_VOLUME_OPTS', 'size=16M'], ['DVDI_VOLUME_CONTAINERPATH', 'data'],
    ].map(([name, value]) => messageField(1, stringField(1, name!), stringField(2, value!)));
    // ContainerConfig: directory = 3, command_info = 11 (CommandInfo: environment = 2, value = 3); no executor.
    const config = concat(stringField(3, sandbox), messageField(11, messageField(2, ...variables), stringField(3, 'sleep 1000')));
    const prepared = prepareResponse.decode(
      await handlers.prepare(prepareRequest.encode({ container_id: 'top.task-1', container_config: config, directory: sandbox })),
    );
    expect(prepared.mounts).toEqual([expect.objectContaining({ name: 'nested', container_path: `${sandbox}/data` })]);
    expect(await isMounted(prepared.mounts[0]!.mountpoint)).toBe(true);
    const released = cleanupResponse.decode(await handlers.cleanup(cleanupRequest.encode({ container_id: 'top.task-1' })));
    expect(released.released).toEqual([{ driver: PLUGIN, name: 'nested', unmounted: true }]);
    await expect(
      handlers.prepare(prepareRequest.encode({ container_id: 'c4', directory: work })),
    ).rejects.toThrow(/neither a ContainerConfig nor an ExecutorInfo/);
  });

  it('fails a call with the isolator message or the decoding error', async () => {
    const handlers = started.handlers!;
    const hostile = prepareRequest.encode({ container_id: 'c2', executor_info: executorInfo({ DVDI_VOLUME_NAME: '../etc' }), directory: work });
    await expect(handlers.prepare(hostile)).rejects.toThrow(/DVDI_VOLUME_NAME/);
    await expect(handlers.prepare(Uint8Array.from([0x0a, 0x09]))).rejects.toThrow(/cannot decode PrepareRequest/);
    await expect(
      handlers.prepare(prepareRequest.encode({ container_id: 'c3', executor_info: Uint8Array.from([0x3a, 0x05]), directory: work })),
    ).rejects.toThrow(/cannot decode Mesos ExecutorInfo/);
  });

  it('fails the start, without registering, on a bad or unknown parameter', async () => {
    const bad = await startBundle([['mounter', 'docker']]);
    expect(bad.failure).toMatch(/parameter mounter/);
    expect(bad.handlers).toBeUndefined();
    expect(bad.deadlines).toBeUndefined();
    const unknown = await startBundle([['mount_timout', '5']]);
    expect(unknown.failure).toMatch(/unknown parameter "mount_timout"/);
  });

  it('uses call_timeout for the recover, prepare and cleanup deadlines', async () => {
    const timed = await startBundle([
      ['checkpoint', path.join(work, 'checkpoint-2', 'dvdimounts.pb')],
      ['call_timeout', '7'],
    ]);
    expect(timed.failure).toBeUndefined();
    expect(timed.deadlines).toEqual({ recover: 7_000, prepare: 7_000, cleanup: 7_000, status: 1_000 });
  });
});
