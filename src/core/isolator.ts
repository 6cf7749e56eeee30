import { showValue } from '../spec/display.js';
import type { DockerVolumeInput } from '../spec/docker-volume.js';
import { parseTaskVolumes } from '../spec/task-volumes.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { BackgroundWork } from './background.js';
import { bindCommands, type Bind } from './commands.js';
import { IsolatorError, messageOf, PrepareError } from './errors.js';
import { GroupCommit } from './group-commit.js';
import { EngineMetrics } from './metrics.js';
import { MounterError, type CheckpointStore, type Clock, type HostPaths, type Logger, type CallLimit, type MountRecord, type Mounter } from './ports.js';
import {
  adoptNestedIds,
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
  readonly limits?: Partial<IsolatorLimits>;
}

export interface IsolatorLimits {
  /** A prepare fails within this, whatever it waits for; what it mounted is then released in the background. */
  readonly prepareTimeoutMs: number;
  /** Most volumes one task may ask for; more is refused before anything is mounted. */
  readonly maxVolumes: number;
  /**
   * A long-running host (the embedded runtime) sets this: deferred unmounts
   * start at once, and pending ones are retried this often. At 0 (the CLI)
   * they are only recorded, and `retryPending` carries them out.
   */
  readonly retryPendingMs: number;
}

export const DEFAULT_LIMITS: IsolatorLimits = { prepareTimeoutMs: 120_500, maxVolumes: 64, retryPendingMs: 0 };

export interface PrepareRequest {
  readonly containerId: string;
  readonly environment: ReadonlyArray<readonly [string, string]>;
  /** The container's DOCKER_VOLUME volumes (`ContainerInfo.volumes`, Mesos 1.0+), as Mesos sent them. */
  readonly dockerVolumes?: readonly DockerVolumeInput[];
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
  /** Present, and true, when the bind is read-only (a DOCKER_VOLUME volume of mode RO). */
  readonly readOnly?: boolean;
}

export interface PrepareResult {
  readonly containerId: string;
  readonly mounts: PreparedMount[];
  readonly commands: string[];
  readonly mountNamespace: boolean;
}

export interface RecoveryReport {
  /** Containers whose volumes were kept. */
  readonly kept: string[];
  /** Volumes of gone containers, now pending and unmounted after the call (`driver/name`). */
  readonly releasing: string[];
  /** Every volume whose unmount is pending. */
  readonly pending: string[];
}

interface Acquired {
  readonly request: VolumeRequest;
  readonly mountpoint: string;
  readonly fresh: boolean;
}

export interface Release {
  readonly volume: VolumeId;
  readonly unmounted: boolean;
  /** The unmount was recorded as pending, to happen after the call. */
  readonly deferred?: boolean;
  /** Settled without an unmount: the plugin refused it and showed the volume absent or not mounted. */
  readonly nothingMounted?: boolean;
  readonly error?: string;
}

/** The records an unmount settles, and the one that speaks for them. */
interface Unmount {
  readonly settles: (r: MountRecord) => boolean;
  readonly subject: MountRecord;
}

/** One prepare call. Once its deadline passes, whatever it still acquires is released again. */
interface Attempt {
  expired: boolean;
  /** Set, synchronously with the result, when the result is handed over: the deadline can no longer strike. */
  done: boolean;
  readonly abort: AbortController;
  readonly acquired: Acquired[];
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
  private readonly writer: GroupCommit;
  private readonly limits: IsolatorLimits;
  private readonly background: BackgroundWork;
  /** Volumes with a background unmount queued or running. */
  private readonly queued = new Set<string>();
  private stopRetries: (() => void) | undefined;
  private closed = false;
  /** Counted here, where each call and mount happens; the agent's metrics read them (`status` bridge call). */
  readonly metrics = new EngineMetrics();

  private constructor(private readonly deps: IsolatorDeps) {
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
    this.background = new BackgroundWork(deps.logger);
    // The snapshot is taken when a write starts, so one write carries every change made before it.
    this.writer = new GroupCommit(() => deps.store.save(this.records));
  }

  /**
   * Loads the checkpoint; every checkpointed container counts as alive until
   * `recover` says otherwise. With `retryPendingMs`, pending unmounts start
   * in the background at once.
   */
  static async open(deps: IsolatorDeps): Promise<Isolator> {
    const isolator = new Isolator(deps);
    isolator.records = await deps.store.load();
    if (isolator.limits.retryPendingMs > 0) isolator.retryPeriodically();
    return isolator;
  }

  status(): VolumeStatus[] {
    return summarise(this.records);
  }

  /** Stops periodic retries and waits for background work; the isolator is not used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopRetries?.();
    await this.background.settle();
  }

  /** Resolves once no background work is running. */
  settle(): Promise<void> {
    return this.background.settle();
  }

  /**
   * Rebuilds the state after the host restarted: containers in either list
   * keep their volumes; volumes only gone containers held, and mounts that
   * were interrupted, become pending and are unmounted after the call, so a
   * hung plugin never holds the agent's recovery.
   */
  async recover(alive: readonly string[], orphans: readonly string[]): Promise<RecoveryReport> {
    const { logger } = this.deps;
    const known = new Set([...alive, ...orphans]);
    const adopted = adoptNestedIds(this.records, known);
    if (adopted.renamed.length > 0) {
      for (const { from, to } of adopted.renamed) {
        logger.info(`recovery: volume recorded for container ${from} belongs to the nested container ${to}`, { containerId: to, recordedAs: from });
      }
      await this.commit(adopted.records);
    }
    const kept = new Set<string>();
    const released: MountRecord[] = [];
    for (const r of this.records) {
      if (!isHolding(r)) continue;
      const fields = this.fields(r.containerId, r);
      if (r.state === 'mounting') {
        logger.warn('recovery: mount was interrupted before it was recorded; it will be unmounted', fields);
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
    const results = await Promise.all(
      uniqueVolumes(released).map((v) =>
        this.volumes.run(volumeKey(v), () =>
          this.releaseLocked(
            v,
            released.filter((r) => recordKey(r) === volumeKey(v)).map((r) => r.containerId),
            'recovery: volume of a gone container or an interrupted mount',
          ),
        ),
      ),
    );
    return {
      kept: [...kept].sort(),
      releasing: results.filter((r) => r.deferred).map((r) => describeVolume(r.volume)),
      pending: this.pendingVolumes().map(describeVolume),
    };
  }

  /**
   * Mounts every volume the task asks for, or none. Fails within the prepare
   * timeout whatever it waits for; mounts it made, or may have made, are
   * then recorded as pending and unmounted after the call.
   */
  async prepare(req: PrepareRequest): Promise<PrepareResult> {
    this.metrics.count('prepares');
    try {
      return await this.prepareWithin(req);
    } catch (e) {
      this.metrics.count('prepareFailures');
      throw e;
    }
  }

  private async prepareWithin(req: PrepareRequest): Promise<PrepareResult> {
    const id = req.containerId;
    checkContainerId(id);
    if (this.preparing.has(id) || containerRecords(this.records, id).length > 0) {
      throw new IsolatorError(`container ${showValue(id)} is already prepared`);
    }
    this.preparing.add(id);
    const attempt: Attempt = { expired: false, done: false, abort: new AbortController(), acquired: [] };
    const work = this.containers.run(id, () => this.prepareLocked(req, attempt));
    let cancel = () => {};
    const deadline = new Promise<never>((_, reject) => {
      cancel = this.deps.clock.schedule(this.limits.prepareTimeoutMs, () => {
        if (attempt.done) return;
        attempt.expired = true;
        attempt.abort.abort(new Error('the prepare deadline passed'));
        const reason = `timed out after ${seconds(this.limits.prepareTimeoutMs)}`;
        reject(
          new PrepareError(`prepare of container ${showValue(id)} ${reason}; whatever it mounted is released ${this.later()}`, reason),
        );
      });
    });
    try {
      return await Promise.race([work, deadline]);
    } finally {
      cancel();
      this.preparing.delete(id);
      // After the deadline nobody awaits the work; its own rollback logs what happened.
      work.catch(() => undefined);
    }
  }

  /**
   * The cleanup of a container that holds no volume and has nothing running
   * on it, done at once: true when it was one (most of an agent's
   * containers), false when it needs cleanup().
   */
  cleanupIfIdle(containerId: string): boolean {
    if (this.containers.busy(containerId) || containerRecords(this.records, containerId).length > 0) return false;
    this.metrics.count('cleanups');
    return true;
  }

  /** Releases the container's volumes, unmounting those it was the last user of; an unknown container is a no-op. */
  async cleanup(containerId: string): Promise<Release[]> {
    this.metrics.count('cleanups');
    return this.containers.run(containerId, async () => {
      const mine = containerRecords(this.records, containerId);
      if (mine.length === 0) return [];
      const own = await Promise.all(uniqueVolumes(mine).map((v) => this.release(containerId, v)));
      const failed = own.filter((r) => r.error !== undefined);
      if (failed.length > 0) {
        throw new IsolatorError(
          `cleanup of container ${showValue(containerId)}: ` +
            failed.map((f) => `unmount of ${describeVolume(f.volume)} failed (kept pending, will retry): ${f.error}`).join('; '),
        );
      }
      return own;
    });
  }

  /**
   * Carries out now the unmounts a failed prepare of this container left
   * pending, for a host with no background to do them later (the CLI). It
   * first waits for work still running on the container: after its deadline a
   * prepare keeps going and rolls back on its own. Each unmount is bounded by
   * the mounter's unmount timeout; one that fails stays pending, its error in
   * the result. Volumes another container holds are never touched.
   */
  async undoPrepare(containerId: string): Promise<Release[]> {
    return this.containers.run(containerId, async () => {
      const left = this.records.filter((r) => r.state === 'unmount-pending' && r.containerId === containerId);
      return Promise.all(uniqueVolumes(left).map((v) => this.volumes.run(volumeKey(v), () => this.retryLocked(v))));
    });
  }

  private async prepareLocked(req: PrepareRequest, attempt: Attempt): Promise<PrepareResult> {
    const { logger, paths } = this.deps;
    const id = req.containerId;
    const { specs, warnings } = parseTaskVolumes(
      { environment: req.environment, ...(req.dockerVolumes && { dockerVolumes: req.dockerVolumes }) },
      { configuredDvdcli: this.deps.configuredDvdcli, maxVolumes: this.limits.maxVolumes },
    );
    for (const w of warnings) logger.warn(w, { containerId: id });
    if (specs.length === 0) return this.handOver(attempt, { containerId: id, mounts: [], commands: [], mountNamespace: false });
    const requests = groupRequests(specs, req.directory);
    await this.checkTargets(id, requests, req.directory);

    // Filled as soon as the container holds a volume in memory, so a failed checkpoint write still gets rolled back.
    const acquired = attempt.acquired;
    const held = (a: Acquired) => void acquired.push(a);
    const outcomes = await Promise.allSettled(
      requests.map((request) =>
        this.volumes.run(volumeKey(request), () => this.acquireLocked(id, request, held, attempt)),
      ),
    );
    const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [messageOf(o.reason)] : []));
    if (attempt.expired && errors.length === 0) errors.push('the prepare deadline passed');
    if (errors.length > 0) throw await this.failed(id, errors, acquired);

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
      if (attempt.expired) throw new Error('the prepare deadline passed');
    } catch (e) {
      await paths.removeDirectories([...created].reverse()).catch(() => undefined);
      throw await this.failed(id, [messageOf(e)], acquired);
    }

    const byKey = new Map(acquired.map((a) => [volumeKey(a.request), a]));
    const mounts: PreparedMount[] = [];
    const binds: Bind[] = [];
    for (const request of requests) {
      const a = byKey.get(volumeKey(request))!;
      const base = { driver: request.driver, name: request.name, mountpoint: a.mountpoint, shared: !a.fresh };
      if (request.targets.length === 0) mounts.push({ ...base, containerPath: '' });
      for (const t of request.targets) {
        const readOnly = t.readOnly ? { readOnly: true } : {};
        mounts.push({ ...base, containerPath: t.path, ...readOnly });
        binds.push({ source: a.mountpoint, target: t.path, ...readOnly });
      }
    }
    return this.handOver(attempt, { containerId: id, mounts, commands: bindCommands(binds), mountNamespace: binds.length > 0 });
  }

  /** Marks the attempt answered in the same step as its result is returned, so the deadline cannot strike after. */
  private handOver(attempt: Attempt, result: PrepareResult): PrepareResult {
    attempt.done = true;
    return result;
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

  private async acquireLocked(id: string, request: VolumeRequest, held: (a: Acquired) => void, attempt: Attempt): Promise<void> {
    const { logger, mounter, clock } = this.deps;
    if (attempt.expired) throw new IsolatorError(`volume ${describeVolume(request)} was not mounted: the prepare deadline passed while it waited`);
    const limit = { signal: attempt.abort.signal };
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
    const mounted = holdersOf(this.records, request).filter((r) => r.state === 'mounted');
    const live = mounted.find((r) => r.mountpoint !== '') ?? mounted[0];
    if (live) {
      // Taken over from Mesos' docker/volume isolator, which records no mountpoint: asked for once, then kept.
      const mountpoint = live.mountpoint || (await this.locateLocked(request, live, limit));
      const known = (r: MountRecord) => (recordKey(r) === volumeKey(request) && isHolding(r) && r.mountpoint === '' ? { ...r, mountpoint } : r);
      const saved = this.commit([...this.records.map(known), { ...base, state: 'mounted', mountpoint, mountId: mountIdOf(live) }]);
      held({ request, mountpoint, fresh: false });
      await saved;
      logger.info(`volume already mounted by container ${live.containerId}; sharing it`, { ...fields, mountpoint });
      return;
    }
    const stale = holdersOf(this.records, request);
    if (stale.length > 0) {
      throw new IsolatorError(
        `volume ${describeVolume(request)} has an unfinished mount by container ${stale[0]!.containerId}; run recover first`,
      );
    }
    if (pendingOf(this.records, request)) {
      const retried = await this.unmountLocked(request, [], limit);
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
      }, limit);
    } catch (e) {
      this.metrics.count('mountFailures');
      logger.error(`mount failed: ${messageOf(e)}`, fields);
      if (e instanceof MounterError && e.uncertain) {
        // The plugin may still finish this mount: it is undone after the call, so the prepare stays within its deadline.
        logger.warn(`mount may have completed after its failure; it will be unmounted ${this.later()}`, fields);
        await this.deferUnmountLocked(request, [intent], `the mount may have completed: ${messageOf(e)}`);
      } else {
        await this.commit(this.records.filter((r) => r !== intent));
      }
      throw new IsolatorError(`mount of ${describeVolume(request)} failed: ${messageOf(e)}`);
    }
    const ms = clock.now() - started;
    this.metrics.count('mounts');
    this.metrics.sample('mount', ms);
    const saved = this.commit(this.records.map((r) => (r === intent ? { ...intent, state: 'mounted', mountpoint } : r)));
    held({ request, mountpoint, fresh: true });
    await saved;
    logger.info('mounted volume', { ...fields, mountpoint, ms: Math.round(ms) });
  }

  /** The mountpoint of a volume another isolator mounted (taken over without one), from the mounter. */
  private async locateLocked(volume: VolumeId, holder: MountRecord, limit: CallLimit): Promise<string> {
    const { mounter, logger } = this.deps;
    const why = `volume ${describeVolume(volume)} is held by container ${holder.containerId} with no recorded mountpoint (taken over from Mesos' docker/volume isolator)`;
    if (!mounter.locate) throw new IsolatorError(`${why}, and the ${mounter.kind} mounter cannot look it up`);
    try {
      const mountpoint = await mounter.locate({ driver: volume.driver, name: volume.name }, limit);
      logger.info('found the mountpoint of a taken-over volume', { ...this.fields(holder.containerId, volume), mountpoint });
      return mountpoint;
    } catch (e) {
      throw new IsolatorError(`${why}, and its mountpoint cannot be found: ${messageOf(e)}`);
    }
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

  /** Rolls back a failed prepare and says so: the reason is what failed, the message also what happens next. */
  private async failed(id: string, errors: readonly string[], acquired: readonly Acquired[]): Promise<PrepareError> {
    const { problems, deferred } = await this.rollback(id, acquired);
    const reason = [...errors, ...problems].join('; ');
    const next = deferred.length > 0 ? `; unmounting ${deferred.join(', ')} ${this.later()}` : '';
    return new PrepareError(`prepare of container ${showValue(id)} failed: ${reason}${next}`, reason);
  }

  /**
   * Undoes a failed prepare, last acquired first: holds are dropped at once,
   * unmounts are recorded as pending and happen after the call (in the
   * background, or by `undoPrepare`). Returns the rollback's own failures and
   * the volumes left to unmount.
   */
  private async rollback(id: string, acquired: readonly Acquired[]): Promise<{ problems: string[]; deferred: string[] }> {
    const problems: string[] = [];
    const deferred: string[] = [];
    for (const a of [...acquired].reverse()) {
      this.deps.logger.warn('rolling back volume of failed prepare', this.fields(id, a.request));
      try {
        const r = await this.volumes.run(volumeKey(a.request), () =>
          this.releaseLocked(a.request, [id], 'rollback of a failed prepare'),
        );
        if (r.deferred) deferred.push(describeVolume(a.request));
      } catch (e) {
        problems.push(`rollback of ${describeVolume(a.request)} failed: ${messageOf(e)}`);
      }
    }
    return { problems, deferred };
  }

  private release(id: string, volume: VolumeId): Promise<Release> {
    return this.volumes.run(volumeKey(volume), () => this.releaseLocked(volume, [id]));
  }

  /**
   * Drops the given containers' hold on the volume. When nobody else holds
   * it, it is unmounted now, or, given a `deferReason`, recorded as pending
   * and unmounted after the call.
   */
  private async releaseLocked(volume: VolumeId, containerIds: readonly string[], deferReason?: string): Promise<Release> {
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
    return deferReason === undefined ? this.unmountLocked(volume, mine) : this.deferUnmountLocked(volume, mine, deferReason);
  }

  /** Turns the leaving records into one pending unmount, checkpointed, and queues it. */
  private async deferUnmountLocked(volume: VolumeId, leaving: readonly MountRecord[], reason: string): Promise<Release> {
    const unmount = this.unmountOf(volume, leaving);
    await this.keepPending(unmount, `waiting to be unmounted: ${reason}`);
    const { subject } = unmount;
    this.deps.logger.info(`volume will be unmounted ${this.later()}`, { ...this.fields(subject.containerId, volume), reason });
    this.schedule(volume);
    return { volume, unmounted: false, deferred: true };
  }

  /**
   * What an unmount of `volume` settles: its pending record and the leaving
   * holders' records, and the one that speaks for them (mountpoint, mount ID).
   */
  private unmountOf(volume: VolumeId, leaving: readonly MountRecord[]): Unmount {
    const key = volumeKey(volume);
    const settles = (r: MountRecord) => recordKey(r) === key && (!isHolding(r) || leaving.includes(r));
    return { settles, subject: this.records.find(settles)! };
  }

  /** Collapses what the unmount settles into one pending record, checkpointed. */
  private keepPending({ settles, subject }: Unmount, error: string): Promise<void> {
    return this.commit([...this.records.filter((r) => !settles(r)), { ...subject, state: 'unmount-pending', error }]);
  }

  /**
   * Unmounts a volume nobody holds any more. On success every record of the
   * volume goes; on failure they collapse into one pending record that later
   * cleanups and recoveries retry.
   */
  private async unmountLocked(volume: VolumeId, leaving: readonly MountRecord[], limit?: CallLimit): Promise<Release> {
    const { logger, mounter, clock } = this.deps;
    const unmount = this.unmountOf(volume, leaving);
    const { subject, settles } = unmount;
    const fields = this.fields(subject.containerId, volume);
    logger.info(subject.state === 'unmount-pending' ? 'retrying pending unmount' : 'unmounting volume', fields);
    const started = clock.now();
    try {
      await mounter.unmount({ driver: volume.driver, name: volume.name, mountId: mountIdOf(subject) }, limit);
    } catch (e) {
      this.metrics.count('unmountFailures');
      let error = messageOf(e);
      if (e instanceof MounterError && e.refused) {
        // Refused: often because there is nothing to unmount (the mount never reached the plugin). Ask before blocking the volume.
        const presence = await mounter.probe({ driver: volume.driver, name: volume.name, mountpoint: subject.mountpoint }, limit);
        if (presence.state === 'absent' || presence.state === 'unmounted') {
          await this.commit(this.records.filter((r) => !settles(r)));
          logger.warn(
            `unmount was refused, but the volume ${presence.state === 'absent' ? 'does not exist' : 'is not mounted'} (${presence.detail}); nothing is left to unmount: ${error}`,
            fields,
          );
          return { volume, unmounted: true, nothingMounted: true };
        }
        error = `${error} (checked: ${presence.detail})`;
      }
      await this.keepPending(unmount, error);
      logger.error(`unmount failed; kept pending: ${error}`, fields);
      return { volume, unmounted: false, error };
    }
    const ms = clock.now() - started;
    this.metrics.count('unmounts');
    this.metrics.sample('unmount', ms);
    await this.commit(this.records.filter((r) => !settles(r)));
    logger.info('unmounted volume', { ...fields, ms: Math.round(ms) });
    return { volume, unmounted: true };
  }

  /** Carries out every pending unmount nobody holds, and waits for them; failures stay pending and are logged. */
  async retryPending(): Promise<Release[]> {
    return Promise.all(this.pendingVolumes().map((v) => this.volumes.run(volumeKey(v), () => this.retryLocked(v))));
  }

  private async retryLocked(v: VolumeId): Promise<Release> {
    return pendingOf(this.records, v) && holdersOf(this.records, v).length === 0
      ? this.unmountLocked(v, [])
      : { volume: v, unmounted: false };
  }

  private pendingVolumes(): VolumeId[] {
    return uniqueVolumes(this.records.filter((r) => r.state === 'unmount-pending'));
  }

  /** Queues a deferred unmount in the background (long-running hosts only), once per volume. */
  private schedule(volume: VolumeId): void {
    const key = volumeKey(volume);
    if (this.limits.retryPendingMs <= 0 || this.closed || this.queued.has(key)) return;
    this.queued.add(key);
    this.background.run(`background unmount of ${describeVolume(volume)}`, () =>
      this.volumes.run(key, async () => {
        try {
          await this.retryLocked(volume);
        } finally {
          this.queued.delete(key);
        }
      }),
    );
  }

  private scheduleAllPending(): void {
    for (const v of this.pendingVolumes()) this.schedule(v);
  }

  private retryPeriodically(): void {
    const tick = () => {
      this.scheduleAllPending();
      if (!this.closed) this.stopRetries = this.deps.clock.schedule(this.limits.retryPendingMs, tick);
    };
    tick();
  }

  /** Replaces the in-memory state and resolves once it (or a later state) is durable. */
  private commit(records: MountRecord[]): Promise<void> {
    this.records = records;
    return this.writer.request();
  }

  /** When a deferred unmount happens, for messages and log lines: a host without background (the CLI) does it after the call. */
  private later(): string {
    return this.limits.retryPendingMs > 0 ? 'in the background' : 'after the call';
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

/** Controls, format characters (such as U+202E) and line or paragraph separators could forge or hide log text. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

function checkContainerId(id: string): void {
  if (id === '' || Buffer.byteLength(id, 'utf8') > MAX_CONTAINER_ID_BYTES || INVISIBLE.test(id)) {
    throw new IsolatorError(
      `invalid container id ${showValue(id)}: 1 to ${MAX_CONTAINER_ID_BYTES} bytes without control, format or separator characters`,
    );
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
