import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginClient } from '../src/plugin/client.js';
import { PluginError } from '../src/plugin/errors.js';
import { findPlugin } from '../src/plugin/discovery.js';
import { Method } from '../src/plugin/protocol.js';
import { TestPlugin } from './helpers/test-plugin.js';

const run = promisify(execFile);

let tmp: string;
let key: string;
let cert: string;
let otherCertFile: string;
const plugins: TestPlugin[] = [];
const clients: PluginClient[] = [];

/** A self-signed certificate for 127.0.0.1, which can serve as its own CA. */
async function selfSigned(prefix: string): Promise<{ keyFile: string; certFile: string }> {
  const keyFile = join(tmp, `${prefix}-key.pem`);
  const certFile = join(tmp, `${prefix}-cert.pem`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ]);
  return { keyFile, certFile };
}

async function startPlugin(tls?: boolean): Promise<TestPlugin> {
  const plugin = await TestPlugin.listenOn(tls ? { kind: 'tcp', tls: { key, cert } } : { kind: 'tcp' }, join(tmp, 'root'));
  plugins.push(plugin);
  return plugin;
}

async function clientFor(name: string, spec: object): Promise<PluginClient> {
  await writeFile(join(tmp, 'specs', `${name}.json`), JSON.stringify(spec));
  const client = new PluginClient(await findPlugin(name, { socketDirs: [], specDirs: [join(tmp, 'specs')] }), {
    connectRetryMs: 500,
    timeoutMs: 5000,
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(os.tmpdir(), 'dvdi-client-tcp-'));
  await mkdir(join(tmp, 'specs'));
  const mine = await selfSigned('plugin');
  key = await readFile(mine.keyFile, 'utf8');
  cert = await readFile(mine.certFile, 'utf8');
  otherCertFile = (await selfSigned('other')).certFile;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(plugins.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('plugin client over TCP', () => {
  it('speaks plain HTTP to a tcp:// address', async () => {
    const plugin = await startPlugin();
    const client = await clientFor('plain', { Name: 'plain', Addr: `tcp://127.0.0.1:${plugin.port}` });
    await client.activate();
    await client.create('v', {});
    expect(await client.list()).toEqual([{ Name: 'v' }]);
    expect(plugin.connections).toBe(1);
  });

  it('speaks HTTPS to an https:// address, verifying against the CA file', async () => {
    const plugin = await startPlugin(true);
    const client = await clientFor('secure', {
      Addr: `https://127.0.0.1:${plugin.port}`,
      TLSConfig: { CAFile: join(tmp, 'plugin-cert.pem') },
    });
    expect(await client.activate()).toEqual(['VolumeDriver']);
    expect(plugin.callsOf(Method.Activate)).toHaveLength(1);
  });

  it('refuses a certificate the CA file does not vouch for, without retrying', async () => {
    const plugin = await startPlugin(true);
    const client = await clientFor('mistrust', { Addr: `https://127.0.0.1:${plugin.port}`, TLSConfig: { CAFile: otherCertFile } });
    const err = await client.activate().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(err).toMatchObject({ kind: 'connect', method: Method.Activate });
    expect((err as Error).message).toContain(`connection to https://127.0.0.1:${plugin.port} failed:`);
    expect(plugin.calls).toHaveLength(0);
  });

  it('skips verification without a CA file, as Docker does', async () => {
    const plugin = await startPlugin(true);
    const client = await clientFor('insecure', { Addr: `https://127.0.0.1:${plugin.port}`, TLSConfig: {} });
    expect(await client.activate()).toEqual(['VolumeDriver']);
  });

  it('reports an unreadable CA file', async () => {
    const client = await clientFor('nofile', { Addr: 'https://127.0.0.1:1', TLSConfig: { CAFile: join(tmp, 'missing.pem') } });
    await expect(client.activate()).rejects.toThrow(`plugin "nofile" Plugin.Activate: cannot read TLS CA file ${join(tmp, 'missing.pem')}: ENOENT`);
  });
});
