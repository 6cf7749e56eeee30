import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, realpath, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPluginServe } from '../src/cli/plugin-serve.js';
import { readMountInfo } from '../src/plugin/server/mountinfo.js';
import { DVDI } from './helpers/cli.js';
import { cleanupUnder, loopDevicesOf } from './helpers/loop-cleanup.js';
import { pluginCall } from './helpers/plugin-call.js';
import { exited, killAndWait } from './helpers/process.js';

function captureIo() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) },
  };
}

describe('dvdi plugin serve, arguments', () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dvdi-plugin-cli-args-'));
  });

  afterAll(async () => {
    await cleanupUnder(tmp);
  });

  it('prints its usage for --help', async () => {
    const { out, io } = captureIo();
    expect(await runPluginServe(['--help'], io)).toBe(0);
    expect(out.stdout).toMatch(/^Usage: dvdi plugin serve \[--name NAME\] \[--socket PATH\] \[--root DIR\] \[--backend loop\|dir\]/);
  });

  it('refuses unknown flags, stray arguments and unknown backends with exit code 2', async () => {
    for (const argv of [['--nmae', 'x'], ['serve'], ['--backend', 'nfs'], ['--socket']]) {
      const { out, io } = captureIo();
      expect(await runPluginServe(argv, io), argv.join(' ')).toBe(2);
      expect(out.stderr).toMatch(/^dvdi plugin serve: .+\nUsage: /);
    }
  });

  it('exits 1 with the reason when the server cannot start', async () => {
    const notASocket = path.join(tmp, 'file');
    await writeFile(notASocket, '');
    const { out, io } = captureIo();
    expect(await runPluginServe(['--socket', notASocket, '--root', path.join(tmp, 'root'), '--backend', 'dir'], io)).toBe(1);
    expect(out.stderr).toMatch(/ERROR dvdi: plugin server did not start reason=".* exists and is not a socket; it is left alone"/);
  });

  it('refuses a plugin name that cannot be a file name', async () => {
    const { out, io } = captureIo();
    const argv = ['--name', '../evil', '--socket', path.join(tmp, 'x.sock'), '--root', path.join(tmp, 'root2'), '--backend', 'dir'];
    expect(await runPluginServe(argv, io)).toBe(1);
    expect(out.stderr).toMatch(/plugin invalid name/);
  });
});

/** The built CLI as its own process, so real signals reach it. */
describe('dvdi plugin serve, as a process', () => {
  let tmp: string;
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'dvdi-plugin-cli-')));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) await killAndWait(child);
  });

  afterAll(async () => {
    await cleanupUnder(tmp);
  });

  /** Starts the CLI and resolves once it listens; `exit` resolves with its exit code and stderr. */
  async function serve(argv: string[]) {
    const child = spawn(process.execPath, [DVDI, 'plugin', 'serve', ...argv]);
    children.push(child);
    let stderr = '';
    // Its last lines may still be in the pipe at 'exit': the result waits for stderr to close too.
    const stderrClosed = new Promise((resolve) => child.stderr.once('close', resolve));
    const exit = Promise.all([exited(child), stderrClosed]).then(([{ code }]) => ({ code, stderr }));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (stderr.includes('plugin server listening')) resolve();
      });
      void exit.then(({ code }) => reject(new Error(`plugin serve exited with ${code} before listening: ${stderr}`)));
    });
    return { child, exit };
  }

  it('stops on SIGTERM and SIGINT, leaving volumes mounted for the next start', async () => {
    const socketPath = path.join(tmp, 'plugins', 'cli.sock');
    const root = path.join(tmp, 'root');
    const argv = ['--name', 'cli', '--socket', socketPath, '--root', root, '--backend', 'loop'];

    const first = await serve(argv);
    expect((await pluginCall(socketPath, 'VolumeDriver.Create', { Name: 'v', Opts: { size: '64Mi' } })).body).toEqual({ Err: '' });
    const mountpoint = (await pluginCall(socketPath, 'VolumeDriver.Mount', { Name: 'v', ID: 'c1' })).body.Mountpoint as string;
    first.child.kill('SIGTERM');
    const stopped = await first.exit;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toMatch(/INFO  dvdi: VolumeDriver\.Mount volume=v id=c1 mountpoint=\S+ result=ok/);
    expect(stopped.stderr).toMatch(/stopping plugin server signal=SIGTERM/);
    expect(stopped.stderr).toMatch(/plugin server stopped; mounted volumes stay mounted/);
    expect((await readMountInfo()).some((m) => m.mountPoint === mountpoint)).toBe(true);

    const second = await serve(argv);
    expect((await pluginCall(socketPath, 'VolumeDriver.Get', { Name: 'v' })).body.Volume).toMatchObject({ Mountpoint: mountpoint });
    expect((await pluginCall(socketPath, 'VolumeDriver.Unmount', { Name: 'v', ID: 'c1' })).body).toEqual({ Err: '' });
    second.child.kill('SIGINT');
    expect((await second.exit).code).toBe(0);
    expect((await readMountInfo()).some((m) => m.mountPoint === mountpoint)).toBe(false);
    expect(await loopDevicesOf(path.join(root, 'volumes', 'v', 'disk.img'))).toEqual([]);
  });
});
