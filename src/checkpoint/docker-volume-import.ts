import { readdir, readFile, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { messageOf } from '../core/errors.js';
import type { Logger, MountRecord } from '../core/ports.js';
import { isHolding, recordKey } from '../core/records.js';
import { describeVolume, volumeKey, type VolumeId } from '../core/volume.js';
import { validateDriverName, validateVolumeName } from '../spec/names.js';
import { FileCheckpointStore } from './file-store.js';

/*
 * Taking over from Mesos' in-tree `docker/volume` isolator (1.0-1.11). It
 * checkpoints, per container, the volumes it mounted through dvdcli in
 * `<dir>/<ContainerID.value>/volumes`: `mesos.internal.slave.DockerVolumes`
 * (`repeated DockerVolume volumes = 1`, each `required string driver = 1,
 * name = 2`) written as JSON by `JSON::protobuf`, for example
 * `{"volumes":[{"driver":"rexray","name":"pgdata"}]}`; 1.11 reads an empty
 * file as no volume yet. The directory is named by the container's own value
 * only: a nested container's parents are not in it (recover matches it to
 * the running container, see `adoptNestedIds`).
 */

/** The mount ID recorded for a taken-over volume: the one dvdi's own dvdcli (`dvdi volume`) sends. */
export const TAKEN_OVER_MOUNT_ID = 'dvdcli';

const VOLUMES_FILE = 'volumes';
const KEPT_SUFFIX = '.imported-by-dvdi';

interface Found {
  readonly file: string;
  readonly containerId: string;
  readonly volumes: VolumeId[];
}

/** The volumes of one checkpoint file; throws on anything that is not the isolator's format. */
export function parseDockerVolumes(text: string): VolumeId[] {
  if (text.trim() === '') return [];
  const doc = JSON.parse(text) as unknown;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a JSON object');
  const list = (doc as { volumes?: unknown }).volumes ?? [];
  if (!Array.isArray(list)) throw new Error('"volumes" is not an array');
  return list.map((v: unknown, i) => {
    const { driver, name } = (v ?? {}) as { driver?: unknown; name?: unknown };
    if (typeof driver !== 'string' || typeof name !== 'string') throw new Error(`volumes[${i}] lacks a string driver and name`);
    return { driver, name };
  });
}

/**
 * Reads every container's checkpoint under `dir` once, adds its volumes to
 * dvdi's checkpoint as mounted by that container (no mountpoint: the
 * isolator recorded none; mount ID `TAKEN_OVER_MOUNT_ID`), then renames each
 * file it read to `volumes.imported-by-dvdi`, so the next start finds
 * nothing. The checkpoint is written before any rename, and a record dvdi
 * already has is not added twice, so a crash in between only repeats the
 * import. An unreadable file is logged and left in place; nothing here fails
 * the start. Returns how many records were added.
 */
export async function importDockerVolumeCheckpoints(dir: string, checkpointFile: string, logger: Logger): Promise<number> {
  const found = await readCheckpoints(dir, logger);
  if (found.length === 0) return 0;
  const store = new FileCheckpointStore(checkpointFile, logger);
  const records = await store.load();
  const held = new Set(records.filter(isHolding).map((r) => `${r.containerId}\u0000${recordKey(r)}`));
  const added: MountRecord[] = [];
  for (const { containerId, volumes } of found) {
    for (const v of volumes) {
      if (held.has(`${containerId}\u0000${volumeKey(v)}`)) continue;
      // A volume dvdi mounted itself for another container: its mountpoint is known.
      const known = records.find((r) => isHolding(r) && recordKey(r) === volumeKey(v) && r.mountpoint !== '');
      added.push({
        containerId,
        driver: v.driver,
        name: v.name,
        mountpoint: known?.mountpoint ?? '',
        options: '',
        containerPath: '',
        dvdcliPath: '',
        explicitCreate: false,
        state: 'mounted',
        mountId: TAKEN_OVER_MOUNT_ID,
        error: '',
      });
      held.add(`${containerId}\u0000${volumeKey(v)}`);
    }
  }
  if (added.length > 0) await store.save([...records, ...added]);
  for (const { file } of found) {
    await rename(file, `${file}${KEPT_SUFFIX}`).catch((e: unknown) =>
      logger.error(`cannot rename ${file} after taking it over; it will be read again at the next start: ${messageOf(e)}`),
    );
  }
  logger.warn(
    `took over ${added.length} mount record(s) of ${found.length} container(s) from Mesos' docker/volume isolator in ${dir}: ` +
      `${added.map((r) => `${r.containerId}: ${describeVolume(r)}`).join(', ') || 'none new'} (its files are kept as <container>/${VOLUMES_FILE}${KEPT_SUFFIX})`,
    { checkpoint: checkpointFile },
  );
  return added.length;
}

async function readCheckpoints(dir: string, logger: Logger): Promise<Found[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') logger.error(`cannot read docker/volume's checkpoint directory ${dir}; nothing taken over: ${messageOf(e)}`);
    return [];
  }
  const found: Found[] = [];
  for (const containerId of entries) {
    const file = path.join(dir, containerId, VOLUMES_FILE);
    let volumes: VolumeId[];
    try {
      volumes = parseDockerVolumes(await readFile(file, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      logger.error(`cannot take over ${file} of Mesos' docker/volume isolator; it is left in place: ${messageOf(e)}`, { containerId });
      continue;
    }
    found.push({ file, containerId, volumes: volumes.filter((v) => usable(v, file, containerId, logger)) });
  }
  return found;
}

/** dvdi passes names to dvdcli and plugins only when they meet its rules; others are left to the operator. */
function usable(v: VolumeId, file: string, containerId: string, logger: Logger): boolean {
  try {
    validateDriverName(v.driver, 'driver');
    validateVolumeName(v.name, 'name');
    return true;
  } catch (e) {
    logger.error(`not taking over a volume of ${file}: ${messageOf(e)}; unmount it by hand once the container is gone`, { containerId });
    return false;
  }
}
