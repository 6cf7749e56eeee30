/**
 * Taking over from Mesos' in-tree docker/volume isolator: its checkpoint
 * directory, written in its exact format (`<dir>/<ContainerID.value>/volumes`,
 * `DockerVolumes` as JSON), for volumes really mounted the way it mounts them
 * (`dvdcli mount`, here dvdi's dvdcli against dvdi's loop-device plugin). dvdi
 * imports it once when its engine opens, keeps the running containers'
 * volumes (a nested container's too, recorded by its own value), unmounts the
 * gone ones', shares a taken-over volume with a new container, and unmounts
 * it after its last user, through either mounter.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DVDCLI_MOUNT_ID } from '../src/cli/volume.js';
import { TAKEN_OVER_MOUNT_ID } from '../src/checkpoint/docker-volume-import.js';
import { FileCheckpointStore } from '../src/checkpoint/file-store.js';
import type { MountRecord } from '../src/core/ports.js';
import { adoptNestedIds } from '../src/core/records.js';
import { applyParameters, DEFAULT_SETTINGS, DOCKER_VOLUME_CHECKPOINT_DIR } from '../src/config/settings.js';
import type { Engine } from '../src/runtime/engine.js';
import { openEngine } from '../src/runtime/engine.js';
import { decodeContainerRequest } from '../src/mesos/decode.js';
import { startPluginServer, type PluginServer } from '../src/plugin/server/server.js';
import { DVDCLI_ENTRY, dvdiAsync } from './helpers/cli.js';
import { memoryLogger, tempRoot, type LogLine } from './helpers/harness.js';
import { cleanupUnder, loopDevicesUnder } from './helpers/loop-cleanup.js';
import { commandTaskConfig, containerInfo, dockerVolume, RW } from './helpers/mesos-volumes.js';
import { isMountpoint, mountsUnder } from './helpers/mounts.js';
import { pluginCall } from './helpers/plugin-call.js';

const PLUGIN = 'dvtake';

let root: string;
let plugins: string;
let dockerDir: string;
let checkpoint: string;
let sandbox: string;
let dvdcli: string;
let logs: LogLine[];
let server: PluginServer | undefined;
let engines: Engine[];

beforeEach(async () => {
  root = tempRoot('dvdi-takeover-');
  plugins = path.join(root, 'plugins');
  dockerDir = path.join(root, 'docker-volume');
  checkpoint = path.join(root, 'state', 'dvdimounts.pb');
  sandbox = path.join(root, 'sandbox');
  logs = [];
  engines = [];
  mkdirSync(sandbox, { recursive: true });
  // dvdi's dvdcli, as the in-tree isolator runs `dvdcli` from the agent's PATH.
  dvdcli = path.join(root, 'bin', 'dvdcli');
  mkdirSync(path.dirname(dvdcli), { recursive: true });
  writeFileSync(dvdcli, `#!/bin/sh\nDVDI_PLUGIN_SOCKET_DIRS='${plugins}' exec '${process.execPath}' '${DVDCLI_ENTRY}' "$@"\n`);
  chmodSync(dvdcli, 0o755);
  server = await startPluginServer({ name: PLUGIN, socketPath: path.join(plugins, `${PLUGIN}.sock`), root: path.join(root, 'plugin'), backend: 'loop', logger: memoryLogger([]) });
});
afterEach(async () => {
  for (const e of engines) {
    await e.isolator.close();
    await e.mounter.close();
  }
  await server?.close();
  server = undefined;
  await cleanupUnder(root);
});

/**
 * What the in-tree isolator does in prepare: checkpoint the container's
 * volumes, then `dvdcli mount` each (not blocking: the plugin serves from this process).
 */
async function inTreePrepare(containerValue: string, names: string[]): Promise<string[]> {
  const dir = path.join(dockerDir, containerValue);
  mkdirSync(dir, { recursive: true });
  // stout's JSON::protobuf of mesos.internal.slave.DockerVolumes, stringified.
  writeFileSync(path.join(dir, 'volumes'), JSON.stringify({ volumes: names.map((name) => ({ driver: PLUGIN, name })) }));
  const mountpoints: string[] = [];
  for (const name of names) {
    const { stdout } = await promisify(execFile)(dvdcli, ['mount', `--volumedriver=${PLUGIN}`, `--volumename=${name}`, '--volumeopts=size=64Mi'], { encoding: 'utf8' });
    mountpoints.push(stdout.trim());
  }
  return mountpoints;
}

function settings(mounter: 'plugin' | 'dvdcli') {
  return applyParameters(DEFAULT_SETTINGS, [
    ['checkpoint', checkpoint],
    ['docker_volume_checkpoint_dir', dockerDir],
    ['mounter', mounter],
    ['dvdcli', dvdcli],
    ['plugin_dirs', plugins],
    ['mount_timeout', '60'],
    ['unmount_timeout', '60'],
  ]);
}

async function openAs(mounter: 'plugin' | 'dvdcli'): Promise<Engine> {
  const engine = await openEngine(settings(mounter), memoryLogger(logs), { retryPendingMs: 60_000 });
  engines.push(engine);
  return engine;
}

async function mountIds(name: string): Promise<number> {
  const reply = await pluginCall(path.join(plugins, `${PLUGIN}.sock`), 'VolumeDriver.Get', { Name: name });
  return (reply.body.Volume as { Status: { mounts: number } }).Status.mounts;
}

describe('records of nested containers named by their own value', () => {
  const record = (containerId: string, name: string, state: MountRecord['state'] = 'mounted'): MountRecord => ({
    containerId, driver: 'd', name, mountpoint: '', options: '', containerPath: '', dvdcliPath: '', explicitCreate: false, state, mountId: 'dvdcli', error: '',
  });

  it('go to every known nested container with that value, and only to them', () => {
    const records = [record('task', 'a'), record('top', 'b'), record('gone', 'c'), record('task', 'p', 'unmount-pending'), record('e1.task', 'a')];
    const { records: out, renamed } = adoptNestedIds(records, new Set(['top', 'e1.task', 'e2.task', 'e2.task.debug']));
    expect(out.map((r) => `${r.containerId} ${r.name} ${r.state}`)).toEqual([
      // e1.task holds `a` already through a record of its own: not doubled.
      'e2.task a mounted',
      'top b mounted',
      'gone c mounted',
      'task p unmount-pending',
      'e1.task a mounted',
    ]);
    expect(renamed).toEqual([
      { from: 'task', to: 'e1.task' },
      { from: 'task', to: 'e2.task' },
    ]);
  });
});

describe("taking over Mesos' docker/volume isolator", () => {
  it('defaults to the agent\'s default checkpoint directory, and records the ID dvdi\'s dvdcli mounts with', () => {
    expect(DEFAULT_SETTINGS.dockerVolumeCheckpointDir).toBe('/var/run/mesos/isolators/docker/volume');
    expect(DOCKER_VOLUME_CHECKPOINT_DIR).toBe(DEFAULT_SETTINGS.dockerVolumeCheckpointDir);
    expect(applyParameters(DEFAULT_SETTINGS, [['docker_volume_checkpoint_dir', '']]).dockerVolumeCheckpointDir).toBe('');
    expect(() => applyParameters(DEFAULT_SETTINGS, [['docker_volume_checkpoint_dir', 'relative/dir']])).toThrow(/parameter docker_volume_checkpoint_dir: expected a normalised absolute path/);
    expect(TAKEN_OVER_MOUNT_ID).toBe(DVDCLI_MOUNT_ID);
  });

  it.each(['plugin', 'dvdcli'] as const)('keeps running containers\' volumes and unmounts the gone ones\', through the %s mounter', async (kind) => {
    const [live] = await inTreePrepare('c-live', ['live']);
    const [gone] = await inTreePrepare('c-gone', ['gone']);
    // A task of a task group (1.5+): its directory is named by its own value.
    const [nested] = await inTreePrepare('task-1', ['nested']);
    writeFileSync(path.join(live!, 'data'), 'written under docker/volume');
    // 1.11 leaves an empty file after a hard reboot, or a directory without one.
    mkdirSync(path.join(dockerDir, 'c-empty'));
    writeFileSync(path.join(dockerDir, 'c-empty', 'volumes'), '');
    mkdirSync(path.join(dockerDir, 'c-none'));
    mkdirSync(path.join(dockerDir, 'c-bad'));
    writeFileSync(path.join(dockerDir, 'c-bad', 'volumes'), '{"volumes": [');

    const { isolator } = await openAs(kind);
    expect(logs.find((l) => l.line.startsWith('took over'))?.line).toContain(
      `took over 3 mount record(s) of 4 container(s) from Mesos' docker/volume isolator in ${dockerDir}: c-gone: ${PLUGIN}/gone, c-live: ${PLUGIN}/live, task-1: ${PLUGIN}/nested`,
    );
    expect(logs.some((l) => l.level === 'ERROR' && l.line.includes(`cannot take over ${dockerDir}/c-bad/volumes`))).toBe(true);
    for (const c of ['c-live', 'c-gone', 'task-1', 'c-empty']) {
      expect(existsSync(path.join(dockerDir, c, 'volumes'))).toBe(false);
      expect(existsSync(path.join(dockerDir, c, 'volumes.imported-by-dvdi'))).toBe(true);
    }
    expect(readFileSync(path.join(dockerDir, 'c-bad', 'volumes'), 'utf8')).toBe('{"volumes": [');
    const records = await new FileCheckpointStore(checkpoint, memoryLogger([])).load();
    expect(records.map((r) => [r.containerId, r.name, r.state, r.mountpoint, r.mountId]).sort()).toEqual([
      ['c-gone', 'gone', 'mounted', '', 'dvdcli'],
      ['c-live', 'live', 'mounted', '', 'dvdcli'],
      ['task-1', 'nested', 'mounted', '', 'dvdcli'],
    ]);

    const report = await isolator.recover(['c-live', 'executor-1.task-1'], []);
    expect(report.kept).toEqual(['c-live', 'executor-1.task-1']);
    expect(report.releasing).toEqual([`${PLUGIN}/gone`]);
    await isolator.settle();
    expect(isMountpoint(gone!)).toBe(false);
    expect(await mountIds('gone')).toBe(0);
    expect(isMountpoint(live!)).toBe(true);
    expect(isMountpoint(nested!)).toBe(true);
    expect(isolator.status().map((s) => [s.name, s.holders])).toEqual([
      ['live', ['c-live']],
      ['nested', ['executor-1.task-1']],
    ]);

    // A new task wants the taken-over volume: its mountpoint, never recorded, is looked up once.
    const config = decodeContainerRequest(commandTaskConfig('1.5+', containerInfo(dockerVolume({ containerPath: 'v', mode: RW, driver: PLUGIN, name: 'live' })), sandbox));
    const next = await isolator.prepare({ containerId: 'c-next', ...config });
    expect(next.mounts).toEqual([{ driver: PLUGIN, name: 'live', mountpoint: live, containerPath: path.join(sandbox, 'v'), shared: true }]);
    expect(execFileSync('unshare', ['-m', 'sh', '-c', [...next.commands, `cat '${sandbox}/v/data'`].join(' && ')], { encoding: 'utf8' })).toBe('written under docker/volume');
    expect(await mountIds('live')).toBe(1);

    await isolator.cleanup('c-live');
    expect(isMountpoint(live!)).toBe(true);
    await isolator.cleanup('c-next');
    expect(isMountpoint(live!)).toBe(false);
    await isolator.cleanup('executor-1.task-1');
    expect(isMountpoint(nested!)).toBe(false);
    expect(await mountIds('live')).toBe(0);
    expect(await mountIds('nested')).toBe(0);
    expect(isolator.status()).toEqual([]);
    expect(await loopDevicesUnder(root)).toEqual([]);

    // Once: the renamed files are not read again.
    logs.length = 0;
    await openAs(kind);
    expect(logs.some((l) => l.line.startsWith('took over'))).toBe(false);
  });

  it('adds the take-over to the checkpoint of an agent that ran dvdi alongside, once even if it crashed before renaming', async () => {
    const { isolator } = await openAs('plugin');
    const own = await isolator.prepare({ containerId: 'dvdi-own', environment: [['DVDI_VOLUME_DRIVER', PLUGIN], ['DVDI_VOLUME_NAME', 'both'], ['DVDI_VOLUME_OPTS', 'size=64Mi']], directory: sandbox });
    await isolator.close();
    await engines[0]!.mounter.close();
    engines = [];
    const [mp] = await inTreePrepare('c-tree', ['both']);
    expect(mp).toBe(own.mounts[0]!.mountpoint);
    // As if the agent died after the checkpoint was written but before the file was renamed: imported again, not doubled.
    const file = path.join(dockerDir, 'c-tree', 'volumes');
    const text = readFileSync(file, 'utf8');
    await openAs('plugin');
    writeFileSync(file, text);
    const { isolator: again } = await openAs('plugin');
    expect(logs.filter((l) => l.line.startsWith('took over')).map((l) => l.line.split(':')[0])).toEqual([
      `took over 1 mount record(s) of 1 container(s) from Mesos' docker/volume isolator in ${dockerDir}`,
      `took over 0 mount record(s) of 1 container(s) from Mesos' docker/volume isolator in ${dockerDir}`,
    ]);
    // The volume dvdi mounted itself gives the taken-over record its mountpoint.
    expect(again.status()).toMatchObject([{ name: 'both', mountpoint: mp, holders: ['c-tree', 'dvdi-own'] }]);
    await again.recover(['dvdi-own', 'c-tree'], []);
    await again.cleanup('c-tree');
    expect(isMountpoint(mp!)).toBe(true);
    await again.cleanup('dvdi-own');
    // Both isolators mounted it, dvdi with its first user's ID and docker/volume through dvdcli: dvdi unmounts it once,
    // with its own ID, so the plugin keeps docker/volume's mount (as docker/volume would have left dvdi's). By hand:
    expect(await mountIds('both')).toBe(1);
    expect(isMountpoint(mp!)).toBe(true);
    await promisify(execFile)(dvdcli, ['unmount', `--volumedriver=${PLUGIN}`, '--volumename=both']);
    expect(isMountpoint(mp!)).toBe(false);
  });

  it('is done by `dvdi recover` with the directory given, as the agent\'s restart does it', async () => {
    const [live] = await inTreePrepare('c-live', ['live']);
    const [gone] = await inTreePrepare('c-gone', ['gone']);
    const config = path.join(root, 'dvdi.json');
    writeFileSync(config, JSON.stringify({ checkpoint, docker_volume_checkpoint_dir: dockerDir, dvdcli }));
    const r = await dvdiAsync(['recover', '--config', config, '--alive', 'c-live']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/WARN  dvdi: took over 2 mount record\(s\) of 2 container\(s\) from Mesos' docker\/volume isolator/);
    expect(JSON.parse(r.stdout)).toEqual({ kept: ['c-live'], unmounted: [`${PLUGIN}/gone`], pending: [] });
    expect(isMountpoint(gone!)).toBe(false);
    expect(isMountpoint(live!)).toBe(true);
    const c = await dvdiAsync(['cleanup', '--config', config, '--container-id', 'c-live']);
    expect(c.status).toBe(0);
    expect(isMountpoint(live!)).toBe(false);
    expect(mountsUnder(root)).toEqual([]);
  });
});
