import { realpath, rm } from 'node:fs/promises';
import { findProgram, run } from '../../src/plugin/server/exec.js';
import { parseLoopNames } from '../../src/plugin/server/loop-backend.js';
import { mountsUnder, readMountInfo } from '../../src/plugin/server/mountinfo.js';

async function tool(name: string): Promise<string> {
  const found = await findProgram(name);
  if (!found) throw new Error(`${name} not found`);
  return found;
}

/** Loop devices whose backing file lies under `dir`. */
export async function loopDevicesUnder(dir: string): Promise<string[]> {
  const { stdout } = await run(await tool('losetup'), ['--list', '--json', '--output', 'NAME,BACK-FILE'], { timeoutMs: 30_000 });
  if (stdout.trim() === '') return [];
  const parsed = JSON.parse(stdout) as { loopdevices?: Array<{ name: string; 'back-file'?: string }> };
  const prefix = `${dir}/`;
  return (parsed.loopdevices ?? []).filter((d) => d['back-file']?.startsWith(prefix)).map((d) => d.name);
}

/** Loop devices attached to exactly this file (`losetup -j`). */
export async function loopDevicesOf(file: string): Promise<string[]> {
  const { stdout } = await run(await tool('losetup'), ['--list', '--json', '--output', 'NAME', '--associated', file], {
    timeoutMs: 30_000,
  });
  return parseLoopNames(stdout);
}

/**
 * Unmounts everything mounted under `dir` (deepest first), detaches every loop
 * device backed by a file under it, then deletes it. Tries every step and
 * throws afterwards if any failed, so a failed test still leaves the host clean.
 */
export async function cleanupUnder(dir: string): Promise<void> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch {
    return;
  }
  const failures: string[] = [];
  const umount = await tool('umount');
  for (const m of mountsUnder(await readMountInfo(), root)) {
    try {
      await run(umount, [m.mountPoint], { timeoutMs: 30_000 });
    } catch (error) {
      failures.push((error as Error).message);
      await run(umount, ['-l', m.mountPoint], { timeoutMs: 30_000 }).catch(() => undefined);
    }
  }
  const losetup = await tool('losetup');
  for (const device of await loopDevicesUnder(root)) {
    await run(losetup, ['-d', device], { timeoutMs: 30_000 }).catch((error: Error) => failures.push(error.message));
  }
  await rm(root, { recursive: true, force: true }).catch((error: Error) => failures.push(error.message));
  if (failures.length > 0) throw new Error(`cleanup of ${root} was incomplete: ${failures.join('; ')}`);
}
