/**
 * Mesos messages with volumes, serialized as Mesos' C++ does it (fields in
 * number order), with the field numbers of include/mesos/mesos.proto and
 * include/mesos/slave/containerizer.proto of 1.0.0-1.11.0:
 *
 *   Volume            container_path = 1, host_path = 2, mode = 3 (RW 1, RO 2), image = 4, source = 5
 *   Volume.Source     type = 1 (UNKNOWN 0, DOCKER_VOLUME 1, SANDBOX_PATH 2, SECRET 3, HOST_PATH 4, CSI_VOLUME 5),
 *                     docker_volume = 2, sandbox_path = 3, secret = 4, host_path = 5, csi_volume = 6
 *   DockerVolume      driver = 1, name = 2, driver_options = 3 (Parameters: parameter = 1 {key = 1, value = 2})
 *   ContainerInfo     type = 1 (DOCKER 1, MESOS 2), volumes = 2, docker = 3, hostname = 4, mesos = 5
 *   ExecutorInfo      executor_id = 1, command = 7, framework_id = 8, container = 11
 *   TaskInfo          name = 1, task_id = 2, slave_id = 3, container = 9
 *   ContainerConfig   directory = 3, user = 4, rootfs = 5, executor_info = 8, task_info = 9,
 *                     command_info = 11 (1.1+), container_info = 12 (1.1+), container_class = 14 (1.2+)
 *   CommandInfo       environment = 2 (variables = 1 {name = 1, value = 2}), value = 3, shell = 6
 */
import { concat, messageField, stringField, varintField } from './wire.js';

export const RW = 1;
export const RO = 2;
export const MESOS = 2;
export const SourceType = { UNKNOWN: 0, DOCKER_VOLUME: 1, SANDBOX_PATH: 2, SECRET: 3, HOST_PATH: 4, CSI_VOLUME: 5 } as const;

export interface DockerVolumeFields {
  containerPath?: string;
  mode?: number;
  driver?: string;
  name?: string;
  options?: Array<[string, string]>;
}

/** A `Volume` whose source is DOCKER_VOLUME; a field left undefined is not written. */
export function dockerVolume(v: DockerVolumeFields): Uint8Array {
  const docker = concat(
    v.driver !== undefined ? stringField(1, v.driver) : new Uint8Array(),
    v.name !== undefined ? stringField(2, v.name) : new Uint8Array(),
    v.options ? messageField(3, ...v.options.map(([k, value]) => messageField(1, stringField(1, k), stringField(2, value)))) : new Uint8Array(),
  );
  return concat(
    v.containerPath !== undefined ? stringField(1, v.containerPath) : new Uint8Array(),
    v.mode !== undefined ? varintField(3, v.mode) : new Uint8Array(),
    messageField(5, varintField(1, SourceType.DOCKER_VOLUME), messageField(2, docker)),
  );
}

/** A volume of another source: a host path (1.5+ HOST_PATH source), a sandbox path, a secret, CSI. */
export function otherVolume(kind: Exclude<keyof typeof SourceType, 'DOCKER_VOLUME'>, containerPath: string): Uint8Array {
  const source =
    kind === 'HOST_PATH'
      ? messageField(5, varintField(1, SourceType.HOST_PATH), messageField(5, stringField(1, '/srv/shared')))
      : kind === 'SANDBOX_PATH'
        ? messageField(5, varintField(1, SourceType.SANDBOX_PATH), messageField(3, varintField(1, 2), stringField(2, 'shared')))
        : kind === 'SECRET'
          ? messageField(5, varintField(1, SourceType.SECRET), messageField(4, varintField(1, 1), messageField(2, stringField(1, 'token'))))
          : kind === 'CSI_VOLUME'
            ? messageField(5, varintField(1, SourceType.CSI_VOLUME), messageField(6, stringField(1, 'csi-plugin')))
            : messageField(5, varintField(1, SourceType.UNKNOWN));
  return concat(stringField(1, containerPath), varintField(3, RW), source);
}

/** The 0.2x-style host volume: `host_path = 2`, no source at all. */
export function hostPathVolume(containerPath: string, hostPath: string): Uint8Array {
  return concat(stringField(1, containerPath), stringField(2, hostPath), varintField(3, RW));
}

export function containerInfo(...volumes: Uint8Array[]): Uint8Array {
  return concat(varintField(1, MESOS), ...volumes.map((v) => messageField(2, v)), messageField(5));
}

export function commandInfo(variables: Record<string, string> = {}, command = 'sleep 1000'): Uint8Array {
  const env = Object.entries(variables).map(([n, v]) => messageField(1, stringField(1, n), stringField(2, v)));
  return concat(env.length > 0 ? messageField(2, ...env) : new Uint8Array(), stringField(3, command), varintField(6, true));
}

export function executorInfo(command: Uint8Array, container?: Uint8Array): Uint8Array {
  return concat(
    messageField(1, stringField(1, 'executor-1')),
    messageField(7, command),
    messageField(8, stringField(1, 'framework-1')),
    container ? messageField(11, container) : new Uint8Array(),
  );
}

export function taskInfo(container?: Uint8Array): Uint8Array {
  return concat(
    stringField(1, 'task'),
    messageField(2, stringField(1, 'task-1')),
    messageField(3, stringField(1, 'agent-1')),
    container ? messageField(9, container) : new Uint8Array(),
  );
}

/**
 * A ContainerConfig as the agent of each generation builds it for a command
 * task whose TaskInfo has `container` (`mesos-execute --volumes`, Marathon):
 * the agent copies the task's ContainerInfo into the command executor's
 * (`Slave::getExecutorInfo`), and from 1.1 also into `container_info`.
 */
export function commandTaskConfig(generation: '1.0' | '1.1-1.4' | '1.5+', container: Uint8Array, sandbox: string, variables: Record<string, string> = {}): Uint8Array {
  const command = commandInfo(variables);
  const parts = [stringField(3, sandbox), messageField(8, executorInfo(command, container)), messageField(9, taskInfo(container))];
  if (generation !== '1.0') parts.push(messageField(11, command), messageField(12, container));
  if (generation === '1.5+') parts.push(varintField(14, 1));
  return concat(...parts);
}

/**
 * A nested container's ContainerConfig (1.5+, a task of a task group): its
 * own command and ContainerInfo, and its root container's `executor_info`,
 * which the agent copies in (`MesosContainerizerProcess::launch`).
 */
export function nestedConfig(own: Uint8Array | undefined, rootExecutor: Uint8Array, sandbox: string, variables: Record<string, string> = {}): Uint8Array {
  return concat(
    stringField(3, sandbox),
    messageField(8, rootExecutor),
    messageField(11, commandInfo(variables)),
    own ? messageField(12, own) : new Uint8Array(),
    varintField(14, 1),
  );
}
