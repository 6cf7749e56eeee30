import type { VolumeId } from './volume.js';

/** What the core asks a mounter to mount. */
export interface MountRequest extends VolumeId {
  readonly options: ReadonlyArray<readonly [string, string]>;
  readonly explicitCreate: boolean;
  /** Identifies this mount to plugins that count mounts by caller (Docker's `ID`). */
  readonly mountId: string;
}

export interface UnmountRequest extends VolumeId {
  /** The `mountId` the volume was mounted with. */
  readonly mountId: string;
}

export interface CallLimit {
  /** Ends the call early (a prepare's deadline); the call then fails as uncertain. */
  readonly signal?: AbortSignal;
}

/**
 * What the plugin says of a volume whose unmount it refused: `absent` (it
 * has no such volume), `unmounted` (it exists and nothing of it is mounted),
 * `mounted`, or `unknown` when the answers do not settle it.
 */
export interface VolumePresence {
  readonly state: 'absent' | 'unmounted' | 'mounted' | 'unknown';
  /** The evidence, for the log line. */
  readonly detail: string;
}

export interface ProbeRequest extends VolumeId {
  /** The mountpoint dvdi recorded for the volume, '' when the mount never reported one. */
  readonly mountpoint: string;
}

/**
 * Mounts and unmounts volumes on the host. The core calls `mount` once for the
 * first user of a volume and `unmount` once after its last user; reference
 * counting across containers is the core's job, not the mounter's.
 */
export interface Mounter {
  /** Short name for logs and status: `dvdcli` or `plugin`. */
  readonly kind: string;
  /** Resolves to the absolute host mountpoint. Rejects with a MounterError. */
  mount(req: MountRequest, limit?: CallLimit): Promise<string>;
  unmount(req: UnmountRequest, limit?: CallLimit): Promise<void>;
  /**
   * Asks the plugin (and the host's mount table) whether the volume is still
   * mounted, after it refused an unmount. Never rejects: doubt is `unknown`.
   */
  probe(req: ProbeRequest, limit?: CallLimit): Promise<VolumePresence>;
  /**
   * The host mountpoint of a volume that is mounted, for a volume dvdi took
   * over without one (Mesos' docker/volume isolator records none): resolves
   * only to a path the plugin reports that is in the host's mount table;
   * rejects with a MounterError otherwise. Optional: without it, such a
   * volume cannot be shared with a new container.
   */
  locate?(req: VolumeId, limit?: CallLimit): Promise<string>;
  /** Releases connections and kills children still running; the mounter is not used afterwards. */
  close(): Promise<void>;
}

/**
 * A mounter failure; `detail` carries the tool's or plugin's own error text.
 * `uncertain` says the operation may still have taken effect (it timed out or
 * was killed), so a mount must be undone to be sure. `refused` says the
 * plugin (or dvdcli) answered with an error, so it can be asked why.
 */
export class MounterError extends Error {
  constructor(
    message: string,
    readonly detail: string = '',
    readonly uncertain: boolean = false,
    readonly refused: boolean = false,
  ) {
    super(detail ? `${message}: ${detail}` : message);
    this.name = 'MounterError';
  }
}

export type RecordState = 'mounting' | 'mounted' | 'unmount-pending';

/** One (container, volume) pair, as checkpointed. */
export interface MountRecord {
  readonly containerId: string;
  readonly driver: string;
  readonly name: string;
  readonly mountpoint: string;
  /** `k=v,k2=v2`. */
  readonly options: string;
  readonly containerPath: string;
  readonly dvdcliPath: string;
  readonly explicitCreate: boolean;
  readonly state: RecordState;
  /** The `mountId` used for the mount; empty in checkpoints of the original module. */
  readonly mountId: string;
  /** Last failure text of a pending unmount. */
  readonly error: string;
}

export interface CheckpointStore {
  /** Missing or empty is an empty list; a corrupt file is moved aside and reported through the logger. */
  load(): Promise<MountRecord[]>;
  /** Atomic replace of the whole checkpoint. */
  save(records: readonly MountRecord[]): Promise<void>;
  readonly location: string;
}

export interface LogFields {
  readonly containerId?: string;
  readonly driver?: string;
  readonly volume?: string;
  readonly [key: string]: string | number | boolean | undefined;
}

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface Clock {
  /** Milliseconds, monotonic enough to measure durations. */
  now(): number;
  /** Runs `fn` once after `ms`; the returned function cancels it. Never keeps the process alive. */
  schedule(ms: number, fn: () => void): () => void;
}

/** What the core needs to know about a container path on the host. */
export interface PathInfo {
  readonly exists: boolean;
  readonly isDirectory: boolean;
  /** The first component of the path that is a symbolic link, if any. */
  readonly symlink?: string;
  readonly uid?: number;
  readonly gid?: number;
  /** Permission bits only. */
  readonly mode?: number;
}

/** Host filesystem operations on container paths and mountpoints. */
export interface HostPaths {
  /** Symbolic links are looked for in the components below `under` (the whole path when absent). */
  inspect(path: string, under?: string): Promise<PathInfo>;
  /** mkdir -p, giving what it creates to `owner` when given; returns the directories it created, outermost first. */
  makeDirectories(path: string, owner?: { readonly uid: number; readonly gid: number }): Promise<string[]>;
  removeDirectories(paths: readonly string[]): Promise<void>;
  /** Gives `target` the owner and permission bits of `source`. */
  copyOwnership(source: string, target: string): Promise<void>;
}
