/**
 * DOCKER_VOLUME volumes through the whole engine, against dvdi's real
 * loop-device plugin, with real mounts: decoded from ContainerConfig bytes,
 * shared with the variables' requests, bound read-only where asked (a write
 * through the bind fails in the container's mount namespace), through the
 * engine, the bridge handlers (and the C++ decoder of their answer) and the
 * `dvdi` CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../src/checkpoint/file-store.js';
import { isolatorHandlers } from '../src/bridge/handlers.js';
import { prepareRequest, prepareResponse } from '../src/bridge/codec.js';
import { Isolator } from '../src/core/isolator.js';
import type { Mounter } from '../src/core/ports.js';
import { NodeHostPaths } from '../src/host/host-paths.js';
import { decodeContainerRequest } from '../src/mesos/decode.js';
import { PluginMounter } from '../src/mounters/plugin.js';
import { startPluginServer, type PluginServer } from '../src/plugin/server/server.js';
import { systemClock } from '../src/runtime/engine.js';
import { dvdiAsync } from './helpers/cli.js';
import { memoryLogger, tempRoot, type LogLine } from './helpers/harness.js';
import { cleanupUnder, loopDevicesUnder } from './helpers/loop-cleanup.js';
import { commandTaskConfig, containerInfo, dockerVolume, nestedConfig, executorInfo, commandInfo, otherVolume, RO, RW } from './helpers/mesos-volumes.js';
import { isMountpoint, mountsUnder } from './helpers/mounts.js';
import { builtFile } from './helpers/native-build.js';
import { pluginCall } from './helpers/plugin-call.js';

const PLUGIN = 'dvloop';
const SIZE: [string, string] = ['size', '64Mi'];

let root: string;
let plugins: string;
let sandbox: string;
let logs: LogLine[];
let server: PluginServer | undefined;
let mounter: Mounter | undefined;

beforeEach(async () => {
  root = tempRoot('dvdi-dockervol-');
  plugins = path.join(root, 'plugins');
  sandbox = path.join(root, 'sandbox');
  logs = [];
  mkdirSync(sandbox, { recursive: true });
  server = await startPluginServer({ name: PLUGIN, socketPath: path.join(plugins, `${PLUGIN}.sock`), root: path.join(root, 'plugin'), backend: 'loop', logger: memoryLogger([]) });
});
afterEach(async () => {
  await mounter?.close();
  mounter = undefined;
  await server?.close();
  server = undefined;
  await cleanupUnder(root);
});

async function open(): Promise<Isolator> {
  mounter = new PluginMounter({ socketDirs: [plugins], specDirs: [], mountTimeoutMs: 60_000, unmountTimeoutMs: 60_000 });
  const logger = memoryLogger(logs);
  return Isolator.open({
    mounter,
    store: new FileCheckpointStore(path.join(root, 'state', 'dvdimounts.pb'), logger),
    clock: systemClock,
    logger,
    paths: new NodeHostPaths(),
    configuredDvdcli: '/usr/bin/dvdcli',
    limits: { retryPendingMs: 60_000 },
  });
}

/** What the agent hands the isolator for a 1.5+ command task with these volumes. */
function request(containerId: string, volumes: Uint8Array[], variables: Record<string, string> = {}) {
  const config = decodeContainerRequest(commandTaskConfig('1.5+', containerInfo(...volumes), sandbox, variables));
  return { containerId, environment: config.environment, dockerVolumes: config.dockerVolumes, directory: config.directory };
}

/** The plugin's own count of mounts of a volume (all IDs). */
async function pluginMounts(name: string): Promise<number> {
  const reply = await pluginCall(path.join(plugins, `${PLUGIN}.sock`), 'VolumeDriver.Get', { Name: name });
  return (reply.body.Volume as { Status: { mounts: number } }).Status.mounts;
}

/**
 * Runs the prepare's commands as Mesos' launcher does, as root in a new mount
 * namespace, then the task's own shell line; the namespace ends with it.
 */
function inContainer(commands: readonly string[], task: string): { status: number | null; output: string } {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', [...commands, task].join(' && ')], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('DOCKER_VOLUME volumes against the real loop-device plugin', () => {
  it('shares one volume asked for both ways by two containers: mounted once, unmounted after the last', async () => {
    const iso = await open();
    const byVariables = await iso.prepare({
      containerId: 'vars',
      environment: [['DVDI_VOLUME_DRIVER', PLUGIN], ['DVDI_VOLUME_NAME', 'shared'], ['DVDI_VOLUME_OPTS', 'size=64Mi'], ['DVDI_VOLUME_CONTAINERPATH', 'data']],
      directory: sandbox,
    });
    const byDockerVolume = await iso.prepare(request('docker', [dockerVolume({ containerPath: 'vol', mode: RW, driver: PLUGIN, name: 'shared', options: [SIZE] })]));
    const mp = byVariables.mounts[0]!.mountpoint;
    expect(byDockerVolume.mounts).toEqual([{ driver: PLUGIN, name: 'shared', mountpoint: mp, containerPath: path.join(sandbox, 'vol'), shared: true }]);
    expect(mountsUnder(mp)).toEqual([mp]);
    expect(await pluginMounts('shared')).toBe(1);
    expect(iso.status()).toMatchObject([{ name: 'shared', state: 'mounted', holders: ['docker', 'vars'] }]);

    await iso.cleanup('vars');
    expect(isMountpoint(mp)).toBe(true);
    await iso.cleanup('docker');
    expect(isMountpoint(mp)).toBe(false);
    expect(await pluginMounts('shared')).toBe(0);
    expect(await loopDevicesUnder(root)).toEqual([]);
    await iso.close();
  });

  it('mounts a volume asked for both ways in one container once, bound at both paths', async () => {
    const iso = await open();
    const both = await iso.prepare(
      request('both', [dockerVolume({ containerPath: 'vol', mode: RW, driver: PLUGIN, name: 'one', options: [SIZE] })], {
        DVDI_VOLUME_DRIVER: PLUGIN,
        DVDI_VOLUME_NAME: 'one',
        DVDI_VOLUME_OPTS: 'size=64Mi',
        DVDI_VOLUME_CONTAINERPATH: 'data',
      }),
    );
    const mp = both.mounts[0]!.mountpoint;
    expect(both.mounts.map((m) => [m.containerPath, m.mountpoint])).toEqual([
      [path.join(sandbox, 'data'), mp],
      [path.join(sandbox, 'vol'), mp],
    ]);
    expect(await pluginMounts('one')).toBe(1);
    const run = inContainer(both.commands, `echo hi > '${sandbox}/vol/f' && cat '${sandbox}/data/f'`);
    expect(run).toEqual({ status: 0, output: 'hi\n' });
    await iso.cleanup('both');
    expect(isMountpoint(mp)).toBe(false);
    await iso.close();
  });

  it('binds an RO volume read-only: the task cannot write through it, the host and a RW bind still can', async () => {
    const iso = await open();
    const result = await iso.prepare(
      request('ro', [
        dockerVolume({ containerPath: 'readonly', mode: RO, driver: PLUGIN, name: 'data', options: [SIZE] }),
        dockerVolume({ containerPath: 'scratch', mode: RW, driver: PLUGIN, name: 'scratch', options: [SIZE] }),
      ]),
    );
    const [ro, rw] = result.mounts;
    expect(ro).toMatchObject({ containerPath: path.join(sandbox, 'readonly'), readOnly: true });
    expect(rw!.readOnly).toBeUndefined();
    expect(result.commands).toEqual([
      'mount --make-rslave /',
      `mount -n --rbind '${ro!.mountpoint}' '${sandbox}/readonly'`,
      `mount -n -o remount,bind,ro '${sandbox}/readonly'`,
      `mount -n --rbind '${rw!.mountpoint}' '${sandbox}/scratch'`,
    ]);
    writeFileSync(path.join(ro!.mountpoint, 'seed'), 'from the host');

    const write = inContainer(result.commands, `cat '${sandbox}/readonly/seed' && echo ok > '${sandbox}/scratch/w' && touch '${sandbox}/readonly/x'`);
    expect(write.status).not.toBe(0);
    expect(write.output).toMatch(/^from the host.*Read-only file system/s);
    expect(readFileSync(path.join(rw!.mountpoint, 'w'), 'utf8')).toBe('ok\n');
    expect(existsSync(path.join(ro!.mountpoint, 'x'))).toBe(false);
    // Only that bind is read-only: the volume itself stays writable on the host.
    writeFileSync(path.join(ro!.mountpoint, 'host-write'), 'fine');
    // The container's binds ended with its namespace.
    expect(isMountpoint(path.join(sandbox, 'readonly'))).toBe(false);

    await iso.cleanup('ro');
    expect(mountsUnder(root)).toEqual([]);
    await iso.close();
  });

  it('fails a container with a volume twice, and one bound both read-only and read-write, before mounting anything', async () => {
    const iso = await open();
    const v = (containerPath: string, mode: number) => dockerVolume({ containerPath, mode, driver: PLUGIN, name: 'twice', options: [SIZE] });
    await expect(iso.prepare(request('dup', [v('a', RW), v('b', RW)]))).rejects.toThrow(
      `DOCKER_VOLUME ${PLUGIN}/twice (volumes[1]): is also volumes[0]`,
    );
    await expect(
      iso.prepare(request('modes', [v('a', RO)], { DVDI_VOLUME_DRIVER: PLUGIN, DVDI_VOLUME_NAME: 'twice', DVDI_VOLUME_OPTS: 'size=64Mi', DVDI_VOLUME_CONTAINERPATH: 'a' })),
    ).rejects.toThrow(`container path ${sandbox}/a is asked for read-only by DOCKER_VOLUME ${PLUGIN}/twice (volumes[0]) and read-write by volume 0`);
    expect(iso.status()).toEqual([]);
    const listed = await pluginCall(path.join(plugins, `${PLUGIN}.sock`), 'VolumeDriver.List', {});
    expect(listed.body.Volumes).toEqual([]);
    await iso.close();
  });

  it('leaves volumes of other sources to Mesos', async () => {
    const iso = await open();
    const result = await iso.prepare(request('others', [otherVolume('HOST_PATH', '/srv'), otherVolume('SANDBOX_PATH', 'shared'), otherVolume('SECRET', 'token')]));
    expect(result).toEqual({ containerId: 'others', mounts: [], commands: [], mountNamespace: false });
    await iso.close();
  });

  it('answers the bridge with read_only, which the C++ decoder reads, for a nested container\'s own volume', async () => {
    const iso = await open();
    const rootExecutor = executorInfo(commandInfo(), containerInfo(dockerVolume({ containerPath: 'root', mode: RW, driver: PLUGIN, name: 'root-only', options: [SIZE] })));
    const nested = nestedConfig(containerInfo(dockerVolume({ containerPath: 'in', mode: RO, driver: PLUGIN, name: 'nested', options: [SIZE] })), rootExecutor, sandbox);
    const handlers = isolatorHandlers(iso);
    const bytes = await handlers.prepare(prepareRequest.encode({ container_id: 'parent.child', directory: sandbox, container_config: nested }));
    const answer = prepareResponse.decode(bytes);
    expect(answer.mounts).toEqual([
      { driver: PLUGIN, name: 'nested', mountpoint: expect.stringMatching(/^\//), container_path: path.join(sandbox, 'in'), shared: false, read_only: true },
    ]);
    expect(answer.commands.at(-1)).toBe(`mount -n -o remount,bind,ro '${sandbox}/in'`);
    expect(answer.mount_namespace).toBe(true);
    const cpp = spawnSync(builtFile('bridge_wire_samples'), ['decode', 'prepare'], { input: bytes, encoding: 'utf8' });
    expect(cpp.status).toBe(0);
    expect((JSON.parse(cpp.stdout) as { mounts: Array<{ read_only?: boolean }> }).mounts[0]!.read_only).toBe(true);
    expect(iso.status().map((s) => [s.name, s.holders])).toEqual([['nested', ['parent.child']]]);
    await iso.cleanup('parent.child');
    expect(mountsUnder(root)).toEqual([]);
    await iso.close();
  });

  it('takes a serialized ContainerConfig on the dvdi CLI', async () => {
    const configFile = path.join(root, 'config.pb');
    writeFileSync(
      configFile,
      commandTaskConfig('1.1-1.4', containerInfo(dockerVolume({ containerPath: 'ro', mode: RO, driver: PLUGIN, name: 'cli', options: [SIZE] })), sandbox),
    );
    const flags = ['--checkpoint', path.join(root, 'cli-state', 'dvdimounts.pb'), '--mounter', 'plugin', '--plugin-dirs', plugins, '--quiet'];
    const prepared = await dvdiAsync(['prepare', '--container-id', 'cli-1', '--container-config', configFile, ...flags]);
    expect(prepared.stderr).toBe('');
    expect(prepared.status).toBe(0);
    const out = JSON.parse(prepared.stdout) as { mounts: Array<{ mountpoint: string; readOnly?: boolean }>; commands: string[] };
    expect(out.mounts).toEqual([{ driver: PLUGIN, name: 'cli', mountpoint: expect.stringMatching(/^\//), containerPath: path.join(sandbox, 'ro'), shared: false, readOnly: true }]);
    expect(inContainer(out.commands, `touch '${sandbox}/ro/x'`).output).toMatch(/Read-only file system/);
    expect(isMountpoint(out.mounts[0]!.mountpoint)).toBe(true);
    const cleaned = await dvdiAsync(['cleanup', '--container-id', 'cli-1', ...flags]);
    expect(cleaned.status).toBe(0);
    expect(isMountpoint(out.mounts[0]!.mountpoint)).toBe(false);
  });
});
