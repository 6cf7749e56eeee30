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
}

export interface ContainerConfigObject {
  executorInfoLegacy?: ExecutorInfoObject;
  directory: string;
  user?: string;
  executor_info?: ExecutorInfoObject;
  command_info?: CommandInfoObject;
}

export interface ContainerStateObject {
  container_id: ContainerIDObject;
  pid: string;
  directory: string;
}
