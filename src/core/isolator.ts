import { parseVolumeSpecs } from '../spec/parse.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { bindCommands, type Bind } from './commands.js';
import { IsolatorError, messageOf } from './errors.js';
import { MounterError, type CheckpointStore, type Clock, type HostPaths, type Logger, type MountRecord, type Mounter } from './ports.js';
import {
  containerRecords,
  holdersOf,
  isHolding,
  mountIdOf,
  pendingOf,
  recordKey,
  summarise,
  type VolumeStatus,
} from './records.js';
import { groupRequests, type VolumeRequest } from './request.js';
import { describeVolume, formatOptions, volumeKey, type VolumeId } from './volume.js';

export interface IsolatorDeps {
  readonly mounter: Mounter;
  readonly store: CheckpointStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly paths: HostPaths;
  /** The dvdcli binary the operator configured; a task may only name this one. */
  readonly configuredDvdcli: string;
}

export interface PrepareRequest {
  readonly containerId: string;
  readonly environment: ReadonlyArray<readonly [string, string]>;
  /** The container's sandbox directory on the host. */
  readonly directory: string;
  readonly user?: string;
}

export interface PreparedMount extends VolumeId {
  readonly mountpoint: string;
  /** Host path the volume is bound to inside the container, or '' for none. */
  readonly containerPath: string;
  /** True when another container already had the volume mounted. */
  readonly shared: boolean;
}

export interface PrepareResult {
  readonly containerId: string;
  readonly mounts: PreparedMount[];
  readonly commands: string[];
  readonly mountNamespace: boolean;
}

export interface RecoveryReport {
  readonly kept: string[];
  readonly unmounted: string[];
  readonly pending: string[];
}

interface Acquired {
  readonly request: VolumeRequest;
  readonly mountpoint: string;
  readonly fresh: boolean;
}

interface Release {
  readonly volume: VolumeId;
  readonly unmounted: boolean;
  readonly error?: string;
}

const MAX_CONTAINER_ID_BYTES = 255;

/**
 * The isolator engine: all-or-nothing, reference-counted mounts with a
 * checkpoint written before every mount and after every change. It does no
 * I/O itself; the mounter, checkpoint store, host paths, clock and logger are
 * passed in.
 */
export class Isolator {
  private records: MountRecord[] = [];
  private readonly volumes = new KeyedLock();
  private readonly containers = new KeyedLock();
  private readonly preparing = new Set<string>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly deps: IsolatorDeps) {}

  /** Loads the checkpoint; every checkpointed container counts as alive until `recover` says otherwise. */
  static async open(deps: IsolatorDeps): Promise<Isolator> {
    const isolator = new Isolator(deps);
    isolator.records = await deps.store.load();
    return isolator;
  }

  status(): VolumeStatus[] {
    return summarise(this.records);
  }

  async recover(alive: readonly string[], orphans: readonly string[]): Promise<RecoveryReport> {
    const { logger } = this.deps;
    const known = new Set([...alive, ...orphans]);
    const kept = new Set<string>();
    const released: MountRecord[] = [];
    for (const r of this.records) {
      if (!isHolding(r)) continue;
      const fields = this.fields(r.containerId, r);
      if (r.state === 'mounting') {
        logger.warn('recovery: mount was interrupted before it was recorded; unmounting', fields);
        released.push(r);
      } else if (known.has(r.containerId)) {
        kept.add(r.containerId);
        logger.info(`recovery: keeping volume of ${alive.includes(r.containerId) ? 'live' : 'orphan'} container`, {
          ...fields,
          mountpoint: r.mountpoint,
        });
      } else {
        logger.info('recovery: container is gone; releasing its volume', fields);
        released.push(r);
      }
    }
    const releasing = uniqueVolumes(released);
    const results = await Promise.all(
      releasing.map((v) =>
        this.volumes.run(volumeKey(v), () =>
          this.releaseLocked(
            v,
            released.filter((r) => recordKey(r) === volumeKey(v)).map((r) => r.containerId),
          ),
        ),
      ),
    );
    const retried = await this.retryPending(releasing);
    const all = [...results, ...retried];
    return {
      kept: [...kept].sort(),
      unmounted: all.filter((r) => r.unmounted).map((r) => describeVolume(r.volume)),
      pending: this.status()
        .filter((s) => s.state === 'unmount-pending')
        .map((s) => describeVolume(s)),
    };
  }

  async prepare(req: PrepareRequest): Promise<PrepareResult> {
    const id = req.containerId;
    checkContainerId(id);
    if (this.preparing.has(id) || containerRecords(this.records, id).length > 0) {
      throw new IsolatorError(`container ${id} is already prepared`);
    }
    this.preparing.add(id);
    try {
      return await this.containers.run(id, () => this.prepareLocked(req));
    } finally {
      this.preparing.delete(id);
    }
  }

  /** Releases the container's volumes; an unknown container is a no-op. */
  async cleanup(containerId: string): Promise<Release[]> {
    return this.containers.run(containerId, async () => {
      const mine = containerRecords(this.records, containerId);
      if (mine.length === 0) {
        await this.retryPending();
        return [];
      }
      const [own] = await Promise.all([
        Promise.all(uniqueVolumes(mine).map((v) => this.release(containerId, v))),
        this.retryPending(uniqueVolumes(mine)),
      ]);
      const failed = own.filter((r) => r.error !== undefined);
      if (failed.length > 0) {
        throw new IsolatorError(
          `cleanup of container ${containerId}: ` +
            failed.map((f) => `unmount of ${describeVolume(f.volume)} failed (kept pending, will retry): ${f.error}`).join('; '),
        );
      }
      return own;
    });
  }

  private async prepareLocked(req: PrepareRequest): Promise<PrepareResult> {
    const { logger, paths } = this.deps;
    const id = req.containerId;
    const { specs, warnings } = parseVolumeSpecs(req.environment, { configuredDvdcli: this.deps.configuredDvdcli });
    for (const w of warnings) logger.warn(w, { containerId: id });
    if (specs.length === 0) return { containerId: id, mounts: [], commands: [], mountNamespace: false };
    const requests = groupRequests(specs, req.directory);
    await this.checkTargets(id, requests, req.directory);

    // Filled as soon as the container holds a volume in memory, so a failed checkpoint write still gets rolled back.
    const acquired: Acquired[] = [];
    const held = (a: Acquired) => void acquired.push(a);
    const outcomes = await Promise.allSettled(
      requests.map((request) => this.volumes.run(volumeKey(request), () => this.acquireLocked(id, request, held))),
    );
    const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [messageOf(o.reason)] : []));
    if (errors.length > 0) {
      throw new IsolatorError(`prepare of container ${id} failed: ${errors.join('; ')}${await this.rollback(id, acquired)}`);
    }

    const created: string[] = [];
    try {
      // Directories dvdi creates belong to the task's user, who owns its sandbox.
      const sandbox = await paths.inspect(req.directory);
      const owner = sandbox.uid !== undefined && sandbox.gid !== undefined ? { uid: sandbox.uid, gid: sandbox.gid } : undefined;
      for (const a of acquired) {
        for (const t of a.request.targets) {
          if (t.kind !== 'existing') created.push(...(await paths.makeDirectories(t.path, owner)));
        }
        const first = a.request.targets[0];
        // The original module's rule: a volume it just mounted takes the owner and mode of where the task will see it.
        if (a.fresh && first) await paths.copyOwnership(first.path, a.mountpoint);
      }
    } catch (e) {
      await paths.removeDirectories([...created].reverse()).catch(() => undefined);
      throw new IsolatorError(`prepare of container ${id} failed: ${messageOf(e)}${await this.rollback(id, acquired)}`);
    }

    const byKey = new Map(acquired.map((a) => [volumeKey(a.request), a]));
    const mounts: PreparedMount[] = [];
    const binds: Bind[] = [];
    for (const request of requests) {
      const a = byKey.get(volumeKey(request))!;
      const base = { driver: request.driver, name: request.name, mountpoint: a.mountpoint, shared: !a.fresh };
      if (request.targets.length === 0) mounts.push({ ...base, containerPath: '' });
      for (const t of request.targets) {
        mounts.push({ ...base, containerPath: t.path });
        binds.push({ source: a.mountpoint, target: t.path });
      }
    }
    return { containerId: id, mounts, commands: bindCommands(binds), mountNamespace: binds.length > 0 };
  }

  /** Refuses targets that cannot work before anything is mounted or created. */
  private async checkTargets(id: string, requests: readonly VolumeRequest[], directory: string): Promise<void> {
    for (const request of requests) {
      for (const t of request.targets) {
        const info = await this.deps.paths.inspect(t.path, t.kind === 'sandbox' ? directory : undefined);
        const problem = info.symlink
          ? `goes through the symbolic link ${info.symlink}`
          : info.exists && !info.isDirectory
            ? 'exists and is not a directory'
            : !info.exists && t.kind === 'existing'
              ? 'does not exist (only paths under /tmp/ and relative paths are created)'
              : undefined;
        if (problem) {
          throw new IsolatorError(
            `prepare of container ${id} refused: container path ${t.path} for volume ${describeVolume(request)} ${problem}`,
          );
        }
      }
    }
  }

  private async acquireLocked(id: string, request: VolumeRequest, held: (a: Acquired) => void): Promise<void> {
    const { logger, mounter, clock } = this.deps;
    const fields = this.fields(id, request);
    const base: MountRecord = {
      containerId: id,
      driver: request.driver,
      name: request.name,
      mountpoint: '',
      options: formatOptions(request.options),
      containerPath: request.targets[0]?.path ?? '',
      dvdcliPath: mounter.kind === 'dvdcli' ? this.deps.configuredDvdcli : '',
      explicitCreate: request.explicitCreate,
      state: 'mounting',
      mountId: id,
      error: '',
    };
    const live = holdersOf(this.records, request).find((r) => r.state === 'mounted');
    if (live) {
      const saved = this.commit([...this.records, { ...base, state: 'mounted', mountpoint: live.mountpoint, mountId: mountIdOf(live) }]);
      held({ request, mountpoint: live.mountpoint, fresh: false });
      await saved;
      logger.info(`volume already mounted by container ${live.containerId}; sharing it`, { ...fields, mountpoint: live.mountpoint });
      return;
    }
    const stale = holdersOf(this.records, request);
    if (stale.length > 0) {
      throw new IsolatorError(
        `volume ${describeVolume(request)} has an unfinished mount by container ${stale[0]!.containerId}; run recover first`,
      );
    }
    if (pendingOf(this.records, request)) {
      const retried = await this.unmountLocked(request, []);
      // Mounting on top of a mount nobody can release would leave it behind for good.
      if (retried.error !== undefined) {
        throw new IsolatorError(
          `volume ${describeVolume(request)} cannot be mounted: its earlier unmount is still pending and failed again (${retried.error}); ` +
            'see `dvdi status`, and use `dvdi forget` once the volume is known to be unmounted',
        );
      }
    }
    const intent: MountRecord = base;
    try {
      await this.commit([...this.records, intent]);
    } catch (e) {
      this.records = this.records.filter((r) => r !== intent);
      throw new IsolatorError(`cannot record the intent to mount ${describeVolume(request)}: ${messageOf(e)}`);
    }
    logger.info('mounting volume', { ...fields, mounter: mounter.kind });
    const started = clock.now();
    let mountpoint: string;
    try {
      mountpoint = await mounter.mount({
        driver: request.driver,
        name: request.name,
        options: request.options,
        explicitCreate: request.explicitCreate,
        mountId: id,
      });
    } catch (e) {
      logger.error(`mount failed: ${messageOf(e)}`, fields);
      if (e instanceof MounterError && e.uncertain) {
        // The plugin may still finish this mount: undo it, or keep it pending until an unmount succeeds.
        logger.warn('mount may have completed after its failure; unmounting to be sure', fields);
        await this.unmountLocked(request, [intent]);
      } else {
        await this.commit(this.records.filter((r) => r !== intent));
      }
      throw new IsolatorError(`mount of ${describeVolume(request)} failed: ${messageOf(e)}`);
    }
    const saved = this.commit(this.records.map((r) => (r === intent ? { ...intent, state: 'mounted', mountpoint } : r)));
    held({ request, mountpoint, fresh: true });
    await saved;
    logger.info('mounted volume', { ...fields, mountpoint, ms: Math.round(clock.now() - started) });
  }

  /**
   * Drops a pending unmount the operator has checked by hand (the volume is
   * not mounted any more); refuses while any container holds the volume.
   */
  async forget(volume: VolumeId): Promise<boolean> {
    return this.volumes.run(volumeKey(volume), async () => {
      const holders = holdersOf(this.records, volume);
      if (holders.length > 0) {
        throw new IsolatorError(`volume ${describeVolume(volume)} is in use by ${holders.map((h) => h.containerId).join(', ')}`);
      }
      if (!pendingOf(this.records, volume)) return false;
      await this.commit(this.records.filter((r) => recordKey(r) !== volumeKey(volume)));
      this.deps.logger.warn('forgot a pending unmount at the operator\'s request', { driver: volume.driver, volume: volume.name });
      return true;
    });
  }

  /** Undoes a failed prepare, last acquired first; returns text to append to the failure. */
  private async rollback(id: string, acquired: readonly Acquired[]): Promise<string> {
    const problems: string[] = [];
    for (const a of [...acquired].reverse()) {
      this.deps.logger.warn('rolling back volume of failed prepare', this.fields(id, a.request));
      try {
        const r = await this.release(id, a.request);
        if (r.error !== undefined) problems.push(`rollback unmount of ${describeVolume(a.request)} failed (kept pending): ${r.error}`);
      } catch (e) {
        problems.push(`rollback of ${describeVolume(a.request)} failed: ${messageOf(e)}`);
      }
    }
    return problems.length > 0 ? `; ${problems.join('; ')}` : '';
  }

  private release(id: string, volume: VolumeId): Promise<Release> {
    return this.volumes.run(volumeKey(volume), () => this.releaseLocked(volume, [id]));
  }

  /** Drops the given containers' hold on the volume and unmounts it when nobody else holds it. */
  private async releaseLocked(volume: VolumeId, containerIds: readonly string[]): Promise<Release> {
    const key = volumeKey(volume);
    const leaving = (r: MountRecord) => isHolding(r) && recordKey(r) === key && containerIds.includes(r.containerId);
    const mine = this.records.filter(leaving);
    if (mine.length === 0) return { volume, unmounted: false };
    const others = holdersOf(this.records, volume).filter((r) => !containerIds.includes(r.containerId));
    if (others.length > 0) {
      await this.commit(this.records.filter((r) => !leaving(r)));
      for (const r of mine) {
        this.deps.logger.info(`released volume; still used by ${others.map((o) => o.containerId).join(', ')}`, this.fields(r.containerId, r));
      }
      return { volume, unmounted: false };
    }
    return this.unmountLocked(volume, mine);
  }

  /**
   * Unmounts a volume nobody holds any more. On success every record of the
   * volume goes; on failure they collapse into one pending record that later
   * cleanups and recoveries retry.
   */
  private async unmountLocked(volume: VolumeId, leaving: readonly MountRecord[]): Promise<Release> {
    const { logger, mounter, clock } = this.deps;
    const key = volumeKey(volume);
    const ofVolume = (r: MountRecord) => recordKey(r) === key && (!isHolding(r) || leaving.includes(r));
    const subject = this.records.find(ofVolume)!;
    const fields = this.fields(subject.containerId, volume);
    logger.info(subject.state === 'unmount-pending' ? 'retrying pending unmount' : 'unmounting volume', fields);
    const started = clock.now();
    try {
      await mounter.unmount({ driver: volume.driver, name: volume.name, mountId: mountIdOf(subject) });
    } catch (e) {
      const error = messageOf(e);
      const pending: MountRecord = { ...subject, state: 'unmount-pending', error };
      await this.commit([...this.records.filter((r) => !ofVolume(r)), pending]);
      logger.error(`unmount failed; kept pending: ${error}`, fields);
      return { volume, unmounted: false, error };
    }
    await this.commit(this.records.filter((r) => !ofVolume(r)));
    logger.info('unmounted volume', { ...fields, ms: Math.round(clock.now() - started) });
    return { volume, unmounted: true };
  }

  /** Retries pending unmounts, except of the given volumes; failures stay pending and are only logged. */
  private async retryPending(except: readonly VolumeId[] = []): Promise<Release[]> {
    const skip = new Set(except.map(volumeKey));
    const pending = uniqueVolumes(this.records.filter((r) => r.state === 'unmount-pending')).filter(
      (v) => !skip.has(volumeKey(v)),
    );
    return Promise.all(
      pending.map((v) =>
        this.volumes.run(volumeKey(v), async () =>
          pendingOf(this.records, v) && holdersOf(this.records, v).length === 0
            ? this.unmountLocked(v, [])
            : { volume: v, unmounted: false },
        ),
      ),
    );
  }

  /** Replaces the in-memory state and checkpoints it; saves happen in order. */
  private commit(records: MountRecord[]): Promise<void> {
    this.records = records;
    const snapshot = records;
    this.saving = this.saving.catch(() => undefined).then(() => this.deps.store.save(snapshot));
    return this.saving;
  }

  private fields(containerId: string, v: VolumeId) {
    return { containerId, driver: v.driver, volume: v.name };
  }
}

function uniqueVolumes(records: readonly MountRecord[]): VolumeId[] {
  const seen = new Map<string, VolumeId>();
  for (const r of records) seen.set(recordKey(r), { driver: r.driver, name: r.name });
  return [...seen.values()];
}

function checkContainerId(id: string): void {
  if (id === '' || new TextEncoder().encode(id).length > MAX_CONTAINER_ID_BYTES || /[\u0000-\u001f\u007f]/.test(id)) {
    throw new IsolatorError(`invalid container id ${JSON.stringify(id)}: 1 to 255 bytes without control characters`);
  }
}
