import { lstat, mkdir, rmdir, stat, chown, chmod } from 'node:fs/promises';
import * as path from 'node:path';
import type { HostPaths, PathInfo } from '../core/ports.js';

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Container paths and mountpoints on this host. */
export class NodeHostPaths implements HostPaths {
  async inspect(target: string, under?: string): Promise<PathInfo> {
    const start = under ? path.resolve(under) : '/';
    const rest = path.relative(start, target).split(path.sep).filter(Boolean);
    let current = start;
    for (const part of rest) {
      current = path.join(current, part);
      try {
        if ((await lstat(current)).isSymbolicLink()) return { exists: true, isDirectory: false, symlink: current };
      } catch (e) {
        if (isMissing(e)) return { exists: false, isDirectory: false };
        throw e;
      }
    }
    try {
      const s = await stat(target);
      return { exists: true, isDirectory: s.isDirectory(), uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 };
    } catch (e) {
      if (isMissing(e)) return { exists: false, isDirectory: false };
      throw e;
    }
  }

  async makeDirectories(target: string, owner?: { readonly uid: number; readonly gid: number }): Promise<string[]> {
    const missing: string[] = [];
    for (let p = target; ; p = path.dirname(p)) {
      try {
        await lstat(p);
        break;
      } catch (e) {
        if (!isMissing(e)) throw e;
        missing.unshift(p);
      }
      if (p === path.dirname(p)) break;
    }
    await mkdir(target, { recursive: true, mode: 0o755 });
    if (owner) for (const p of missing) await chown(p, owner.uid, owner.gid);
    return missing;
  }

  async removeDirectories(paths: readonly string[]): Promise<void> {
    for (const p of paths) await rmdir(p).catch(() => undefined);
  }

  async copyOwnership(source: string, target: string): Promise<void> {
    const s = await stat(source);
    await chown(target, s.uid, s.gid);
    await chmod(target, s.mode & 0o7777);
  }
}
