import { messageOf } from '../core/errors.js';
import type {
  CleanupRequest,
  CleanupResponse,
  PrepareRequest,
  PrepareResponse,
  RecoverRequest,
  RecoverResponse,
  StatusRequest,
  StatusResponse,
} from './messages.js';
import { bridgeType } from './schema.js';

export interface Codec<T> {
  encode(message: T): Uint8Array;
  /** Rejects malformed bytes and missing required fields; unknown fields are skipped. */
  decode(bytes: Uint8Array): T;
}

function codec<T extends object>(name: string): Codec<T> {
  const type = bridgeType(name);
  return {
    encode(message) {
      const problem = type.verify(message);
      if (problem) throw new Error(`cannot encode ${name}: ${problem}`);
      return type.encode(type.fromObject(message)).finish();
    },
    decode(bytes) {
      try {
        return type.toObject(type.decode(bytes), { longs: Number, arrays: true }) as T;
      } catch (err) {
        throw new Error(`cannot decode ${name} (${bytes.length} bytes): ${messageOf(err)}`);
      }
    },
  };
}

export const recoverRequest = codec<RecoverRequest>('RecoverRequest');
export const recoverResponse = codec<RecoverResponse>('RecoverResponse');
export const prepareRequest = codec<PrepareRequest>('PrepareRequest');
export const prepareResponse = codec<PrepareResponse>('PrepareResponse');
export const cleanupRequest = codec<CleanupRequest>('CleanupRequest');
export const cleanupResponse = codec<CleanupResponse>('CleanupResponse');
export const statusRequest = codec<StatusRequest>('StatusRequest');
export const statusResponse = codec<StatusResponse>('StatusResponse');
