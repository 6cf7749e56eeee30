/**
 * The C++ bridge encoding (native/wire) against protobufjs: requests encoded
 * in C++ decode in JavaScript, responses encoded in JavaScript decode in C++.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupRequest,
  cleanupResponse,
  prepareRequest,
  prepareResponse,
  recoverRequest,
  recoverResponse,
  statusRequest,
  statusResponse,
} from '../src/bridge/codec.js';
import { builtFile } from './helpers/native-build.js';

const executorInfo = [0x0a, 0x03, 0x0a, 0x01, 0x78, 0x3a, 0x00];

function samples(...args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(builtFile('bridge_wire_samples'), args, { encoding: 'utf8' });
}

/** Decodes a response in C++; the tool prints it as JSON. */
function decodedInCpp(kind: string, bytes: Uint8Array): unknown {
  const r = spawnSync(builtFile('bridge_wire_samples'), ['decode', kind], { input: bytes, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`decode ${kind}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('C++ bridge encoding (native/wire)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dvdi-wire-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes its own unit tests', () => {
    const r = spawnSync(builtFile('bridge_wire_test'), { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('encodes requests that protobufjs decodes', () => {
    expect(samples('encode', dir).status).toBe(0);
    const recover = recoverRequest.decode(readFileSync(path.join(dir, 'recover.bin')));
    expect(recover.orphans).toEqual(['orphan-1', 'orphan-2']);
    expect(recover.alive).toHaveLength(2);
    const [full, bare] = recover.alive;
    expect(full).toMatchObject({ container_id: 'web-1', pid: 2 ** 40, directory: '/var/lib/mesos/sandbox ü' });
    expect([...full!.executor_info!]).toEqual(executorInfo);
    expect(bare).toEqual({ container_id: 'b'.repeat(200) });

    const prepare = prepareRequest.decode(readFileSync(path.join(dir, 'prepare.bin')));
    expect(prepare).toMatchObject({ container_id: 'db-1', directory: '/sandbox', rootfs: '' });
    expect(prepare.user).toBeUndefined();
    expect([...prepare.executor_info!]).toEqual(executorInfo);

    expect(cleanupRequest.decode(readFileSync(path.join(dir, 'cleanup.bin')))).toEqual({ container_id: 'web-1' });
  });

  it('decodes responses that protobufjs encodes', () => {
    const prepared = {
      commands: ['mount --make-rslave /', `mount -n --rbind '/mnt/ü "x"' '/s/data'`, 'tab\there'],
      mount_namespace: true,
      mounts: [
        { driver: 'rexray', name: 'pg', mountpoint: '/mnt/pg', container_path: '/s/data', shared: true },
        { driver: 'rexray', name: 'logs', mountpoint: '/mnt/logs', container_path: '', shared: false },
      ],
    };
    expect(decodedInCpp('prepare', prepareResponse.encode(prepared))).toEqual(prepared);
    const none = { commands: [], mount_namespace: false, mounts: [] };
    expect(decodedInCpp('prepare', prepareResponse.encode(none))).toEqual(none);

    const recovered = { kept: ['web-1', 'web-2'], releasing: ['d/a'], pending: ['d/b'] };
    expect(decodedInCpp('recover', recoverResponse.encode(recovered))).toEqual(recovered);
    const released = { released: [{ driver: 'd', name: 'a', unmounted: true }, { driver: 'd', name: 'b', unmounted: false }] };
    expect(decodedInCpp('cleanup', cleanupResponse.encode(released))).toEqual(released);
  });

  it('carries the status call both ways (the agent\'s metrics and volumes)', () => {
    expect(samples('encode', dir).status).toBe(0);
    expect(statusRequest.decode(readFileSync(path.join(dir, 'status.bin')))).toEqual({ samples_after: 2 ** 40, volumes: true });
    const status = {
      runtime_restarts: 2, prepares: 7, prepare_failures: 1, cleanups: 6, mounts: 300, mount_failures: 1, unmounts: 299,
      unmount_failures: 0, volumes_mounted: 1, containers_holding: 2, unmounts_pending: 0,
      mount_us: [40_000, 2 ** 33], unmount_us: [15_500], last_sample: 2 ** 40, volumes_json: '[{"name":"ü"}]\n',
    };
    expect(decodedInCpp('status', statusResponse.encode(status))).toEqual(status);
    const { volumes_json: _, ...bare } = status;
    expect(decodedInCpp('status', statusResponse.encode({ ...bare, mount_us: [], unmount_us: [] }))).toEqual({ ...bare, mount_us: [], unmount_us: [] });
  });
});
