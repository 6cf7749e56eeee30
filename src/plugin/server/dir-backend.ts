import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Backend } from './backend.js';
import type { Settings, VolumeMeta, VolumeStore } from './store.js';

/** A directory per volume, used in place: no mount, works without root. */
export class DirBackend implements Backend {
  readonly name = 'dir';
  readonly optionNames: readonly string[] = [];

  constructor(private readonly store: VolumeStore) {}

  async settingsFor(): Promise<Settings> {
    return {};
  }

  async populate(dir: string): Promise<void> {
    await mkdir(path.join(dir, 'data'), { mode: 0o755 });
  }

  mountpoint(meta: VolumeMeta): string {
    return path.join(this.store.volumeDir(meta.name), 'data');
  }

  async attach(meta: VolumeMeta): Promise<string> {
    // Recreated if someone deleted it, so a mount never hands out a missing path.
    const dir = this.mountpoint(meta);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  async detach(): Promise<void> {}

  isAttached(): undefined {
    return undefined;
  }

  status(): Record<string, string> {
    return { backend: 'dir' };
  }
}
