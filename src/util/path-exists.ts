import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';

/** False only when nothing is there; any other failure (permissions, I/O) is thrown. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw e;
  }
}

/** Whether `p` is a regular file (through links); false when it cannot be looked at. */
export function isFileSync(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
