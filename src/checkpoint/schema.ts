import protobuf from 'protobufjs/light.js';

/**
 * The original module's checkpoint schema (package `emccode.isolator.mount`),
 * defined in code so a bundled build reads no .proto file at run time. Fields
 * 9–11 are our optional additions: the original module skips them as unknown.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    emccode: {
      nested: {
        isolator: {
          nested: {
            mount: {
              nested: {
                MountState: {
                  values: { MOUNTED: 0, MOUNTING: 1, UNMOUNT_PENDING: 2 },
                },
                ExternalMount: {
                  fields: {
                    containerid: { rule: 'required', type: 'string', id: 1 },
                    volumedriver: { rule: 'required', type: 'string', id: 2 },
                    volumename: { rule: 'required', type: 'string', id: 3 },
                    mountpoint: { type: 'string', id: 4 },
                    options: { type: 'string', id: 5 },
                    container_path: { type: 'string', id: 6 },
                    dvdcli_path: { type: 'string', id: 7 },
                    explicit_create: { type: 'bool', id: 8 },
                    state: { type: 'MountState', id: 9 },
                    mount_id: { type: 'string', id: 10 },
                    error: { type: 'string', id: 11 },
                  },
                },
                ExternalMountList: {
                  fields: {
                    mount: { rule: 'repeated', type: 'ExternalMount', id: 1 },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
});

export const ExternalMountList = root.lookupType('emccode.isolator.mount.ExternalMountList');

/** Wire values of `MountState`. */
export const MountStateValue = {
  MOUNTED: 0,
  MOUNTING: 1,
  UNMOUNT_PENDING: 2,
} as const;

/** An `ExternalMount` as `toObject` returns it: absent fields are undefined. */
export interface ExternalMountObject {
  containerid: string;
  volumedriver: string;
  volumename: string;
  mountpoint?: string;
  options?: string;
  container_path?: string;
  dvdcli_path?: string;
  explicit_create?: boolean;
  state?: number;
  mount_id?: string;
  error?: string;
}

export interface ExternalMountListObject {
  mount: ExternalMountObject[];
}
