import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import os from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findPlugin, listPlugins, PluginNotFoundError, type PluginDirs } from '../src/plugin/discovery.js';

let tmp: string;
let dirs: PluginDirs;
let servers: net.Server[];

async function socketAt(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
}

async function fileAt(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

beforeEach(async () => {
  tmp = await mkdtemp(join(os.tmpdir(), 'dvdi-discovery-'));
  servers = [];
  dirs = {
    socketDirs: [join(tmp, 'run1'), join(tmp, 'run2')],
    specDirs: [join(tmp, 'etc'), join(tmp, 'lib')],
  };
});

afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await rm(tmp, { recursive: true, force: true });
});

describe('plugin discovery by name', () => {
  it('finds NAME.sock in a socket directory', async () => {
    const path = join(tmp, 'run1', 'rexray.sock');
    await socketAt(path);
    expect(await findPlugin('rexray', dirs)).toEqual({ name: 'rexray', address: { kind: 'unix', path }, source: path });
  });

  it('finds NAME/NAME.sock', async () => {
    const path = join(tmp, 'run1', 'rexray', 'rexray.sock');
    await socketAt(path);
    expect((await findPlugin('rexray', dirs)).address).toEqual({ kind: 'unix', path });
  });

  it('prefers NAME.sock over NAME/NAME.sock and earlier socket directories', async () => {
    await socketAt(join(tmp, 'run1', 'p', 'p.sock'));
    await socketAt(join(tmp, 'run1', 'p.sock'));
    await socketAt(join(tmp, 'run2', 'p.sock'));
    expect((await findPlugin('p', dirs)).source).toBe(join(tmp, 'run1', 'p.sock'));
  });

  it('skips a NAME.sock that is not a socket', async () => {
    await fileAt(join(tmp, 'run1', 'p.sock'), 'not a socket');
    await socketAt(join(tmp, 'run2', 'p.sock'));
    expect((await findPlugin('p', dirs)).source).toBe(join(tmp, 'run2', 'p.sock'));
  });

  it('looks at sockets before spec files', async () => {
    await fileAt(join(tmp, 'etc', 'p.spec'), 'tcp://127.0.0.1:9000\n');
    await socketAt(join(tmp, 'run2', 'p', 'p.sock'));
    expect((await findPlugin('p', dirs)).address.kind).toBe('unix');
  });

  it('reads a .spec with a unix URL, and one with a tcp URL in a NAME/ folder', async () => {
    await fileAt(join(tmp, 'etc', 'a.spec'), '  unix:///run/elsewhere/a.sock\n');
    await fileAt(join(tmp, 'lib', 'b', 'b.spec'), 'tcp://127.0.0.1:8080');
    expect(await findPlugin('a', dirs)).toEqual({
      name: 'a',
      address: { kind: 'unix', path: '/run/elsewhere/a.sock' },
      source: join(tmp, 'etc', 'a.spec'),
    });
    expect(await findPlugin('b', dirs)).toEqual({
      name: 'b',
      address: { kind: 'tcp', host: '127.0.0.1', port: 8080 },
      source: join(tmp, 'lib', 'b', 'b.spec'),
    });
  });

  it('follows Docker order within a spec directory: NAME.spec, NAME/NAME.spec, NAME.json, NAME/NAME.json', async () => {
    await fileAt(join(tmp, 'etc', 'p', 'p.json'), JSON.stringify({ Name: 'p', Addr: 'tcp://h:4' }));
    await fileAt(join(tmp, 'etc', 'p.json'), JSON.stringify({ Name: 'p', Addr: 'tcp://h:3' }));
    await fileAt(join(tmp, 'etc', 'p', 'p.spec'), 'tcp://h:2');
    await fileAt(join(tmp, 'lib', 'p.spec'), 'tcp://h:9');
    expect((await findPlugin('p', dirs)).source).toBe(join(tmp, 'etc', 'p', 'p.spec'));
    await rm(join(tmp, 'etc', 'p', 'p.spec'));
    expect((await findPlugin('p', dirs)).source).toBe(join(tmp, 'etc', 'p.json'));
    await rm(join(tmp, 'etc', 'p.json'));
    expect((await findPlugin('p', dirs)).source).toBe(join(tmp, 'etc', 'p', 'p.json'));
    await rm(join(tmp, 'etc', 'p'), { recursive: true });
    expect((await findPlugin('p', dirs)).source).toBe(join(tmp, 'lib', 'p.spec'));
  });

  it('reads a .json spec with a tcp address as plain HTTP, as Docker does', async () => {
    await fileAt(
      join(tmp, 'etc', 'j.json'),
      JSON.stringify({ Name: 'j', Addr: 'tcp://10.0.0.5:7000', TLSConfig: { InsecureSkipVerify: false, CAFile: '/ca.pem' } }),
    );
    expect((await findPlugin('j', dirs)).address).toEqual({ kind: 'tcp', host: '10.0.0.5', port: 7000 });
  });

  it('reads TLS settings of an https .json spec; without a CA file verification is skipped, as in Docker', async () => {
    await fileAt(
      join(tmp, 'etc', 's.json'),
      JSON.stringify({ Addr: 'https://plugins.example:8443', TLSConfig: { CAFile: '/ca.pem', CertFile: '/c.pem', KeyFile: '/k.pem' } }),
    );
    await fileAt(join(tmp, 'etc', 'i.json'), JSON.stringify({ Addr: 'https://[::1]:8443', TLSConfig: { InsecureSkipVerify: false } }));
    expect((await findPlugin('s', dirs)).address).toEqual({
      kind: 'tcp',
      host: 'plugins.example',
      port: 8443,
      tls: { insecureSkipVerify: false, caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
    });
    expect((await findPlugin('i', dirs)).address).toEqual({ kind: 'tcp', host: '::1', port: 8443, tls: { insecureSkipVerify: true } });
  });

  it('reports an invalid spec file instead of skipping it', async () => {
    await fileAt(join(tmp, 'etc', 'bad.spec'), 'ftp://host/x');
    await fileAt(join(tmp, 'etc', 'broken.json'), '{"Addr": ');
    await fileAt(join(tmp, 'etc', 'noport.spec'), 'tcp://host');
    await expect(findPlugin('bad', dirs)).rejects.toThrow(`${join(tmp, 'etc', 'bad.spec')}: invalid plugin address "ftp://host/x": unsupported scheme "ftp"`);
    await expect(findPlugin('broken', dirs)).rejects.toThrow(/broken\.json: invalid JSON/);
    await expect(findPlugin('noport', dirs)).rejects.toThrow(/needs a port/);
  });

  it('finds names with "/" and ":" by their full name', async () => {
    const path = join(tmp, 'run1', 'rexray', 'ebs:latest.sock');
    await socketAt(path);
    await fileAt(join(tmp, 'lib', 'vendor', 'x:1', 'vendor', 'x:1.spec'), 'unix:///run/x.sock');
    expect((await findPlugin('rexray/ebs:latest', dirs)).source).toBe(path);
    expect((await findPlugin('vendor/x:1', dirs)).address).toEqual({ kind: 'unix', path: '/run/x.sock' });
  });

  it('refuses names that would leave the plugin directories', async () => {
    await socketAt(join(tmp, 'evil.sock'));
    await fileAt(join(tmp, 'evil.spec'), 'tcp://127.0.0.1:1');
    for (const name of ['../evil', 'a/../../evil', '/evil', '', '.', 'a//b', 'a/./b', 'x\0y']) {
      await expect(findPlugin(name, dirs), name).rejects.toThrow(/invalid plugin name/);
    }
  });

  it('says where it looked when nothing matches', async () => {
    const err = await findPlugin('missing', dirs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginNotFoundError);
    const message = (err as Error).message;
    expect(message).toContain('plugin "missing" not found (looked in ');
    expect(message).toContain(join(tmp, 'run1', 'missing.sock'));
    expect(message).toContain(join(tmp, 'lib', 'missing', 'missing.json'));
  });
});

describe('listing plugins', () => {
  it('lists every plugin once with the location a lookup uses, and reports broken specs', async () => {
    await socketAt(join(tmp, 'run1', 'a.sock'));
    await socketAt(join(tmp, 'run2', 'b', 'b.sock'));
    await socketAt(join(tmp, 'run1', 'rexray', 'ebs:latest.sock'));
    await fileAt(join(tmp, 'etc', 'a.spec'), 'tcp://127.0.0.1:1');
    await fileAt(join(tmp, 'etc', 'c.json'), JSON.stringify({ Addr: 'tcp://127.0.0.1:2' }));
    await fileAt(join(tmp, 'lib', 'd', 'd.spec'), 'unix:///run/d.sock');
    await fileAt(join(tmp, 'lib', 'bad.spec'), 'nonsense');
    await fileAt(join(tmp, 'lib', 'README'), 'ignored');
    const listing = await listPlugins(dirs);
    expect(listing.plugins.map((p) => [p.name, p.source])).toEqual([
      ['a', join(tmp, 'run1', 'a.sock')],
      ['b', join(tmp, 'run2', 'b', 'b.sock')],
      ['c', join(tmp, 'etc', 'c.json')],
      ['d', join(tmp, 'lib', 'd', 'd.spec')],
      ['rexray/ebs:latest', join(tmp, 'run1', 'rexray', 'ebs:latest.sock')],
    ]);
    expect(listing.problems).toEqual([{ source: join(tmp, 'lib', 'bad.spec'), error: expect.stringContaining('nonsense') }]);
  });

  it('returns nothing for directories that do not exist', async () => {
    expect(await listPlugins(dirs)).toEqual({ plugins: [], problems: [] });
  });
});
