import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtemp, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../src/core/ports.js';
import { startPluginServer, type PluginServer } from '../src/plugin/server/server.js';
import { cleanupUnder } from './helpers/loop-cleanup.js';
import { pluginCall } from './helpers/plugin-call.js';
import { killAndWait } from './helpers/process.js';

function memoryLogger(lines: string[]): Logger {
  const add = (level: string) => (message: string, fields?: LogFields) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { info: add('INFO'), warn: add('WARN'), error: add('ERROR') };
}

describe('plugin server, dir backend', () => {
  let tmp: string;
  let root: string;
  let socketPath: string;
  let logLines: string[];
  let servers: PluginServer[];

  const start = async (): Promise<PluginServer> => {
    const server = await startPluginServer({ name: 'dvdi-test', socketPath, root, backend: 'dir', logger: memoryLogger(logLines) });
    servers.push(server);
    return server;
  };
  const call = (method: string, body?: unknown) => pluginCall(socketPath, method, body);

  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dvdi-plugin-dir-'));
    root = path.join(tmp, 'root');
    socketPath = path.join(tmp, 'run', 'plugins', 'dvdi-test.sock');
    logLines = [];
    servers = [];
  });

  afterEach(async () => {
    for (const s of servers) await s.close();
    await cleanupUnder(tmp);
  });

  it('answers Activate and Capabilities', async () => {
    await start();
    expect(await call('Plugin.Activate', '')).toEqual({ status: 200, body: { Implements: ['VolumeDriver'] } });
    expect(await call('VolumeDriver.Capabilities')).toEqual({ status: 200, body: { Capabilities: { Scope: 'local' } } });
  });

  it('creates the socket directory and serves on a socket only its owner may use', async () => {
    await start();
    const st = await stat(socketPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('runs a volume through Create, Get, List, Mount, Path, Unmount and Remove', async () => {
    await start();
    expect(await call('VolumeDriver.Create', { Name: 'vol1', Opts: {} })).toEqual({ status: 200, body: { Err: '' } });

    const before = await call('VolumeDriver.Get', { Name: 'vol1' });
    expect(before.status).toBe(200);
    expect(before.body.Volume).toMatchObject({ Name: 'vol1', Mountpoint: '', Status: { backend: 'dir', mounts: 0 } });
    expect((await call('VolumeDriver.Path', { Name: 'vol1' })).body).toEqual({ Mountpoint: '', Err: '' });

    const mounted = await call('VolumeDriver.Mount', { Name: 'vol1', ID: 'c1' });
    expect(mounted.status).toBe(200);
    const mountpoint = mounted.body.Mountpoint as string;
    expect(mountpoint).toBe(path.join(await realpath(root), 'volumes', 'vol1', 'data'));
    await writeFile(path.join(mountpoint, 'hello.txt'), 'hi');

    expect((await call('VolumeDriver.Path', { Name: 'vol1' })).body).toEqual({ Mountpoint: mountpoint, Err: '' });
    const list = await call('VolumeDriver.List');
    expect(list.body.Err).toBe('');
    expect(list.body.Volumes).toEqual([expect.objectContaining({ Name: 'vol1', Mountpoint: mountpoint, Status: { backend: 'dir', mounts: 1 } })]);

    expect(await call('VolumeDriver.Unmount', { Name: 'vol1', ID: 'c1' })).toEqual({ status: 200, body: { Err: '' } });
    expect((await call('VolumeDriver.Get', { Name: 'vol1' })).body.Volume).toMatchObject({ Mountpoint: '' });
    expect(await readFile(path.join(mountpoint, 'hello.txt'), 'utf8')).toBe('hi');

    expect(await call('VolumeDriver.Remove', { Name: 'vol1' })).toEqual({ status: 200, body: { Err: '' } });
    expect(await call('VolumeDriver.Get', { Name: 'vol1' })).toEqual({ status: 500, body: { Err: 'no such volume: vol1' } });
    expect((await call('VolumeDriver.List')).body.Volumes).toEqual([]);
    expect(await readdir(path.join(root, 'volumes'))).toEqual([]);
  });

  it('answers calls on a missing volume with "no such volume"', async () => {
    await start();
    for (const method of ['Remove', 'Mount', 'Unmount', 'Path', 'Get']) {
      const reply = await call(`VolumeDriver.${method}`, { Name: 'ghost', ID: 'c1' });
      expect(reply).toEqual({ status: 500, body: { Err: 'no such volume: ghost' } });
    }
  });

  it('treats Create of an existing volume as success and keeps its data', async () => {
    await start();
    await call('VolumeDriver.Create', { Name: 'again' });
    const mountpoint = (await call('VolumeDriver.Mount', { Name: 'again', ID: 'a' })).body.Mountpoint as string;
    await writeFile(path.join(mountpoint, 'keep'), 'x');
    expect(await call('VolumeDriver.Create', { Name: 'again' })).toEqual({ status: 200, body: { Err: '' } });
    expect(await readFile(path.join(mountpoint, 'keep'), 'utf8')).toBe('x');
  });

  it('refuses options the dir backend does not take', async () => {
    await start();
    const reply = await call('VolumeDriver.Create', { Name: 'v', Opts: { size: '1G' } });
    expect(reply.status).toBe(500);
    expect(reply.body.Err).toBe('unknown option size for the dir backend; accepted: none');
    expect((await call('VolumeDriver.List')).body.Volumes).toEqual([]);
  });

  it('refuses names that could leave the root', async () => {
    await start();
    const bad = ['../x', 'a/b', 'a\u0000b', '..', '.hidden', '', '-x', 'x'.repeat(256), 'é'];
    for (const name of bad) {
      const reply = await call('VolumeDriver.Create', { Name: name });
      expect(reply.status, name).toBe(500);
      expect(reply.body.Err, name).toMatch(/^volume (invalid name|a name is required|name is longer than 255 bytes)/);
    }
    expect((await call('VolumeDriver.Create', { Name: 7 })).body.Err).toBe('volume a name is required');
    expect(await readdir(path.join(root, 'volumes'))).toEqual([]);
    expect((await readdir(tmp)).sort()).toEqual(['root', 'run']);
    // The longest allowed name still works.
    expect((await call('VolumeDriver.Create', { Name: 'a'.repeat(255) })).body).toEqual({ Err: '' });
  });

  it('answers malformed bodies, unknown methods and other verbs with an error', async () => {
    await start();
    const invalid = await call('VolumeDriver.Create', '{"Name": ');
    expect(invalid.status).toBe(500);
    expect(invalid.body.Err).toMatch(/^invalid JSON body: /);
    expect(await call('VolumeDriver.Create', '[1]')).toEqual({ status: 500, body: { Err: 'request body must be a JSON object' } });
    expect(await call('VolumeDriver.Create', { Name: 'v', Opts: { size: 1 } })).toEqual({
      status: 500,
      body: { Err: 'option size must be a string' },
    });
    expect(await call('VolumeDriver.Mount', { Name: 'v', ID: 5 })).toEqual({ status: 500, body: { Err: 'ID must be a string' } });
    expect(await call('VolumeDriver.Frobnicate')).toEqual({ status: 404, body: { Err: 'unknown method "VolumeDriver.Frobnicate"' } });
    const get = await pluginCall(socketPath, 'VolumeDriver.List', '', 'GET');
    expect(get.status).toBe(405);
    const huge = await call('VolumeDriver.Create', { Name: 'v', Opts: { pad: 'x'.repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
  });

  it('counts mounts per ID and keeps the volume mounted until the last Unmount', async () => {
    await start();
    await call('VolumeDriver.Create', { Name: 'shared' });
    const first = await call('VolumeDriver.Mount', { Name: 'shared', ID: 'c1' });
    const second = await call('VolumeDriver.Mount', { Name: 'shared', ID: 'c2' });
    const again = await call('VolumeDriver.Mount', { Name: 'shared', ID: 'c2' });
    expect(second.body.Mountpoint).toBe(first.body.Mountpoint);
    expect(again.body.Mountpoint).toBe(first.body.Mountpoint);
    expect((await call('VolumeDriver.Get', { Name: 'shared' })).body.Volume).toMatchObject({ Status: { mounts: 3 } });

    const stranger = await call('VolumeDriver.Unmount', { Name: 'shared', ID: 'c9' });
    expect(stranger.status).toBe(500);
    expect(stranger.body.Err).toBe('volume shared is not mounted by ID "c9"; it is mounted by IDs "c1", "c2" ×2');

    const refused = await call('VolumeDriver.Remove', { Name: 'shared' });
    expect(refused.status).toBe(500);
    expect(refused.body.Err).toMatch(/^volume shared is mounted/);

    await call('VolumeDriver.Unmount', { Name: 'shared', ID: 'c1' });
    await call('VolumeDriver.Unmount', { Name: 'shared', ID: 'c2' });
    expect((await call('VolumeDriver.Path', { Name: 'shared' })).body.Mountpoint).toBe(first.body.Mountpoint);
    await call('VolumeDriver.Unmount', { Name: 'shared', ID: 'c2' });
    expect((await call('VolumeDriver.Path', { Name: 'shared' })).body.Mountpoint).toBe('');
    // Unmount of a volume nobody has mounted is a harmless no-op.
    expect(await call('VolumeDriver.Unmount', { Name: 'shared', ID: 'c1' })).toEqual({ status: 200, body: { Err: '' } });
    expect((await call('VolumeDriver.Remove', { Name: 'shared' })).body).toEqual({ Err: '' });
  });

  it('serialises concurrent mounts of one volume', async () => {
    await start();
    await call('VolumeDriver.Create', { Name: 'busy' });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => call('VolumeDriver.Mount', { Name: 'busy', ID: `c${i % 5}` })));
    expect(new Set(replies.map((r) => r.body.Mountpoint)).size).toBe(1);
    expect((await call('VolumeDriver.Get', { Name: 'busy' })).body.Volume).toMatchObject({ Status: { mounts: 20 } });
    const meta = JSON.parse(await readFile(path.join(root, 'volumes', 'busy', 'meta.json'), 'utf8')) as { mounts: Record<string, number> };
    expect(meta.mounts).toEqual({ c0: 4, c1: 4, c2: 4, c3: 4, c4: 4 });
  });

  it('keeps volumes and mount counts across a restart', async () => {
    const first = await start();
    await call('VolumeDriver.Create', { Name: 'durable' });
    const mountpoint = (await call('VolumeDriver.Mount', { Name: 'durable', ID: 'c1' })).body.Mountpoint;
    await first.close();
    await expect(stat(socketPath)).rejects.toThrow(/ENOENT/);

    await start();
    expect((await call('VolumeDriver.Get', { Name: 'durable' })).body.Volume).toMatchObject({
      Mountpoint: mountpoint,
      Status: { mounts: 1 },
    });
    await call('VolumeDriver.Unmount', { Name: 'durable', ID: 'c1' });
    expect((await call('VolumeDriver.Path', { Name: 'durable' })).body.Mountpoint).toBe('');
  });

  it('drops mount counts recorded during an earlier boot of the host', async () => {
    const first = await start();
    await call('VolumeDriver.Create', { Name: 'old' });
    await call('VolumeDriver.Mount', { Name: 'old', ID: 'c1' });
    await first.close();
    const metaPath = path.join(root, 'volumes', 'old', 'meta.json');
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as Record<string, unknown>;
    await writeFile(metaPath, JSON.stringify({ ...meta, bootId: 'an-earlier-boot' }));

    await start();
    expect((await call('VolumeDriver.Get', { Name: 'old' })).body.Volume).toMatchObject({ Mountpoint: '', Status: { mounts: 0 } });
    expect(logLines.some((l) => l.startsWith('WARN volume was recorded as mounted but is not'))).toBe(true);
  });

  it('ignores a volume whose metadata is corrupt and refuses to create over it', async () => {
    const first = await start();
    await call('VolumeDriver.Create', { Name: 'good' });
    await call('VolumeDriver.Create', { Name: 'bad' });
    await first.close();
    await writeFile(path.join(root, 'volumes', 'bad', 'meta.json'), '{"name": "bad"');

    await start();
    expect((await call('VolumeDriver.List')).body.Volumes).toEqual([expect.objectContaining({ Name: 'good' })]);
    const reply = await call('VolumeDriver.Create', { Name: 'bad' });
    expect(reply.status).toBe(500);
    expect(reply.body.Err).toMatch(/exists but its metadata is unreadable/);
  });

  it('refuses to start where a live server already listens, and replaces a stale socket', async () => {
    await start();
    await expect(start()).rejects.toThrow(`another server is listening on ${socketPath}`);
    await servers.shift()!.close();

    // A server killed outright leaves its socket file behind.
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`,
    ]);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await killAndWait(child);
    expect((await stat(socketPath)).isSocket()).toBe(true);

    await start();
    expect((await call('Plugin.Activate', '')).status).toBe(200);
  });

  it('leaves a file that is not a socket alone', async () => {
    await writeFile(path.join(tmp, 'not-a-socket'), 'precious');
    socketPath = path.join(tmp, 'not-a-socket');
    await expect(start()).rejects.toThrow('exists and is not a socket');
    expect(await readFile(socketPath, 'utf8')).toBe('precious');
  });

  it('answers a call in flight before it stops, then closes the connection', async () => {
    const server = await start();
    const body = JSON.stringify({ Name: 'late' });
    const client = net.connect(socketPath);
    let received = '';
    const ended = new Promise<void>((resolve) => client.once('close', () => resolve()));
    // With Expect: 100-continue the server answers "100 Continue" once the call is in its hands.
    await new Promise<void>((resolve) => {
      client.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8');
        if (received.includes('100 Continue')) resolve();
      });
      client.write(
        `POST /VolumeDriver.Create HTTP/1.1\r\nHost: plugin\r\nExpect: 100-continue\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      );
    });
    servers.splice(servers.indexOf(server), 1);
    const closed = server.close();
    client.write(body);
    await closed;
    await ended;
    expect(received).toMatch(/HTTP\/1\.1 200 OK\r\n/);
    expect(received).toMatch(/\r\nConnection: close\r\n/);
    expect(received.endsWith('{"Err":""}')).toBe(true);
    expect(JSON.parse(await readFile(path.join(root, 'volumes', 'late', 'meta.json'), 'utf8'))).toMatchObject({ name: 'late' });
    await expect(pluginCall(socketPath, 'Plugin.Activate', '')).rejects.toThrow(/ENOENT|ECONNREFUSED/);
  });

  it('logs one line per call', async () => {
    await start();
    await call('VolumeDriver.Create', { Name: 'logged' });
    await call('VolumeDriver.Mount', { Name: 'nope', ID: 'x' });
    expect(logLines).toContainEqual(expect.stringMatching(/^INFO VolumeDriver.Create .*"volume":"logged".*"result":"ok"/));
    expect(logLines).toContainEqual(expect.stringMatching(/^WARN VolumeDriver.Mount .*"volume":"nope".*"err":"no such volume: nope"/));
  });

  it('counts mounts of IDs that are also names of object properties like any other ID', async () => {
    await start();
    await call('VolumeDriver.Create', { Name: 'proto' });
    for (const ID of ['constructor', '__proto__', 'toString']) {
      expect((await call('VolumeDriver.Mount', { Name: 'proto', ID })).body).toMatchObject({ Err: '' });
    }
    expect((await call('VolumeDriver.Unmount', { Name: 'proto', ID: 'hasOwnProperty' })).status).toBe(500);
    for (const s of servers.splice(0)) await s.close();
    await start();
    for (const ID of ['constructor', '__proto__']) {
      expect((await call('VolumeDriver.Unmount', { Name: 'proto', ID })).body).toEqual({ Err: '' });
      expect((await call('VolumeDriver.Get', { Name: 'proto' })).body.Volume).toMatchObject({ Mountpoint: expect.stringMatching(/^\//) });
    }
    expect((await call('VolumeDriver.Unmount', { Name: 'proto', ID: 'toString' })).body).toEqual({ Err: '' });
    expect((await call('VolumeDriver.Get', { Name: 'proto' })).body.Volume).toMatchObject({ Mountpoint: '' });
  });
});

