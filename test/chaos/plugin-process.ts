import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { DVDI } from '../helpers/cli.js';
import { pluginCall } from '../helpers/plugin-call.js';
import { DRIVER, type ChaosWorkspace } from './workspace.js';

const START_LIMIT_MS = 15_000;
const STOP_LIMIT_MS = 15_000;

function answers(socketPath: string): Promise<boolean> {
  return pluginCall(socketPath, 'Plugin.Activate').then(
    () => true,
    () => false,
  );
}

/**
 * dvdi's own volume plugin (`dvdi plugin serve`) as its own process, which the
 * harness freezes (SIGSTOP) and thaws (SIGCONT) to play a hung or slow plugin.
 * It counts mounts per ID in its metadata, which the invariants read.
 */
export class PluginProcess {
  private frozen = false;
  private readonly exited: Promise<void>;
  private exitedYet = false;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => (this.exitedYet = true));
  }

  static async start(ws: ChaosWorkspace): Promise<PluginProcess> {
    const log = await open(path.join(ws.logDir, 'plugin.log'), 'a');
    const args = [DVDI, 'plugin', 'serve', '--backend', ws.backend, '--name', DRIVER, '--socket', ws.socketPath, '--root', ws.pluginRoot];
    const child = spawn(process.execPath, args, { stdio: ['ignore', log.fd, log.fd] });
    await log.close();
    const plugin = new PluginProcess(child);
    const deadline = Date.now() + START_LIMIT_MS;
    while (!(await answers(ws.socketPath))) {
      if (plugin.exitedYet || Date.now() > deadline) {
        await plugin.stop();
        throw new Error(`the plugin did not serve ${ws.socketPath}; see ${path.join(ws.logDir, 'plugin.log')}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return plugin;
  }

  get running(): boolean {
    return !this.exitedYet;
  }

  /** A plugin that accepts connections and answers nothing until thawed. */
  freeze(): void {
    if (this.frozen || this.exitedYet) return;
    this.child.kill('SIGSTOP');
    this.frozen = true;
  }

  thaw(): void {
    if (!this.frozen) return;
    this.child.kill('SIGCONT');
    this.frozen = false;
  }

  /** Thaws and stops it (SIGTERM: volumes stay mounted), killing it if it does not stop in time. */
  async stop(): Promise<void> {
    if (this.exitedYet) return;
    this.thaw();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_LIMIT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
