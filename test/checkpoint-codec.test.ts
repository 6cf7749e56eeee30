import { endianness } from 'node:os';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../src/checkpoint/codec.js';
import type { MountRecord } from '../src/core/ports.js';
import { concat, messageField, stringField, varintField } from './helpers/wire.js';

/** The original module's schema, exactly as it shipped: no fields 9–11. */
const LEGACY_PROTO = `
syntax = "proto2";
package emccode.isolator.mount;
message ExternalMount {
  required string containerid = 1;
  required string volumedriver = 2;
  required string volumename = 3;
  optional string mountpoint = 4;
  optional string options = 5;
  optional string container_path = 6;
  optional string dvdcli_path = 7;
  optional bool explicit_create = 8;
}
message ExternalMountList {
  repeated ExternalMount mount = 1;
}
`;

/** The original module's framing: 4-byte host-endian length, then the message. */
function framed(payload: Uint8Array): Uint8Array {
  const prefix = Buffer.alloc(4);
  if (endianness() === 'LE') prefix.writeUInt32LE(payload.length);
  else prefix.writeUInt32BE(payload.length);
  return concat(prefix, payload);
}

const full: MountRecord = {
  containerId: 'b5c2f1a0-1111-4a4a-9e9e-000000000001',
  driver: 'rexray',
  name: 'pg-data',
  mountpoint: '/var/lib/rexray/volumes/pg-data/data',
  options: 'size=5,iops=150,label=é',
  containerPath: '/var/lib/postgresql',
  dvdcliPath: '/usr/bin/dvdcli',
  explicitCreate: true,
  state: 'unmount-pending',
  mountId: 'dvdi-7f3a',
  error: 'VolumeDriver.Unmount: device busy',
};

const minimal: MountRecord = {
  containerId: 'c2',
  driver: 'local',
  name: 'v',
  mountpoint: '',
  options: '',
  containerPath: '',
  dvdcliPath: '',
  explicitCreate: false,
  state: 'mounted',
  mountId: '',
  error: '',
};

describe('checkpoint codec', () => {
  it('round-trips every field and every state', () => {
    const records: MountRecord[] = [full, minimal, { ...minimal, containerId: 'c3', state: 'mounting' }];
    expect(decodeCheckpoint(encodeCheckpoint(records))).toEqual(records);
  });

  it('writes the length prefix the original module wrote', () => {
    const bytes = Buffer.from(encodeCheckpoint([full]));
    const declared = endianness() === 'LE' ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0);
    expect(declared).toBe(bytes.length - 4);
  });

  it('encodes no records as a bare length prefix and decodes it back', () => {
    const bytes = encodeCheckpoint([]);
    expect(Array.from(bytes)).toEqual([0, 0, 0, 0]);
    expect(decodeCheckpoint(bytes)).toEqual([]);
    expect(decodeCheckpoint(new Uint8Array())).toEqual([]);
  });

  describe("the original module's files", () => {
    const payload = concat(
      messageField(
        1,
        stringField(1, 'container-a'),
        stringField(2, 'rexray'),
        stringField(3, 'vol-a'),
        stringField(4, '/var/lib/rexray/volumes/vol-a/data'),
        stringField(5, 'size=5'),
        stringField(6, '/data'),
        stringField(7, '/usr/bin/dvdcli'),
        varintField(8, true),
      ),
      messageField(1, stringField(1, 'container-b'), stringField(2, 'rexray'), stringField(3, 'vol-b')),
    );
    const expected: MountRecord[] = [
      {
        containerId: 'container-a',
        driver: 'rexray',
        name: 'vol-a',
        mountpoint: '/var/lib/rexray/volumes/vol-a/data',
        options: 'size=5',
        containerPath: '/data',
        dvdcliPath: '/usr/bin/dvdcli',
        explicitCreate: true,
        state: 'mounted',
        mountId: '',
        error: '',
      },
      { ...minimal, containerId: 'container-b', driver: 'rexray', name: 'vol-b' },
    ];

    it('decodes a length-prefixed file as mounted records', () => {
      expect(decodeCheckpoint(framed(payload))).toEqual(expected);
    });

    it('decodes a file without the length prefix', () => {
      expect(decodeCheckpoint(payload)).toEqual(expected);
    });
  });

  it('is readable by the original schema, which skips the new fields', () => {
    const legacy = protobuf.parse(LEGACY_PROTO, { keepCase: true }).root.lookupType('emccode.isolator.mount.ExternalMountList');
    const bytes = encodeCheckpoint([full, minimal]);
    const decoded = legacy.toObject(legacy.decode(bytes.subarray(4)));
    expect(decoded).toEqual({
      mount: [
        {
          containerid: full.containerId,
          volumedriver: full.driver,
          volumename: full.name,
          mountpoint: full.mountpoint,
          options: full.options,
          container_path: full.containerPath,
          dvdcli_path: full.dvdcliPath,
          explicit_create: true,
        },
        {
          containerid: 'c2',
          volumedriver: 'local',
          volumename: 'v',
          mountpoint: '',
          options: '',
          container_path: '',
          dvdcli_path: '',
          explicit_create: false,
        },
      ],
    });
  });

  it('reads a state written by a newer version as mounted, as the original module would', () => {
    const payload = messageField(1, stringField(1, 'c'), stringField(2, 'd'), stringField(3, 'n'), varintField(9, 7));
    expect(decodeCheckpoint(framed(payload))).toEqual([{ ...minimal, containerId: 'c', driver: 'd', name: 'n' }]);
  });

  describe('corruption', () => {
    const good = encodeCheckpoint([full, minimal]);

    it('refuses a truncated file', () => {
      expect(() => decodeCheckpoint(good.subarray(0, good.length - 10))).toThrow(
        /checkpoint is corrupt \(\d+ bytes\): its length prefix says \d+ bytes but \d+ follow; as a bare ExternalMountList: /,
      );
    });

    it('refuses a record missing a required field', () => {
      const payload = messageField(1, stringField(1, 'c'), stringField(2, 'rexray'));
      expect(() => decodeCheckpoint(framed(payload))).toThrow(/missing required 'volumename'/);
    });

    it('refuses random bytes', () => {
      const junk = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99]);
      expect(() => decodeCheckpoint(junk)).toThrow(/checkpoint is corrupt \(7 bytes\)/);
    });

    it('refuses a file shorter than a length prefix that is no message either', () => {
      expect(() => decodeCheckpoint(Uint8Array.from([0x0a, 0x05]))).toThrow(/as a bare ExternalMountList/);
    });
  });
});
