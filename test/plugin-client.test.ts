import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import os from 'node:os';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginClient, type PluginClientOptions } from '../src/plugin/client.js';
import { PluginError } from '../src/plugin/errors.js';
import { Method, PLUGIN_CONTENT_TYPE } from '../src/plugin/protocol.js';
import type { PluginLocation } from '../src/plugin/address.js';
import type { Logger, LogFields } from '../src/core/ports.js';
import { TestPlugin, makeStaleSocket } from './helpers/test-plugin.js';

let tmp: string;
let socketPath: string;
let plugin: TestPlugin;
let location: PluginLocation;
const clients: PluginClient[] = [];

function client(options: PluginClientOptions = {}): PluginClient {
  const c = new PluginClient(location, { connectRetryMs: 2000, timeoutMs: 5000, ...options });
  clients.push(c);
  return c;
}

async function failure(promise: Promise<unknown>): Promise<PluginError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

/** A logger that records warnings and runs `onWarn` on the first one. */
function recordingLogger(onWarn: () => void = () => {}): Logger & { warnings: LogFields[] } {
  const warnings: LogFields[] = [];
  return {
    warnings,
    info: () => {},
    error: () => {},
    warn: (_message, fields = {}) => {
      warnings.push(fields);
      if (warnings.length === 1) onWarn();
    },
  };
}

beforeEach(async () => {
  tmp = await mkdtemp(join(os.tmpdir(), 'dvdi-client-'));
  await mkdir(join(tmp, 'run'));
  socketPath = join(tmp, 'run', 'p.sock');
  plugin = await TestPlugin.start(socketPath, join(tmp, 'root'));
  location = { name: 'p', address: { kind: 'unix', path: socketPath }, source: socketPath };
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await plugin.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('plugin client requests', () => {
  it('POSTs each method with the plugin media type and the protocol bodies', async () => {
    const c = client();
    await c.activate();
    await c.create('v1', { size: '10', type: 'gp2' });
    await c.get('v1');
    await c.mount('v1', 'container-1');
    await c.path('v1');
    await c.list();
    await c.capabilities();
    await c.unmount('v1', 'container-1');
    await c.remove('v1');
    expect(plugin.calls.map((call) => call.method)).toEqual([
      Method.Activate,
      Method.Create,
      Method.Get,
      Method.Mount,
      Method.Path,
      Method.List,
      Method.Capabilities,
      Method.Unmount,
      Method.Remove,
    ]);
    for (const call of plugin.calls) {
      expect(call.headers.accept).toBe(PLUGIN_CONTENT_TYPE);
      expect(call.headers['content-type']).toBe(PLUGIN_CONTENT_TYPE);
    }
    expect(plugin.calls.map((call) => call.body)).toEqual([
      '',
      '{"Name":"v1","Opts":{"size":"10","type":"gp2"}}',
      '{"Name":"v1"}',
      '{"Name":"v1","ID":"container-1"}',
      '{"Name":"v1"}',
      '{}',
      '{}',
      '{"Name":"v1","ID":"container-1"}',
      '{"Name":"v1"}',
    ]);
  });

  it('returns what the plugin answers', async () => {
    const c = client();
    expect(await c.activate()).toEqual(['VolumeDriver']);
    await c.create('v1', { k: 'v' });
    expect(await c.path('v1')).toBe('');
    const mountpoint = await c.mount('v1', 'id');
    expect(mountpoint).toBe(plugin.mountpointOf('v1'));
    expect(await c.path('v1')).toBe(mountpoint);
    expect(await c.get('v1')).toEqual({ Name: 'v1', Mountpoint: mountpoint, Status: { opts: { k: 'v' } } });
    expect(await c.list()).toEqual([{ Name: 'v1' }]);
    expect(await c.capabilities()).toEqual({ Scope: 'local' });
  });

  it('waits for a slow plugin within the time limit', async () => {
    plugin.script(Method.List, { kind: 'slow', ms: 50 });
    expect(await client().list()).toEqual([]);
  });
});

describe('plugin client errors', () => {
  it('rejects with the plugin text of an HTTP 500 {"Err"} answer', async () => {
    plugin.script(Method.Mount, { kind: 'error500', err: 'EBS attach failed' });
    const err = await failure(client().mount('v', 'id'));
    expect(err).toMatchObject({ kind: 'plugin', plugin: 'p', method: Method.Mount, detail: 'EBS attach failed', status: 500 });
    expect(err.message).toBe('plugin "p" VolumeDriver.Mount: EBS attach failed');
  });

  it('rejects with the plugin text of a 200 answer with a non-empty Err', async () => {
    plugin.script(Method.Create, { kind: 'error200', err: 'quota exceeded' });
    const err = await failure(client().create('v', {}));
    expect(err).toMatchObject({ kind: 'plugin', method: Method.Create, detail: 'quota exceeded', status: 200 });
  });

  it('rejects other statuses with their body text', async () => {
    plugin.script(Method.Get, { kind: 'raw', status: 404, body: '404 page not found\n' });
    plugin.script(Method.Path, { kind: 'raw', status: 503, body: '' });
    expect((await failure(client().get('v'))).detail).toBe('HTTP 404: 404 page not found');
    expect((await failure(client().path('v'))).detail).toBe('HTTP 503');
  });

  it('rejects answers that are not JSON objects', async () => {
    plugin.script(Method.List, { kind: 'raw', status: 200, body: '<html>oops</html>' }, { kind: 'raw', status: 200, body: '' });
    plugin.script(Method.Mount, { kind: 'raw', status: 200, body: '{"Mountpoint": 42}' });
    plugin.script(Method.Get, { kind: 'raw', status: 200, body: '{"Err": ""}' });
    const c = client();
    expect(await failure(c.list())).toMatchObject({ kind: 'protocol', detail: 'the answer is not a JSON object: <html>oops</html>' });
    expect(await failure(c.list())).toMatchObject({ kind: 'protocol', detail: 'the answer is not a JSON object: (empty)' });
    expect(await failure(c.mount('v', 'id'))).toMatchObject({ kind: 'protocol', detail: '"Mountpoint" is not a string' });
    expect(await failure(c.get('v'))).toMatchObject({ kind: 'protocol', method: Method.Get });
  });

  it('refuses a plugin that does not implement VolumeDriver', async () => {
    plugin.script(Method.Activate, { kind: 'notVolumeDriver' });
    const err = await failure(client().activate());
    expect(err.message).toBe('plugin "p" Plugin.Activate: not a volume plugin: it implements NetworkDriver, not VolumeDriver');
  });

  it('gives up on a plugin that accepted the call but does not answer, without asking again', async () => {
    plugin.script(Method.Mount, { kind: 'hang' });
    // Long enough for the call to reach the plugin (in this process) before it, on a busy machine.
    const err = await failure(client().mount('v', 'id', { timeoutMs: 1_000 }));
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe(`plugin "p" VolumeDriver.Mount: no answer within 1000 ms from unix://${socketPath}`);
    expect(plugin.callsOf(Method.Mount)).toHaveLength(1);
  });

  it('stops a call when the caller aborts, with the caller reason', async () => {
    plugin.script(Method.Unmount, { kind: 'hang' });
    const controller = new AbortController();
    const pending = client().unmount('v', 'id', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('the unmount timeout of 1 ms expired')), 50);
    const err = await failure(pending);
    expect(err).toMatchObject({ kind: 'aborted', detail: 'the unmount timeout of 1 ms expired' });
  });

  it('fails once closed', async () => {
    const c = client();
    await c.activate();
    await c.close();
    expect((await failure(c.list())).detail).toBe('the plugin client is closed');
  });
});

describe('plugin client connections', () => {
  it('reuses one keep-alive connection for successive calls', async () => {
    const c = client();
    await c.activate();
    for (let i = 0; i < 5; i++) await c.list();
    expect(plugin.connections).toBe(1);
    expect(new Set(plugin.calls.map((call) => call.connection))).toEqual(new Set([1]));
  });

  it('does not resend a call the plugin received on a fresh connection and then dropped', async () => {
    // The plugin may have acted on it: a second Mount would be counted twice.
    plugin.script(Method.Mount, { kind: 'destroy' });
    await client().create('v', {});
    const err = await failure(client().mount('v', 'c1'));
    expect(err.message).toMatch(/VolumeDriver\.Mount: connection to .* failed: socket hang up/);
    expect(plugin.callsOf(Method.Mount)).toHaveLength(1);
  });

  it('retries a refusing plugin until it is back', async () => {
    await plugin.stop();
    await makeStaleSocket(socketPath);
    const logger = recordingLogger(() => void plugin.restart());
    expect(await client({ logger }).list()).toEqual([]);
    expect(logger.warnings[0]).toMatchObject({ driver: 'p', method: Method.List, error: expect.stringContaining('ECONNREFUSED') });
  });

  it('retries a plugin whose socket is missing until it is back', async () => {
    await plugin.stop();
    const logger = recordingLogger(() => void plugin.restart());
    expect(await client({ logger }).activate()).toEqual(['VolumeDriver']);
    expect(logger.warnings[0]).toMatchObject({ error: expect.stringContaining('ENOENT') });
  });

  it('gives up on an unreachable plugin after the retry budget', async () => {
    await plugin.stop();
    await makeStaleSocket(socketPath);
    const logger = recordingLogger();
    const err = await failure(client({ connectRetryMs: 300, logger }).list());
    expect(err.kind).toBe('connect');
    expect(err.message).toMatch(new RegExp(`^plugin "p" VolumeDriver.List: cannot reach the plugin at unix://${socketPath}: .*ECONNREFUSED.* \\(\\d+ attempts over \\d+ ms\\)$`));
    expect(logger.warnings.length).toBeGreaterThan(0);
  });

  it('activates once, and again after the plugin restarted', async () => {
    const c = client();
    await c.activate();
    await c.activate();
    expect(plugin.callsOf(Method.Activate)).toHaveLength(1);
    await plugin.restart();
    await c.activate();
    expect(plugin.callsOf(Method.Activate)).toHaveLength(2);
    await c.activate();
    expect(plugin.callsOf(Method.Activate)).toHaveLength(2);
  });

  it('activates again after a connection failure', async () => {
    const c = client();
    await c.activate();
    plugin.script(Method.List, { kind: 'destroy' });
    await c.list();
    await c.activate();
    expect(plugin.callsOf(Method.Activate)).toHaveLength(2);
  });
});
