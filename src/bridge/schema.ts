import protobuf from 'protobufjs/light.js';

/**
 * bridge.proto, defined in code so the bundle reads no .proto file at run
 * time. test/bridge-schema.test.ts checks it against bridge.proto, which stays
 * the source of truth.
 */
export const BRIDGE_SCHEMA = {
  nested: {
    dvdi: {
      nested: {
        bridge: {
          nested: {
            LiveContainer: {
              fields: {
                container_id: { rule: 'required', type: 'string', id: 1 },
                pid: { type: 'uint64', id: 2 },
                directory: { type: 'string', id: 3 },
                executor_info: { type: 'bytes', id: 4 },
              },
            },
            RecoverRequest: {
              fields: {
                alive: { rule: 'repeated', type: 'LiveContainer', id: 1 },
                orphans: { rule: 'repeated', type: 'string', id: 2 },
              },
            },
            RecoverResponse: {
              fields: {
                kept: { rule: 'repeated', type: 'string', id: 1 },
                releasing: { rule: 'repeated', type: 'string', id: 2 },
                pending: { rule: 'repeated', type: 'string', id: 3 },
              },
            },
            PrepareRequest: {
              fields: {
                container_id: { rule: 'required', type: 'string', id: 1 },
                executor_info: { type: 'bytes', id: 2 },
                directory: { rule: 'required', type: 'string', id: 3 },
                user: { type: 'string', id: 4 },
                rootfs: { type: 'string', id: 5 },
                container_config: { type: 'bytes', id: 6 },
              },
            },
            PreparedMount: {
              fields: {
                driver: { rule: 'required', type: 'string', id: 1 },
                name: { rule: 'required', type: 'string', id: 2 },
                mountpoint: { rule: 'required', type: 'string', id: 3 },
                container_path: { type: 'string', id: 4 },
                shared: { type: 'bool', id: 5 },
                read_only: { type: 'bool', id: 6 },
              },
            },
            PrepareResponse: {
              fields: {
                commands: { rule: 'repeated', type: 'string', id: 1 },
                mount_namespace: { rule: 'required', type: 'bool', id: 2 },
                mounts: { rule: 'repeated', type: 'PreparedMount', id: 3 },
              },
            },
            CleanupRequest: {
              fields: {
                container_id: { rule: 'required', type: 'string', id: 1 },
              },
            },
            ReleasedVolume: {
              fields: {
                driver: { rule: 'required', type: 'string', id: 1 },
                name: { rule: 'required', type: 'string', id: 2 },
                unmounted: { rule: 'required', type: 'bool', id: 3 },
              },
            },
            CleanupResponse: {
              fields: {
                released: { rule: 'repeated', type: 'ReleasedVolume', id: 1 },
              },
            },
            StatusRequest: {
              fields: {
                samples_after: { type: 'uint64', id: 1 },
                volumes: { type: 'bool', id: 2 },
              },
            },
            StatusResponse: {
              fields: {
                runtime_restarts: { rule: 'required', type: 'uint64', id: 1 },
                prepares: { rule: 'required', type: 'uint64', id: 2 },
                prepare_failures: { rule: 'required', type: 'uint64', id: 3 },
                cleanups: { rule: 'required', type: 'uint64', id: 4 },
                mounts: { rule: 'required', type: 'uint64', id: 5 },
                mount_failures: { rule: 'required', type: 'uint64', id: 6 },
                unmounts: { rule: 'required', type: 'uint64', id: 7 },
                unmount_failures: { rule: 'required', type: 'uint64', id: 8 },
                volumes_mounted: { rule: 'required', type: 'uint64', id: 9 },
                containers_holding: { rule: 'required', type: 'uint64', id: 10 },
                unmounts_pending: { rule: 'required', type: 'uint64', id: 11 },
                mount_us: { rule: 'repeated', type: 'uint64', id: 12 },
                unmount_us: { rule: 'repeated', type: 'uint64', id: 13 },
                last_sample: { rule: 'required', type: 'uint64', id: 14 },
                volumes_json: { type: 'string', id: 15 },
              },
            },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(BRIDGE_SCHEMA);

export const bridgeType = (name: string): protobuf.Type => root.lookupType(`dvdi.bridge.${name}`);
