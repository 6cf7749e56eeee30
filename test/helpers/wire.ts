/**
 * A minimal protobuf wire writer, independent of protobufjs, so tests can
 * build exactly the bytes another implementation (Mesos' C++, the original
 * module) would produce, unknown fields included.
 */

export const WireType = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;

export function varint(value: number | bigint): Uint8Array {
  let v = BigInt(value);
  if (v < 0n) v = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Uint8Array.from(out);
}

export function key(field: number, wireType: number): Uint8Array {
  return varint((field << 3) | wireType);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function varintField(field: number, value: number | bigint | boolean): Uint8Array {
  return concat(key(field, WireType.VARINT), varint(typeof value === 'boolean' ? Number(value) : value));
}

export function bytesField(field: number, data: Uint8Array): Uint8Array {
  return concat(key(field, WireType.LEN), varint(data.length), data);
}

export function stringField(field: number, text: string): Uint8Array {
  return bytesField(field, new TextEncoder().encode(text));
}

/** A submessage: its parts are the encoded fields of the inner message. */
export function messageField(field: number, ...parts: Uint8Array[]): Uint8Array {
  return bytesField(field, concat(...parts));
}

export function fixed32Field(field: number, value: number): Uint8Array {
  const body = new Uint8Array(4);
  new DataView(body.buffer).setUint32(0, value, true);
  return concat(key(field, WireType.FIXED32), body);
}

export function fixed64Field(field: number, value: bigint): Uint8Array {
  const body = new Uint8Array(8);
  new DataView(body.buffer).setBigUint64(0, value, true);
  return concat(key(field, WireType.FIXED64), body);
}
