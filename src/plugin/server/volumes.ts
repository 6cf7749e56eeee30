import { readFile, rmdir } from 'node:fs/promises';
import type { Logger } from '../../core/ports.js';
import { KeyedLock } from '../../util/keyed-lock.js';
import type { PluginVolume } from '../protocol.js';
import type { Backend } from './backend.js';
import { mountsUnder, readMountInfo } from './mountinfo.js';
import type { VolumeMeta, VolumeStore } from './store.js';
import { own } from '../../util/own.js';

/** Get and List entries; Docker reads `CreatedAt` when a plugin sends it. */
export type VolumeInfo = PluginVolume & { CreatedAt: string };

export const NO_SUCH_VOLUME = 'no such volume';

async function readBootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
}

function mountCount(meta: VolumeMeta): number {
  return Object.values(meta.mounts).reduce((a, b) => a + b, 0);
}

function describeIds(meta: VolumeMeta): string {
  return Object.entries(meta.mounts)
    .map(([id, n]) => (n === 1 ? JSON.stringify(id) : `${JSON.stringify(id)} ×${n}`))
    .join(', ');
}

/**
 * The volumes of one plugin root: their metadata in memory (written through
 * to disk before any answer), mount counts per Docker mount ID, and one
 * operation at a time per volume.
 *
 * Mount semantics: every Mount counts (per ID); the first attaches, and only
 * the Unmount that brings the total to zero detaches. Unmount of a volume that
 * is not mounted at all succeeds (so retries are harmless); Unmount with an ID
 * that holds no mount while other IDs do is an error.
 */
export class VolumeService {
  private readonly volumes = new Map<string, VolumeMeta>();
  private readonly unreadable = new Map<string, string>();
  private readonly lock = new KeyedLock();
  private readonly running = new Set<Promise<unknown>>();
  private bootId = '';

  constructor(
    private readonly store: VolumeStore,
    private readonly backend: Backend,
    private readonly logger: Logger,
  ) {}

  /**
   * Loads the metadata and reconciles it with the mount table: volumes stay
   * mounted across plugin restarts, counts of mounts that no longer exist
   * (host reboot, someone else unmounted) are dropped, and an attach that a
   * crash interrupted before its count was saved is undone.
   */
  async recover(): Promise<void> {
    await this.store.init();
    this.bootId = await readBootId();
    const { volumes, unreadable } = await this.store.load();
    for (const { name, reason } of unreadable) {
      this.unreadable.set(name, reason);
      this.logger.error('volume metadata unreadable; volume ignored', { volume: name, reason });
    }
    const foreign = volumes.filter((v) => v.backend !== this.backend.name);
    if (foreign.length > 0) {
      throw new Error(
        `root ${this.store.root} holds ${foreign[0]!.backend} volumes (${foreign.map((v) => v.name).join(', ')}); this server uses the ${this.backend.name} backend`,
      );
    }
    const mounts = await readMountInfo();
    for (const meta of volumes) {
      this.volumes.set(meta.name, meta);
      try {
        await this.reconcile(meta, this.backend.isAttached(meta, mounts));
      } catch (error) {
        this.logger.error('recovery of volume failed', { volume: meta.name, reason: (error as Error).message });
      }
    }
  }

  private async reconcile(meta: VolumeMeta, attached: boolean | undefined): Promise<void> {
    const count = mountCount(meta);
    if (count > 0 && (attached === false || (attached === undefined && meta.bootId !== this.bootId))) {
      this.logger.warn('volume was recorded as mounted but is not (host restarted or unmounted by hand); counts dropped', {
        volume: meta.name,
        ids: describeIds(meta),
      });
      await this.backend.detach(meta);
      await this.commit({ ...meta, mounts: {}, bootId: undefined });
    } else if (count === 0 && attached === true) {
      this.logger.warn('volume attached without a recorded mount (interrupted Mount); detaching', { volume: meta.name });
      await this.backend.detach(meta);
    } else if (count > 0) {
      this.logger.info('volume still mounted', { volume: meta.name, mounts: count });
    }
  }

  private async commit(meta: VolumeMeta): Promise<void> {
    await this.store.save(meta);
    this.volumes.set(meta.name, meta);
  }

  /** Runs `work` under the volume's lock and lets `idle` wait for it. */
  private exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
    const task = this.lock.run(name, work);
    const tracked = task.catch(() => undefined);
    this.running.add(tracked);
    void tracked.then(() => this.running.delete(tracked));
    return task;
  }

  /** Resolves once no operation is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private require(name: string): VolumeMeta {
    const meta = this.volumes.get(name);
    if (!meta) throw new Error(`${NO_SUCH_VOLUME}: ${name}`);
    return meta;
  }

  /** Creating an existing volume succeeds and leaves it as it is, as Docker expects. */
  create(name: string, opts: Readonly<Record<string, string>>): Promise<{ created: boolean }> {
    return this.exclusive(name, async () => {
      const unknown = Object.keys(opts).filter((k) => !this.backend.optionNames.includes(k));
      if (unknown.length > 0) {
        const accepted = this.backend.optionNames.length > 0 ? this.backend.optionNames.join(', ') : 'none';
        throw new Error(`unknown option ${unknown.join(', ')} for the ${this.backend.name} backend; accepted: ${accepted}`);
      }
      if (this.volumes.has(name)) return { created: false };
      const broken = this.unreadable.get(name);
      if (broken !== undefined) {
        throw new Error(`volume directory ${this.store.volumeDir(name)} exists but its metadata is unreadable (${broken}); repair or remove it`);
      }
      const settings = await this.backend.settingsFor(opts);
      const meta: VolumeMeta = { name, backend: this.backend.name, createdAt: new Date().toISOString(), settings, mounts: {} };
      await this.store.create(meta, (dir) => this.backend.populate(dir, settings));
      this.volumes.set(name, meta);
      return { created: true };
    });
  }

  remove(name: string): Promise<void> {
    return this.exclusive(name, async () => {
      const meta = this.require(name);
      if (mountCount(meta) > 0) throw new Error(`volume ${name} is mounted (IDs ${describeIds(meta)}); unmount it first`);
      // An attach that lost its count is ours to undo; any other mount inside the volume is not.
      await this.backend.detach(meta);
      const dir = this.store.volumeDir(name);
      const inside = mountsUnder(await readMountInfo(), dir);
      if (inside.length > 0) {
        throw new Error(`volume ${name} is not removed: ${inside.map((m) => m.mountPoint).join(', ')} is mounted inside ${dir}`);
      }
      await this.store.remove(name);
      await rmdir(this.store.mountDir(name)).catch(() => undefined);
      this.volumes.delete(name);
    });
  }

  mount(name: string, id: string): Promise<string> {
    return this.exclusive(name, async () => {
      const meta = this.require(name);
      const wasMounted = mountCount(meta) > 0;
      // Attach also when counted: it is a no-op while the mount exists and repairs a vanished one.
      const mountpoint = await this.backend.attach(meta);
      try {
        await this.commit({ ...meta, mounts: { ...meta.mounts, [id]: (own(meta.mounts, id) ?? 0) + 1 }, bootId: this.bootId });
      } catch (error) {
        if (!wasMounted) await this.backend.detach(meta).catch(() => undefined);
        throw new Error(`cannot record the mount of volume ${name}: ${(error as Error).message}`);
      }
      return mountpoint;
    });
  }

  /** Resolves `true` when this call detached the volume. */
  unmount(name: string, id: string): Promise<boolean> {
    return this.exclusive(name, async () => {
      const meta = this.require(name);
      if (mountCount(meta) === 0) return false;
      const held = own(meta.mounts, id);
      if (held === undefined) {
        throw new Error(`volume ${name} is not mounted by ID ${JSON.stringify(id)}; it is mounted by IDs ${describeIds(meta)}`);
      }
      // Built with fromEntries: assigning `mounts[id]` would hit the prototype setter for `__proto__`.
      const mounts = Object.fromEntries(
        Object.entries(meta.mounts).flatMap(([k, n]) => (k !== id ? [[k, n]] : held > 1 ? [[k, held - 1]] : [])),
      );
      const last = Object.keys(mounts).length === 0;
      // Counts drop only after a successful detach, so a failed Unmount can be retried.
      if (last) await this.backend.detach(meta);
      await this.commit({ ...meta, mounts, bootId: last ? undefined : meta.bootId });
      return last;
    });
  }

  /** The mountpoint while mounted, otherwise empty. */
  path(name: string): string {
    const meta = this.require(name);
    return mountCount(meta) > 0 ? this.backend.mountpoint(meta) : '';
  }

  get(name: string): VolumeInfo {
    return this.describe(this.require(name));
  }

  list(): VolumeInfo[] {
    return [...this.volumes.values()].sort((a, b) => a.name.localeCompare(b.name)).map((m) => this.describe(m));
  }

  private describe(meta: VolumeMeta): VolumeInfo {
    return {
      Name: meta.name,
      Mountpoint: this.path(meta.name),
      CreatedAt: meta.createdAt,
      Status: { ...this.backend.status(meta), mounts: mountCount(meta) },
    };
  }
}
