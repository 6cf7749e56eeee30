import { mkdir, open, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Backend } from './backend.js';
import { findProgram, run } from './exec.js';
import { readMountInfo, type MountInfoEntry } from './mountinfo.js';
import { formatSize, parseSize } from './size.js';
import type { Settings, VolumeMeta, VolumeStore } from './store.js';

const IMAGE_FILE = 'disk.img';
const DEFAULT_SIZE = '1Gi';

interface FsType {
  readonly mkfs: string;
  readonly package: string;
  /** Smallest image mkfs accepts; recent xfsprogs refuse anything under 300 MiB. */
  readonly minBytes: number;
  /** Arguments before the device: force (the device is ours), quiet, skip discard (slow and pointless on a sparse file). */
  readonly args: readonly string[];
}

const FS_TYPES: Readonly<Record<string, FsType>> = {
  ext4: { mkfs: 'mkfs.ext4', package: 'e2fsprogs', minBytes: 8 * 1024 ** 2, args: ['-F', '-q', '-E', 'nodiscard'] },
  xfs: { mkfs: 'mkfs.xfs', package: 'xfsprogs', minBytes: 300 * 1024 ** 2, args: ['-f', '-q', '-K'] },
};

const TIMEOUT = {
  quick: 30_000,
  mount: 120_000,
  // mkfs of a large image on a slow disk; it is interrupted rather than left hanging.
  mkfs: 600_000,
};

interface LoopSettings {
  readonly size: number;
  readonly fstype: string;
  readonly overwritefs: boolean;
}

function loopSettings(meta: VolumeMeta): LoopSettings {
  const { size, fstype, overwritefs } = meta.settings;
  if (typeof size !== 'number' || typeof fstype !== 'string' || typeof overwritefs !== 'boolean') {
    throw new Error(`metadata of volume ${meta.name} lacks the loop settings size, fstype, overwritefs`);
  }
  return { size, fstype, overwritefs };
}

interface Tools {
  readonly losetup: string;
  readonly blkid: string;
  readonly mount: string;
  readonly umount: string;
}

async function requireProgram(name: string, pkg: string): Promise<string> {
  const found = await findProgram(name);
  if (!found) throw new Error(`${name} not found in PATH or the system directories (install ${pkg})`);
  return found;
}

/**
 * Each volume is a sparse image `<volume dir>/disk.img`, attached to a loop
 * device and mounted at `<root>/mounts/<name>`. The image is formatted on its
 * first attach when it holds no filesystem, and on every attach with
 * `overwritefs=true` (REX-Ray's meaning: such a volume is scratch space).
 */
export class LoopBackend implements Backend {
  readonly name = 'loop';
  readonly optionNames: readonly string[] = ['size', 'newfstype', 'overwritefs'];

  private constructor(
    private readonly store: VolumeStore,
    private readonly tools: Tools,
  ) {}

  /** Fails when a program the backend always needs is missing. */
  static async create(store: VolumeStore): Promise<LoopBackend> {
    if (process.getuid?.() !== 0) throw new Error('the loop backend attaches loop devices and mounts: it needs root (use the dir backend otherwise)');
    const tools: Tools = {
      losetup: await requireProgram('losetup', 'mount or util-linux'),
      blkid: await requireProgram('blkid', 'util-linux'),
      mount: await requireProgram('mount', 'mount'),
      umount: await requireProgram('umount', 'mount'),
    };
    return new LoopBackend(store, tools);
  }

  async settingsFor(opts: Readonly<Record<string, string>>): Promise<Settings> {
    const fstype = opts.newfstype ?? 'ext4';
    const fs = FS_TYPES[fstype];
    if (!fs) throw new Error(`unsupported newfstype ${JSON.stringify(fstype)}: accepted are ${Object.keys(FS_TYPES).join(', ')}`);
    await requireProgram(fs.mkfs, fs.package);
    const size = parseSize(opts.size ?? DEFAULT_SIZE);
    if (size < fs.minBytes) {
      throw new Error(`size ${formatSize(size)} is too small for ${fstype}: at least ${formatSize(fs.minBytes)} is needed`);
    }
    const overwrite = (opts.overwritefs ?? 'false').toLowerCase();
    if (overwrite !== 'true' && overwrite !== 'false') {
      throw new Error(`invalid overwritefs ${JSON.stringify(opts.overwritefs)}: expected true or false`);
    }
    return { size, fstype, overwritefs: overwrite === 'true' };
  }

  async populate(dir: string, settings: Settings): Promise<void> {
    const handle = await open(path.join(dir, IMAGE_FILE), 'wx', 0o600);
    try {
      // Sparse: blocks are allocated as the filesystem writes them.
      await handle.truncate(settings.size as number);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  mountpoint(meta: VolumeMeta): string {
    return this.store.mountDir(meta.name);
  }

  private image(meta: VolumeMeta): string {
    return path.join(this.store.volumeDir(meta.name), IMAGE_FILE);
  }

  isAttached(meta: VolumeMeta, mounts: readonly MountInfoEntry[]): boolean {
    const target = this.mountpoint(meta);
    return mounts.some((m) => m.mountPoint === target);
  }

  async attach(meta: VolumeMeta): Promise<string> {
    const settings = loopSettings(meta);
    const target = this.mountpoint(meta);
    if (this.isAttached(meta, await readMountInfo())) return target;
    // A loop device left by an attach that was interrupted before its mount.
    await this.detachLoops(meta);
    const { stdout } = await run(this.tools.losetup, ['--find', '--show', this.image(meta)], { timeoutMs: TIMEOUT.quick });
    const device = stdout.trim();
    if (!device.startsWith('/dev/')) throw new Error(`losetup printed no loop device for ${this.image(meta)}: ${JSON.stringify(stdout)}`);
    try {
      const fstype = await this.prepareFilesystem(device, settings);
      await mkdir(target, { recursive: true, mode: 0o755 });
      await run(this.tools.mount, ['-t', fstype, device, target], { timeoutMs: TIMEOUT.mount });
      return target;
    } catch (error) {
      await run(this.tools.losetup, ['-d', device], { timeoutMs: TIMEOUT.quick }).catch(() => undefined);
      await rmdir(target).catch(() => undefined);
      throw error;
    }
  }

  /** Formats the device when it must be, and returns the type of filesystem to mount. */
  private async prepareFilesystem(device: string, settings: LoopSettings): Promise<string> {
    if (!settings.overwritefs) {
      // -p probes the device itself, not blkid's cache; exit 2 means nothing was found.
      const probe = await run(this.tools.blkid, ['-p', '-o', 'export', device], { timeoutMs: TIMEOUT.quick, okCodes: [0, 2] });
      if (probe.code === 0) {
        const fields = new Map(
          probe.stdout
            .split('\n')
            .filter((line) => line.includes('='))
            .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
        );
        const existing = fields.get('TYPE');
        if (existing && fields.get('USAGE') === 'filesystem') return existing;
        throw new Error(
          `image holds data that is not a filesystem (blkid: ${probe.stdout.trim().replace(/\n/g, ' ')}); it is not formatted without overwritefs=true`,
        );
      }
    }
    const fs = FS_TYPES[settings.fstype];
    if (!fs) throw new Error(`unsupported filesystem type ${JSON.stringify(settings.fstype)}`);
    const mkfs = await requireProgram(fs.mkfs, fs.package);
    await run(mkfs, [...fs.args, device], { timeoutMs: TIMEOUT.mkfs });
    return settings.fstype;
  }

  async detach(meta: VolumeMeta): Promise<void> {
    const target = this.mountpoint(meta);
    if (this.isAttached(meta, await readMountInfo())) {
      await run(this.tools.umount, [target], { timeoutMs: TIMEOUT.mount });
    }
    await this.detachLoops(meta);
    // Only an empty directory goes, never anything written into it while unmounted.
    await rmdir(target).catch(() => undefined);
  }

  private async detachLoops(meta: VolumeMeta): Promise<void> {
    const image = this.image(meta);
    const { stdout } = await run(this.tools.losetup, ['--list', '--json', '--output', 'NAME', '--associated', image], {
      timeoutMs: TIMEOUT.quick,
    });
    for (const device of parseLoopNames(stdout)) {
      await run(this.tools.losetup, ['-d', device], { timeoutMs: TIMEOUT.quick });
    }
  }

  status(meta: VolumeMeta): Record<string, string | number | boolean> {
    const settings = loopSettings(meta);
    return {
      backend: 'loop',
      size: settings.size,
      fstype: settings.fstype,
      overwritefs: settings.overwritefs,
      image: this.image(meta),
    };
  }
}

/** Device names from `losetup --list --json`; empty output means no devices. */
export function parseLoopNames(json: string): string[] {
  if (json.trim() === '') return [];
  const parsed = JSON.parse(json) as { loopdevices?: Array<{ name?: unknown }> };
  return (parsed.loopdevices ?? []).map((d) => d.name).filter((n): n is string => typeof n === 'string');
}
