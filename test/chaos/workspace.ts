import { mkdir, mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export type Backend = 'loop' | 'dir';

/** The plugin's name, as tasks address it through DVDI_VOLUME_DRIVER. */
export const DRIVER = 'chaos';

/**
 * One temp directory holding everything a run creates: the plugin's socket
 * and root, dvdi's checkpoint, the containers' sandboxes and the logs. Nothing
 * else may appear in it; `allowedTopLevel` is what the stray check accepts.
 */
export class ChaosWorkspace {
  /** dvdi-agent-sim keeps its containers in agent-state (through a temp file) beside the sandboxes. */
  static readonly allowedTopLevel = ['sockets', 'plugin', 'state', 'sandboxes', 'logs', 'agent-state', 'agent-state.tmp'];

  readonly socketDir: string;
  readonly socketPath: string;
  readonly pluginRoot: string;
  readonly stateDir: string;
  readonly checkpoint: string;
  readonly sandboxDir: string;
  readonly logDir: string;

  private constructor(
    readonly root: string,
    readonly backend: Backend,
  ) {
    this.socketDir = path.join(root, 'sockets');
    this.socketPath = path.join(this.socketDir, `${DRIVER}.sock`);
    this.pluginRoot = path.join(root, 'plugin');
    this.stateDir = path.join(root, 'state');
    this.checkpoint = path.join(this.stateDir, 'dvdimounts.pb');
    this.sandboxDir = path.join(root, 'sandboxes');
    this.logDir = path.join(root, 'logs');
  }

  static async create(backend: Backend): Promise<ChaosWorkspace> {
    // Resolved: the plugin reports mountpoints under its resolved root, and mountinfo shows resolved paths.
    const root = await realpath(await mkdtemp(path.join(tmpdir(), 'dvdi-chaos-')));
    const ws = new ChaosWorkspace(root, backend);
    for (const dir of [ws.socketDir, ws.pluginRoot, ws.stateDir, ws.sandboxDir, ws.logDir]) await mkdir(dir, { recursive: true });
    return ws;
  }

  /** What points the `dvdi` CLI at this workspace's plugin and checkpoint. */
  cliFlags(timeoutSeconds: number): string[] {
    const t = String(timeoutSeconds);
    return ['--mounter', 'plugin', '--plugin-dirs', this.socketDir, '--checkpoint', this.checkpoint, '--mount-timeout', t, '--unmount-timeout', t];
  }

  sandbox(containerId: string): string {
    return path.join(this.sandboxDir, containerId);
  }

  /** Where the plugin mounts a volume (loop) or keeps it (dir). */
  mountpoint(volume: string): string {
    return this.backend === 'loop'
      ? path.join(this.pluginRoot, 'mounts', volume)
      : path.join(this.pluginRoot, 'volumes', volume, 'data');
  }

  metaFile(volume: string): string {
    return path.join(this.pluginRoot, 'volumes', volume, 'meta.json');
  }

  /** Create options for a new volume: small images for the loop backend; the dir backend takes none. */
  volumeOptions(): string | undefined {
    return this.backend === 'loop' ? 'size=16Mi' : undefined;
  }
}
