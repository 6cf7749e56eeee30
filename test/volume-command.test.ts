import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import os from 'node:os';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runVolumeCommand } from '../src/cli/volume.js';
import { Method } from '../src/plugin/protocol.js';
import { TestPlugin } from './helpers/test-plugin.js';

let tmp: string;
let socketDir: string;
let specDir: string;
let plugin: TestPlugin;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await runVolumeCommand(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: { DVDI_PLUGIN_SOCKET_DIRS: socketDir, DVDI_PLUGIN_SPEC_DIRS: specDir, ...extraEnv },
  });
  return { code, stdout, stderr };
}

/** Every failure is exit 1, nothing on stdout and exactly one line on stderr. */
function expectFailure(outcome: Outcome, message: string | RegExp): void {
  expect(outcome.code).toBe(1);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr).toMatch(/^[^\n]+\n$/);
  if (typeof message === 'string') expect(outcome.stderr).toBe(`${message}\n`);
  else expect(outcome.stderr).toMatch(message);
}

const drv = '--volumedriver=testdrv';

beforeEach(async () => {
  tmp = await mkdtemp(join(os.tmpdir(), 'dvdi-volume-cmd-'));
  socketDir = join(tmp, 'run');
  specDir = join(tmp, 'etc');
  await mkdir(socketDir);
  await mkdir(specDir);
  plugin = await TestPlugin.start(join(socketDir, 'testdrv.sock'), join(tmp, 'root'));
});

afterEach(async () => {
  await plugin.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('dvdi volume subcommands', () => {
  it('mount creates a missing volume with its options and prints the mountpoint alone', async () => {
    const out = await run(['mount', drv, '--volumename=v1', '--volumeopts=size=5', '--volumeopts=a=1,b=x=y']);
    expect(out).toEqual({ code: 0, stdout: `${plugin.mountpointOf('v1')}\n`, stderr: '' });
    expect(plugin.bodiesOf(Method.Create)).toEqual([{ Name: 'v1', Opts: { size: '5', a: '1', b: 'x=y' } }]);
    expect(plugin.bodiesOf(Method.Mount)).toEqual([{ Name: 'v1', ID: 'dvdcli' }]);
  });

  it('mount accepts the "--flag value" form', async () => {
    const out = await run(['mount', '--volumedriver', 'testdrv', '--volumename', 'v1', '--explicitcreate', 'false']);
    expect(out.code).toBe(0);
    expect(plugin.callsOf(Method.Create)).toHaveLength(1);
  });

  it('mount with --explicitcreate does not create a missing volume', async () => {
    expectFailure(
      await run(['mount', drv, '--volumename=v1', '--explicitcreate']),
      'dvdi volume mount: cannot mount testdrv/v1: plugin "testdrv" VolumeDriver.Mount: volume v1 not found',
    );
    expect(plugin.callsOf(Method.Create)).toHaveLength(0);
    await plugin.addVolume('v1');
    expect((await run(['mount', drv, '--volumename=v1', '--explicitcreate=true'])).code).toBe(0);
  });

  it('unmount sends the same constant ID as mount, or the one given', async () => {
    await run(['mount', drv, '--volumename=v1']);
    expect(await run(['unmount', drv, '--volumename=v1'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(plugin.mountIds('v1')).toEqual([]);
    await run(['mount', drv, '--volumename=v1', '--id=container-9']);
    expect(plugin.mountIds('v1')).toEqual(['container-9']);
    expect((await run(['unmount', drv, '--volumename=v1', '--id', 'container-9'])).code).toBe(0);
    expect(plugin.bodiesOf(Method.Unmount)).toEqual([
      { Name: 'v1', ID: 'dvdcli' },
      { Name: 'v1', ID: 'container-9' },
    ]);
  });

  it('path prints the mountpoint of a mounted volume and nothing for an unmounted one', async () => {
    await plugin.addVolume('v1');
    expect(await run(['path', drv, '--volumename=v1'])).toEqual({ code: 0, stdout: '', stderr: '' });
    await run(['mount', drv, '--volumename=v1']);
    expect(await run(['path', drv, '--volumename=v1'])).toEqual({ code: 0, stdout: `${plugin.mountpointOf('v1')}\n`, stderr: '' });
  });

  it('path takes --explicitcreate (as dvdi asks when checking a volume) and never creates one', async () => {
    const missing = await run(['path', drv, '--volumename=ghost', '--explicitcreate=true']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
    expect(plugin.calls.map((c) => c.method)).not.toContain('VolumeDriver.Create');
  });

  it('get and list print JSON', async () => {
    await plugin.addVolume('v1', { size: '1' });
    await plugin.addVolume('v2');
    const get = await run(['get', drv, '--volumename=v1']);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual({ Name: 'v1', Mountpoint: '', Status: { opts: { size: '1' } } });
    const list = await run(['list', drv]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([{ Name: 'v1' }, { Name: 'v2' }]);
  });

  it('create and remove', async () => {
    expect(await run(['create', drv, '--volumename=v1', '--volumeopts=k=v'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(plugin.bodiesOf(Method.Create)).toEqual([{ Name: 'v1', Opts: { k: 'v' } }]);
    expect(await run(['remove', drv, '--volumename=v1'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(plugin.hasVolume('v1')).toBe(false);
    expectFailure(await run(['remove', drv, '--volumename=v1']), 'dvdi volume remove: plugin "testdrv" VolumeDriver.Remove: volume v1 not found');
  });

  it('version prints one line', async () => {
    const out = await run(['version']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^dvdi \d+\.\d+\.\d+\S* \(dvdcli-compatible volume command\)\n$/);
  });

  it('help prints the usage', async () => {
    const out = await run(['--help']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('usage: dvdi volume <mount|unmount|path|get|list|create|remove|version>');
  });

  it('takes plugin directories from options before the environment', async () => {
    const env = { DVDI_PLUGIN_SOCKET_DIRS: join(tmp, 'nowhere') };
    expect((await run(['list', drv], env)).code).toBe(1);
    expect((await run(['list', drv, `--plugin-dirs=${join(tmp, 'empty')}:${socketDir}`], env)).code).toBe(0);
    expect((await run(['list', drv, `--socket-dirs=${socketDir}`], env)).code).toBe(0);
  });

  it('uses the rexray driver by default', async () => {
    expectFailure(await run(['list']), /^dvdi volume list: plugin "rexray" not found \(looked in /);
  });
});

describe('dvdi volume errors', () => {
  it('exits 1 on flags dvdcli would misparse', async () => {
    expectFailure(
      await run(['mount', drv, '--volumename=v1', '--explicitCreate=true']),
      'dvdi volume: unknown flag --explicitCreate (flags are lower case: --explicitcreate)',
    );
    expectFailure(await run(['mount', drv, '--volumename=v1', '--volumeopts=size']), 'dvdi volume mount: invalid --volumeopts "size": expected key=value');
    expectFailure(await run(['mount', drv, '--volumename=v1', '--volumeopts=a=1,']), 'dvdi volume mount: invalid --volumeopts "": expected key=value');
    expectFailure(await run(['mount', drv, '--volumename=v1', '--explicitcreate=yes']), /invalid value "yes" for --explicitcreate/);
    expectFailure(await run(['mount', drv, '--volumename']), 'dvdi volume: flag --volumename needs a value');
    expectFailure(await run(['mount', drv, '-volumename=v1']), 'dvdi volume: unknown flag -volumename=v1');
    expect(plugin.calls).toHaveLength(0);
  });

  it('exits 1 on a bad command line', async () => {
    expectFailure(await run([]), 'dvdi volume: missing subcommand (mount|unmount|path|get|list|create|remove|version)');
    expectFailure(await run(['attach', drv]), /^dvdi volume: unknown subcommand "attach"/);
    expectFailure(await run(['mount', 'extra', drv, '--volumename=v1']), 'dvdi volume: unexpected argument "extra"');
    expectFailure(await run(['mount', drv]), 'dvdi volume mount: --volumename is required for mount');
    expectFailure(await run(['unmount', drv, '--volumename=v1', '--volumeopts=a=b']), 'dvdi volume: flag --volumeopts is not valid for unmount');
    expectFailure(await run(['list', drv, '--explicitcreate']), 'dvdi volume: flag --explicitcreate is not valid for list');
    expect(plugin.calls).toHaveLength(0);
  });

  it('exits 1 on bad timeouts', async () => {
    expectFailure(
      await run(['mount', drv, '--volumename=v1'], { DVDI_MOUNT_TIMEOUT: 'soon' }),
      'dvdi volume mount: invalid DVDI_MOUNT_TIMEOUT "soon": expected a positive number of seconds',
    );
    expectFailure(await run(['unmount', drv, '--volumename=v1', '--unmount-timeout=0']), /invalid --unmount-timeout "0"/);
  });

  it('exits 1 with the plugin text when the plugin fails', async () => {
    plugin.script(Method.Mount, { kind: 'error500', err: 'attach failed:\nvolume busy' });
    expectFailure(
      await run(['mount', drv, '--volumename=v1']),
      'dvdi volume mount: cannot mount testdrv/v1: plugin "testdrv" VolumeDriver.Mount: attach failed: | volume busy',
    );
  });

  it('exits 1 when the plugin does not answer in time', async () => {
    // The timeout covers the calls before the hung one too (Activate, Get, Create): 1 s leaves them
    // ample room on a busy machine, so it is always the hung call that the message names.
    plugin.script(Method.Mount, { kind: 'hang' });
    expectFailure(
      await run(['mount', drv, '--volumename=v1'], { DVDI_MOUNT_TIMEOUT: '1' }),
      'dvdi volume mount: cannot mount testdrv/v1: plugin "testdrv" VolumeDriver.Mount: the mount timeout of 1000 ms expired',
    );
    plugin.script(Method.Unmount, { kind: 'hang' });
    expectFailure(
      await run(['unmount', drv, '--volumename=v1', '--unmount-timeout=1']),
      'dvdi volume unmount: cannot unmount testdrv/v1: plugin "testdrv" VolumeDriver.Unmount: the unmount timeout of 1000 ms expired',
    );
    plugin.script(Method.List, { kind: 'hang' });
    expectFailure(
      await run(['list', drv, '--mount-timeout=1']),
      `dvdi volume list: plugin "testdrv" VolumeDriver.List: no answer within 1000 ms from unix://${join(socketDir, 'testdrv.sock')}`,
    );
  });
});
