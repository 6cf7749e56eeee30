import type { Type } from 'protobufjs/light.js';
import { messageOf } from '../core/errors.js';
import type { DockerVolumeInput } from '../spec/docker-volume.js';
import {
  ContainerConfig,
  ContainerID,
  ContainerState,
  ExecutorInfo,
  VOLUME_SOURCE_DOCKER_VOLUME,
  type CommandInfoObject,
  type ContainerConfigObject,
  type ContainerInfoObject,
  type ContainerIDObject,
  type ContainerStateObject,
  type ExecutorInfoObject,
} from './schema.js';

/** The variables of an `ExecutorInfo`'s command, in order; repeated names are kept. */
export function decodeExecutorEnvironment(executorInfoBytes: Uint8Array): Array<[string, string]> {
  return environmentOf(decode<ExecutorInfoObject>(ExecutorInfo, 'ExecutorInfo', executorInfoBytes));
}

/**
 * A 0.27+ `ContainerConfig`. The variables are those of `command_info` (11,
 * Mesos 1.1+: the executor's command for a top-level container, a nested
 * container's own command), else of the executor: `executor_info` (8),
 * falling back to 0.27's `executorInfo` (1).
 */
export function decodeContainerConfig(bytes: Uint8Array): {
  environment: Array<[string, string]>;
  directory: string;
  user: string;
} {
  const { environment, directory, user } = decodeContainerRequest(bytes);
  return { environment, directory, user };
}

/**
 * What a 0.27+ `ContainerConfig` asks of dvdi: the variables, sandbox and
 * user as `decodeContainerConfig` reads them, and the container's
 * DOCKER_VOLUME volumes (see `dockerVolumesOf`).
 */
export function decodeContainerRequest(bytes: Uint8Array): {
  environment: Array<[string, string]>;
  directory: string;
  user: string;
  dockerVolumes: DockerVolumeInput[];
} {
  const config = decode<ContainerConfigObject>(ContainerConfig, 'ContainerConfig', bytes);
  return {
    environment: variablesOf(config.command_info ?? (config.executor_info ?? config.executorInfoLegacy)?.command),
    directory: config.directory,
    user: config.user ?? '',
    dockerVolumes: dockerVolumesOf(containerInfoOf(config)),
  };
}

/**
 * The container's own ContainerInfo. From 1.1 (a ContainerConfig with
 * `command_info`) it is `container_info` (12): a command task's, an
 * executor's, or a nested container's own; a nested container's
 * `executor_info` is its root container's, copied by the agent, so it is
 * never read then. Before 1.1 it is the executor's `container` (11), where
 * the agent puts a command task's ContainerInfo.
 */
function containerInfoOf(config: ContainerConfigObject): ContainerInfoObject | undefined {
  if (config.command_info) return config.container_info;
  return (config.executor_info ?? config.executorInfoLegacy)?.container;
}

/** The volumes whose `source.type` is DOCKER_VOLUME, with their place in `volumes`; volumes of other sources are not dvdi's. */
function dockerVolumesOf(info: ContainerInfoObject | undefined): DockerVolumeInput[] {
  const out: DockerVolumeInput[] = [];
  (info?.volumes ?? []).forEach((volume, index) => {
    const source = volume.source;
    if (source?.type !== VOLUME_SOURCE_DOCKER_VOLUME) return;
    const docker = source.docker_volume;
    out.push({
      index,
      ...(docker?.driver !== undefined && { driver: docker.driver }),
      ...(docker?.name !== undefined && { name: docker.name }),
      options: (docker?.driver_options?.parameter ?? []).map((p) => [p.key ?? '', p.value ?? ''] as [string, string]),
      ...(volume.container_path !== undefined && { containerPath: volume.container_path }),
      ...(volume.mode !== undefined && { mode: volume.mode }),
    });
  });
  return out;
}

/** The id as Mesos prints it: a nested id is its parents' values and its own, joined with `.`. */
export function decodeContainerId(bytes: Uint8Array): string {
  return formatContainerId(decode<ContainerIDObject>(ContainerID, 'ContainerID', bytes));
}

export function decodeContainerState(bytes: Uint8Array): { containerId: string; pid: number; directory: string } {
  const state = decode<ContainerStateObject>(ContainerState, 'ContainerState', bytes);
  const pid = Number(state.pid);
  if (!Number.isSafeInteger(pid)) {
    throw new Error(`cannot decode Mesos ContainerState: pid ${state.pid} is out of range`);
  }
  return { containerId: formatContainerId(state.container_id), pid, directory: state.directory };
}

function decode<T>(type: Type, what: string, bytes: Uint8Array): T {
  try {
    // longs as strings: a uint64 arrives exactly and is range-checked by the caller.
    return type.toObject(type.decode(bytes), { longs: String, arrays: true }) as T;
  } catch (err) {
    throw new Error(`cannot decode Mesos ${what} (${bytes.length} bytes): ${messageOf(err)}`);
  }
}

function environmentOf(executor: ExecutorInfoObject | undefined): Array<[string, string]> {
  return variablesOf(executor?.command);
}

function variablesOf(command: CommandInfoObject | undefined): Array<[string, string]> {
  return (command?.environment?.variables ?? []).map((v) => [v.name, v.value ?? '']);
}

function formatContainerId(id: ContainerIDObject): string {
  const values: string[] = [];
  for (let at: ContainerIDObject | undefined = id; at; at = at.parent) values.unshift(at.value);
  return values.join('.');
}
