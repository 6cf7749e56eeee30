/**
 * bridge.proto's messages as protobufjs' `toObject` gives them (field names
 * as in the .proto, uint64 as number, absent optional fields undefined).
 */

export interface LiveContainer {
  container_id: string;
  pid?: number;
  directory?: string;
  /** Serialized mesos.ExecutorInfo, when the Mesos release has it. */
  executor_info?: Uint8Array;
}

export interface RecoverRequest {
  alive: LiveContainer[];
  orphans: string[];
}

export interface RecoverResponse {
  kept: string[];
  releasing: string[];
  pending: string[];
}

export interface PrepareRequest {
  container_id: string;
  /** Serialized mesos.ExecutorInfo (Mesos 0.23-0.26). */
  executor_info?: Uint8Array;
  directory: string;
  user?: string;
  rootfs?: string;
  /** Serialized mesos.slave.ContainerConfig (Mesos 0.27+). */
  container_config?: Uint8Array;
}

export interface PreparedMount {
  driver: string;
  name: string;
  mountpoint: string;
  container_path?: string;
  shared?: boolean;
  /** The bind must be read-only (a DOCKER_VOLUME volume of mode RO); absent is false. */
  read_only?: boolean;
}

export interface PrepareResponse {
  commands: string[];
  mount_namespace: boolean;
  mounts: PreparedMount[];
}

export interface CleanupRequest {
  container_id: string;
}

export interface ReleasedVolume {
  driver: string;
  name: string;
  unmounted: boolean;
}

export interface CleanupResponse {
  released: ReleasedVolume[];
}

export interface StatusRequest {
  /** Latency samples after this one; absent: none. */
  samples_after?: number;
  /** Include volumes_json. */
  volumes?: boolean;
}

export interface StatusResponse {
  runtime_restarts: number;
  prepares: number;
  prepare_failures: number;
  cleanups: number;
  mounts: number;
  mount_failures: number;
  unmounts: number;
  unmount_failures: number;
  volumes_mounted: number;
  containers_holding: number;
  unmounts_pending: number;
  /** Durations in microseconds. */
  mount_us: number[];
  unmount_us: number[];
  last_sample: number;
  volumes_json?: string;
}
