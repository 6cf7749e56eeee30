import { describe, expect, it } from 'vitest';
import {
  cleanupRequest,
  cleanupResponse,
  prepareRequest,
  prepareResponse,
  recoverRequest,
  recoverResponse,
} from '../src/bridge/codec.js';
import { concat, stringField, varintField, bytesField, messageField } from './helpers/wire.js';

const executorInfo = Uint8Array.from([0x3a, 0x00]);

/** Bytes as plain arrays: protobufjs decodes them as a Buffer or a Uint8Array depending on its input. */
function plain(message: object): unknown {
  // The holder's own value: JSON.stringify has already turned a Buffer into `{type, data}`.
  return JSON.parse(
    JSON.stringify(message, function (this: Record<string, unknown>, key, value: unknown) {
      const raw = this[key];
      return raw instanceof Uint8Array ? [...raw] : value;
    }),
  );
}

describe('bridge codec', () => {
  it('round-trips every message', () => {
    const recover = {
      alive: [
        { container_id: 'a', pid: 4_000_000, directory: '/sandbox/a', executor_info: executorInfo },
        { container_id: 'b' },
      ],
      orphans: ['c'],
    };
    expect(plain(recoverRequest.decode(recoverRequest.encode(recover)))).toEqual(plain(recover));
    const recovered = { kept: ['a'], releasing: ['d/v1'], pending: ['d/v2', 'd/v3'] };
    expect(plain(recoverResponse.decode(recoverResponse.encode(recovered)))).toEqual(plain(recovered));
    const prepare = { container_id: 'a', executor_info: executorInfo, directory: '/s', user: 'nobody', rootfs: '/r' };
    expect(plain(prepareRequest.decode(prepareRequest.encode(prepare)))).toEqual(plain(prepare));
    const prepared = {
      commands: ['mount --make-rslave /', "mount -n --rbind '/m' '/s/data'"],
      mount_namespace: true,
      mounts: [{ driver: 'd', name: 'v', mountpoint: '/m', container_path: '/s/data', shared: false }],
    };
    expect(plain(prepareResponse.decode(prepareResponse.encode(prepared)))).toEqual(plain(prepared));
    expect(plain(cleanupRequest.decode(cleanupRequest.encode({ container_id: 'a' })))).toEqual(plain({ container_id: 'a' }));
    const released = { released: [{ driver: 'd', name: 'v', unmounted: true }] };
    expect(plain(cleanupResponse.decode(cleanupResponse.encode(released)))).toEqual(plain(released));
  });

  it('decodes bytes another encoder wrote, skipping fields it does not know', () => {
    const bytes = concat(
      stringField(1, 'web-1'),
      stringField(9, 'a field from a later release'),
      bytesField(2, executorInfo),
      varintField(10, 7),
      stringField(3, '/sandbox'),
    );
    expect(plain(prepareRequest.decode(bytes))).toEqual(plain({ container_id: 'web-1', executor_info: executorInfo, directory: '/sandbox' }));
    const recover = concat(messageField(1, stringField(1, 'a'), varintField(2, 12)), stringField(2, 'o'));
    expect(plain(recoverRequest.decode(recover))).toEqual(plain({ alive: [{ container_id: 'a', pid: 12 }], orphans: ['o'] }));
  });

  it('rejects a missing required field and malformed bytes with a message naming the message', () => {
    expect(() => prepareRequest.decode(concat(stringField(1, 'a'), bytesField(2, new Uint8Array(0))))).toThrow(
      /cannot decode PrepareRequest \(\d+ bytes\):.*directory/,
    );
    expect(() => cleanupRequest.decode(Uint8Array.from([0x0a, 0x05, 0x61]))).toThrow(/cannot decode CleanupRequest/);
    expect(() => prepareResponse.encode({ commands: [], mounts: [] } as never)).toThrow(/cannot encode PrepareResponse/);
  });
});
