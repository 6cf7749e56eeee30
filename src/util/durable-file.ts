import { open, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';

/** fsync of a file or directory by path: after a rename, the directory's entry is what must reach the disk. */
export async function syncPath(p: string): Promise<void> {
  const handle = await open(p, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` so that readers see the old or the new content, never a
 * part, even across a crash: write `temp` (new, mode 0600), fsync it, rename
 * it over `file`, fsync the directory. The temp file is removed on failure.
 */
export async function replaceFile(file: string, temp: string, content: string | Uint8Array): Promise<void> {
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncPath(path.dirname(file));
}
