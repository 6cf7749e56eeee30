import { rename } from 'node:fs/promises';
import type { Logger } from '../core/ports.js';
import { pathExists } from '../util/path-exists.js';
import { FileCheckpointStore } from './file-store.js';

/**
 * Takes over the original module's checkpoint (same format, another place) on
 * an agent upgraded to dvdi, so its live mounts are recovered. Runs only while
 * dvdi has no checkpoint of its own: dvdi writes one on its first change and
 * never deletes it, so an import happens at most once. The old file is then
 * renamed, never deleted. Returns how many records were imported.
 */
export async function importLegacyCheckpoint(legacyFile: string, checkpointFile: string, logger: Logger): Promise<number> {
  if ((await pathExists(checkpointFile)) || !(await pathExists(legacyFile))) return 0;
  const records = await new FileCheckpointStore(legacyFile, logger).load();
  await new FileCheckpointStore(checkpointFile, logger).save(records);
  const kept = `${legacyFile}.imported-by-dvdi`;
  await rename(legacyFile, kept);
  logger.warn(`imported ${records.length} mount record(s) of the original module from ${legacyFile} (kept as ${kept})`, {
    checkpoint: checkpointFile,
  });
  return records.length;
}
