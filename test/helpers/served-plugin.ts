import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { DVDI, waitFor } from './cli.js';
import { exited } from './process.js';

/** `dvdi plugin serve` as its own process (so a test can SIGSTOP or kill it), dir backend. */
export class ServedPlugin {
  readonly socketDir: string;
  readonly socket: string;
  private child: ChildProcess | undefined;

  constructor(
    private readonly root: string,
    readonly name = 'dvdi',
  ) {
    this.socketDir = path.join(root, 'plugins');
    this.socket = path.join(this.socketDir, `${name}.sock`);
  }

  async start(): Promise<void> {
    const args = ['plugin', 'serve', '--name', this.name, '--socket', this.socket, '--root', path.join(this.root, 'plugin-root'), '--backend', 'dir'];
    const child = spawn(process.execPath, [DVDI, ...args], { stdio: 'ignore' });
    this.child = child;
    await waitFor(() => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dvdi plugin serve exited (${child.exitCode ?? child.signalCode}) before listening`);
      return existsSync(this.socket);
    }, 'the plugin socket', 15_000);
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exit = exited(child);
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await exit;
  }

  /** CLI flags that point dvdi's plugin mounter at this plugin. */
  flags(): string[] {
    return ['--mounter', 'plugin', '--plugin-dirs', this.socketDir];
  }
}
