import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPluginServer, type PluginServer } from '../src/plugin/server/server.js';
import { DVDCLI_ENTRY, dvdi, dvdiAsync } from './helpers/cli.js';
import { tempRoot } from './helpers/harness.js';
import { TestPlugin } from './helpers/test-plugin.js';

let root: string;
let plugins: string;
let server: PluginServer | undefined;
beforeEach(() => {
  root = tempRoot();
  plugins = path.join(root, 'plugins');
  mkdirSync(plugins);
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(root, { recursive: true, force: true });
});

const common = () => ['--checkpoint', path.join(root, 'state', 'dvdimounts.pb'), '--plugin-dirs', plugins];

describe('dvdi doctor', () => {
  it('says ready when the dvdcli binary runs and the plugins answer', async () => {
    server = await startPluginServer({ name: 'good', socketPath: path.join(plugins, 'good.sock'), root: path.join(root, 'good'), backend: 'dir' });
    const r = await dvdiAsync(['doctor', ...common(), '--dvdcli', DVDCLI_ENTRY]);
    expect(r.stdout).toMatch(/\[ ok \] running as root/);
    expect(r.stdout).toMatch(/\[ ok \] dvdcli .* runs: dvdi \d/);
    expect(r.stdout).toMatch(/\[ ok \] plugin good \(.*good\.sock\): activated, 0 volume\(s\)/);
    // No module to check the host's libraries for (see doctor-libraries.test.ts): at most that warning.
    expect(r.stdout).toMatch(/verdict: ready( \(1 warning\(s\)\))?\n$/);
    expect(r.status).toBe(0);
  });

  it('fails when the configured dvdcli binary is missing', () => {
    const r = dvdi(['doctor', ...common(), '--dvdcli', '/nonexistent/dvdcli']);
    expect(r.stdout).toMatch(/\[FAIL\] dvdcli binary \/nonexistent\/dvdcli is missing/);
    expect(r.stdout).toMatch(/verdict: NOT ready/);
    expect(r.status).toBe(1);
  });

  it('fails with the plugin mounter when no plugin answers, naming the broken one', async () => {
    const bad = await TestPlugin.start(path.join(plugins, 'notvolumes.sock'), path.join(root, 'bad'));
    bad.script('Plugin.Activate', { kind: 'notVolumeDriver' });
    try {
      const r = await dvdiAsync(['doctor', ...common(), '--mounter', 'plugin']);
      expect(r.stdout).toMatch(/\[warn\] plugin notvolumes .*not a volume plugin/);
      expect(r.stdout).toMatch(/\[FAIL\] no volume plugin answers/);
      expect(r.status).toBe(1);
    } finally {
      await bad.stop();
    }
  });
});
