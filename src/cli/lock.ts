import { open, readFile, unlink, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { processAlive } from '../util/process-alive.js';

/**
 * An exclusive lock file beside the checkpoint, so that concurrent `dvdi`
 * invocations take turns with the state. A lock left by a dead process is
 * taken over.
 */
export async function withLockFile<T>(file: string, waitMs: number, work: () => Promise<T>): Promise<T> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
        await unlink(file).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`state is locked by process ${owner || '?'} (${file})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await work();
  } finally {
    await unlink(file).catch(() => undefined);
  }
}
