import { endianness } from 'node:os';
import { messageOf } from '../core/errors.js';
import type { MountRecord, RecordState } from '../core/ports.js';
import {
  ExternalMountList,
  MountStateValue,
  type ExternalMountListObject,
  type ExternalMountObject,
} from './schema.js';

/** The original module frames the message with a 4-byte host-endian length. */
const PREFIX_BYTES = 4;
const littleEndian = endianness() === 'LE';

const stateToWire: Record<RecordState, number> = {
  mounted: MountStateValue.MOUNTED,
  mounting: MountStateValue.MOUNTING,
  'unmount-pending': MountStateValue.UNMOUNT_PENDING,
};

/** Serialises records in the original module's framing: length prefix, then an `ExternalMountList`. */
export function encodeCheckpoint(records: readonly MountRecord[]): Uint8Array {
  const list: ExternalMountListObject = { mount: records.map(toWire) };
  const payload = ExternalMountList.encode(ExternalMountList.fromObject(list)).finish();
  const out = Buffer.alloc(PREFIX_BYTES + payload.length);
  if (littleEndian) out.writeUInt32LE(payload.length, 0);
  else out.writeUInt32BE(payload.length, 0);
  out.set(payload, PREFIX_BYTES);
  return out;
}

/**
 * Parses a checkpoint written by us or by the original module. A prefix that
 * matches the remaining length is used; otherwise the whole input is tried as
 * a bare `ExternalMountList`, since the original module's writer and reader
 * disagreed about the prefix and both shapes exist on agents.
 * Throws an Error naming every way the input failed to decode.
 */
export function decodeCheckpoint(bytes: Uint8Array): MountRecord[] {
  if (bytes.length === 0) return [];
  const failures: string[] = [];
  if (bytes.length >= PREFIX_BYTES) {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const declared = littleEndian ? view.readUInt32LE(0) : view.readUInt32BE(0);
    const remaining = bytes.length - PREFIX_BYTES;
    if (declared === remaining) {
      try {
        return decodeList(bytes.subarray(PREFIX_BYTES));
      } catch (err) {
        failures.push(`after its ${declared}-byte length prefix: ${messageOf(err)}`);
      }
    } else {
      failures.push(`its length prefix says ${declared} bytes but ${remaining} follow`);
    }
  }
  try {
    return decodeList(bytes);
  } catch (err) {
    failures.push(`as a bare ExternalMountList: ${messageOf(err)}`);
  }
  throw new Error(`checkpoint is corrupt (${bytes.length} bytes): ${failures.join('; ')}`);
}

function decodeList(payload: Uint8Array): MountRecord[] {
  const message = ExternalMountList.decode(payload);
  const list = ExternalMountList.toObject(message, { arrays: true }) as ExternalMountListObject;
  return list.mount.map(fromWire);
}

function toWire(r: MountRecord): ExternalMountObject {
  return {
    containerid: r.containerId,
    volumedriver: r.driver,
    volumename: r.name,
    mountpoint: r.mountpoint,
    options: r.options,
    container_path: r.containerPath,
    dvdcli_path: r.dvdcliPath,
    explicit_create: r.explicitCreate,
    state: stateToWire[r.state],
    mount_id: r.mountId,
    error: r.error,
  };
}

function fromWire(m: ExternalMountObject): MountRecord {
  return {
    containerId: m.containerid,
    driver: m.volumedriver,
    name: m.volumename,
    mountpoint: m.mountpoint ?? '',
    options: m.options ?? '',
    containerPath: m.container_path ?? '',
    dvdcliPath: m.dvdcli_path ?? '',
    explicitCreate: m.explicit_create ?? false,
    state: stateFromWire(m.state),
    mountId: m.mount_id ?? '',
    error: m.error ?? '',
  };
}

/**
 * Absent is `mounted`, as in the original module's files. A value this version
 * does not know (written by a newer one) is also read as `mounted`: that is how
 * the original module, which skips the field, sees the same record, and keeping
 * the record is safer than discarding the whole checkpoint.
 */
function stateFromWire(value: number | undefined): RecordState {
  switch (value) {
    case MountStateValue.MOUNTING:
      return 'mounting';
    case MountStateValue.UNMOUNT_PENDING:
      return 'unmount-pending';
    default:
      return 'mounted';
  }
}
