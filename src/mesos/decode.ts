import type { Type } from 'protobufjs/light.js';
import { messageOf } from '../core/errors.js';
import {
  ContainerConfig,
  ContainerID,
  ContainerState,
  ExecutorInfo,
  type ContainerConfigObject,
  type ContainerIDObject,
  type ContainerStateObject,
  type ExecutorInfoObject,
} from './schema.js';

/** The variables of an `ExecutorInfo`'s command, in order; repeated names are kept. */
export function decodeExecutorEnvironment(executorInfoBytes: Uint8Array): Array<[string, string]> {
  return environmentOf(decode<ExecutorInfoObject>(ExecutorInfo, 'ExecutorInfo', executorInfoBytes));
}

/**
 * A 0.27+ `ContainerConfig`. The executor is read from `executor_info` (8),
 * falling back to 0.27's `executorInfo` (1); containers without an executor
 * (nested containers, Mesos 1.1+) have an empty environment.
 */
export function decodeContainerConfig(bytes: Uint8Array): {
  environment: Array<[string, string]>;
  directory: string;
  user: string;
} {
  const config = decode<ContainerConfigObject>(ContainerConfig, 'ContainerConfig', bytes);
  return {
    environment: environmentOf(config.executor_info ?? config.executorInfoLegacy),
    directory: config.directory,
    user: config.user ?? '',
  };
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
  const variables = executor?.command?.environment?.variables ?? [];
  return variables.map((v) => [v.name, v.value ?? '']);
}

function formatContainerId(id: ContainerIDObject): string {
  const values: string[] = [];
  for (let at: ContainerIDObject | undefined = id; at; at = at.parent) values.unshift(at.value);
  return values.join('.');
}
