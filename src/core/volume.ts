/** What a task asks for, after validation: one entry per requested volume. */
export interface VolumeSpec {
  /** Slot number from the variable suffix (unsuffixed is 0); a DOCKER_VOLUME volume's place in `ContainerInfo.volumes`. */
  readonly slot: number;
  /** How messages name a volume not asked for through the variables (a DOCKER_VOLUME volume). */
  readonly label?: string;
  readonly driver: string;
  readonly name: string;
  /** Option pairs in the order the task gave them. */
  readonly options: ReadonlyArray<readonly [string, string]>;
  readonly explicitCreate: boolean;
  /** As the task wrote it; empty means no bind. */
  readonly containerPath: string;
  /** The bind is read-only (a DOCKER_VOLUME volume of mode RO). */
  readonly readOnly?: boolean;
}

/** A volume's identity is the exact (driver, name) pair. */
export interface VolumeId {
  readonly driver: string;
  readonly name: string;
}

export function volumeKey(v: VolumeId): string {
  return `${v.driver}\u0000${v.name}`;
}

export function describeVolume(v: VolumeId): string {
  return `${v.driver}/${v.name}`;
}

/** The checkpoint's `options` field: `k=v,k2=v2`, as the original module stored it. */
export function formatOptions(options: ReadonlyArray<readonly [string, string]>): string {
  return options.map(([k, v]) => `${k}=${v}`).join(',');
}
