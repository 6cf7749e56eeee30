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
