import protobuf from 'protobufjs/light.js';

/**
 * The parts of Mesos' proto2 messages dvdi reads or writes (package `mesos`
 * and `mesos.slave`), defined in code so a bundled build reads no .proto file.
 * Only fields we use are declared; every other field, including those added in
 * later Mesos releases, is skipped by the decoder.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    mesos: {
      nested: {
        ContainerID: {
          fields: {
            value: { rule: 'required', type: 'string', id: 1 },
            parent: { type: 'ContainerID', id: 2 },
          },
        },
        Environment: {
          fields: {
            variables: { rule: 'repeated', type: 'Variable', id: 1 },
          },
          nested: {
            Variable: {
              fields: {
                name: { rule: 'required', type: 'string', id: 1 },
                value: { type: 'string', id: 2 },
              },
            },
          },
        },
        CommandInfo: {
          fields: {
            environment: { type: 'Environment', id: 2 },
            value: { type: 'string', id: 3 },
            shell: { type: 'bool', id: 6, options: { default: true } },
          },
        },
        ExecutorInfo: {
          fields: {
            // Required before Mesos 1.0, optional since (the default executor has none).
            command: { type: 'CommandInfo', id: 7 },
            // Where 1.0 (and the in-tree docker/volume isolator up to 1.4) reads the volumes.
            container: { type: 'ContainerInfo', id: 11 },
          },
        },
        // Enums are read as plain numbers, so a value of a later release is seen as it is, not refused.
        ContainerInfo: {
          fields: {
            type: { type: 'int32', id: 1 },
            volumes: { rule: 'repeated', type: 'Volume', id: 2 },
          },
        },
        // Mesos declares container_path and mode required; they are optional here so that a
        // malformed volume of a source dvdi does not serve never fails the decode.
        Volume: {
          fields: {
            container_path: { type: 'string', id: 1 },
            mode: { type: 'int32', id: 3 },
            source: { type: 'Source', id: 5 },
          },
          nested: {
            Source: {
              fields: {
                type: { type: 'int32', id: 1 },
                docker_volume: { type: 'DockerVolume', id: 2 },
              },
              nested: {
                DockerVolume: {
                  fields: {
                    driver: { type: 'string', id: 1 },
                    name: { type: 'string', id: 2 },
                    driver_options: { type: 'mesos.Parameters', id: 3 },
                  },
                },
              },
            },
          },
        },
        Parameters: {
          fields: {
            parameter: { rule: 'repeated', type: 'Parameter', id: 1 },
          },
        },
        Parameter: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        slave: {
          nested: {
            ContainerConfig: {
              fields: {
                // 0.27 names it `executorInfo = 1`; 0.28 adds `executor_info = 8`;
                // 1.1+ keeps only 8, and makes it optional for nested containers.
                executorInfoLegacy: { type: 'mesos.ExecutorInfo', id: 1 },
                directory: { rule: 'required', type: 'string', id: 3 },
                user: { type: 'string', id: 4 },
                executor_info: { type: 'mesos.ExecutorInfo', id: 8 },
                // 1.1+: the command the container runs, with the task's variables (a nested container's own).
                command_info: { type: 'mesos.CommandInfo', id: 11 },
                // 1.1+: the container's own ContainerInfo (a command task's, an executor's, a nested container's).
                container_info: { type: 'mesos.ContainerInfo', id: 12 },
              },
            },
            ContainerState: {
              fields: {
                container_id: { rule: 'required', type: 'mesos.ContainerID', id: 2 },
                pid: { rule: 'required', type: 'uint64', id: 3 },
                directory: { rule: 'required', type: 'string', id: 4 },
              },
            },
          },
        },
      },
    },
  },
});

export const ContainerID = root.lookupType('mesos.ContainerID');
export const CommandInfo = root.lookupType('mesos.CommandInfo');
export const ExecutorInfo = root.lookupType('mesos.ExecutorInfo');
export const ContainerConfig = root.lookupType('mesos.slave.ContainerConfig');
export const ContainerState = root.lookupType('mesos.slave.ContainerState');

/** The messages as `toObject` returns them with `longs: String`: absent fields are undefined. */
export interface ContainerIDObject {
  value: string;
  parent?: ContainerIDObject;
}

export interface VariableObject {
  name: string;
  value?: string;
}

export interface CommandInfoObject {
  environment?: { variables: VariableObject[] };
  value?: string;
  shell?: boolean;
}

export interface ExecutorInfoObject {
  command?: CommandInfoObject;
  container?: ContainerInfoObject;
}

export interface ParameterObject {
  key?: string;
  value?: string;
}

export interface VolumeObject {
  container_path?: string;
  mode?: number;
  source?: {
    type?: number;
    docker_volume?: {
      driver?: string;
      name?: string;
      driver_options?: { parameter: ParameterObject[] };
    };
  };
}

export interface ContainerInfoObject {
  type?: number;
  volumes: VolumeObject[];
}

/** `Volume.Source.Type` and `Volume.Mode` values (mesos.proto, 1.0-1.11). */
export const VOLUME_SOURCE_DOCKER_VOLUME = 1;
export const VOLUME_MODE_RW = 1;
export const VOLUME_MODE_RO = 2;

export interface ContainerConfigObject {
  executorInfoLegacy?: ExecutorInfoObject;
  directory: string;
  user?: string;
  executor_info?: ExecutorInfoObject;
  command_info?: CommandInfoObject;
  container_info?: ContainerInfoObject;
}

export interface ContainerStateObject {
  container_id: ContainerIDObject;
  pid: string;
  directory: string;
}
