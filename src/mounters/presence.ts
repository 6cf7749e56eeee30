import type { VolumePresence } from '../core/ports.js';
import { readMountInfo } from '../plugin/server/mountinfo.js';

/**
 * Whether a volume whose unmount was refused is still mounted, from what the
 * plugin reported (its mountpoint answers, '' for none) and what dvdi
 * recorded, checked against the host's mount table. One empty answer alone
 * settles nothing (REX-Ray answers Path with '' even while mounted); two
 * empty answers, or known paths of which none is mounted, do.
 */
export async function presenceFrom(answers: readonly string[], recorded: string): Promise<VolumePresence> {
  const paths = [...new Set([...answers, recorded].filter((p) => p !== ''))];
  let mounted: Set<string>;
  try {
    mounted = new Set((await readMountInfo()).map((m) => m.mountPoint));
  } catch (err) {
    return { state: 'unknown', detail: `cannot read the mount table: ${(err as Error).message}` };
  }
  const live = paths.find((p) => mounted.has(p));
  if (live !== undefined) return { state: 'mounted', detail: `${live} is mounted` };
  if (paths.length > 0) return { state: 'unmounted', detail: `nothing is mounted at ${paths.join(', ')}` };
  if (answers.length >= 2) return { state: 'unmounted', detail: 'the plugin reports no mountpoint for it' };
  return { state: 'unknown', detail: 'the plugin reports no mountpoint, which alone does not prove it is unmounted' };
}

/**
 * The first of the plugin's answers that is mounted on the host, for a volume
 * dvdi took over without a mountpoint: a bind from a path that is not mounted
 * would give the task an empty directory of the host's own disk.
 */
export async function mountedAnswer(answers: readonly string[]): Promise<string> {
  const paths = [...new Set(answers.filter((p) => p.startsWith('/')))];
  if (paths.length === 0) throw new Error('the plugin reports no mountpoint for it');
  const mounted = new Set((await readMountInfo()).map((m) => m.mountPoint));
  const live = paths.find((p) => mounted.has(p));
  if (live === undefined) throw new Error(`nothing is mounted at ${paths.join(', ')}, the mountpoint the plugin reports`);
  return live;
}

export function unknownPresence(why: string): VolumePresence {
  return { state: 'unknown', detail: why };
}
