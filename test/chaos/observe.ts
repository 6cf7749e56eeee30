import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { decodeCheckpoint } from '../../src/checkpoint/codec.js';
import type { MountRecord } from '../../src/core/ports.js';
import { parseMountInfo } from '../../src/plugin/server/mountinfo.js';
import type { ChaosWorkspace } from './workspace.js';

export interface PluginVolumeState {
  /** Mount count per Docker mount ID, as the plugin keeps it. */
  readonly mounts: Readonly<Record<string, number>>;
  readonly total: number;
}

/** What the plugin, the kernel and dvdi's checkpoint say at one moment. */
export interface Observed {
  /** undefined when the checkpoint cannot be read or decoded. */
  readonly records: MountRecord[] | undefined;
  readonly checkpointError: string | undefined;
  /** Files dvdi moved aside as corrupt. */
  readonly corrupt: string[];
  readonly plugin: ReadonlyMap<string, PluginVolumeState>;
  readonly pluginErrors: string[];
  /** Loop backend: mount table entries at each volume's mountpoint. */
  readonly attached: ReadonlyMap<string, number>;
}

async function readCheckpoint(ws: ChaosWorkspace): Promise<Pick<Observed, 'records' | 'checkpointError' | 'corrupt'>> {
  const corrupt = (await readdir(ws.stateDir).catch(() => [] as string[])).filter((n) => n.includes('.corrupt-'));
  let bytes: Buffer;
  try {
    bytes = await readFile(ws.checkpoint);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], checkpointError: undefined, corrupt };
    return { records: undefined, checkpointError: (error as Error).message, corrupt };
  }
  try {
    return { records: decodeCheckpoint(bytes), checkpointError: undefined, corrupt };
  } catch (error) {
    return { records: undefined, checkpointError: (error as Error).message, corrupt };
  }
}

async function readPlugin(ws: ChaosWorkspace): Promise<Pick<Observed, 'plugin' | 'pluginErrors'>> {
  const plugin = new Map<string, PluginVolumeState>();
  const pluginErrors: string[] = [];
  const names = await readdir(path.join(ws.pluginRoot, 'volumes')).catch(() => [] as string[]);
  // Work directories of the plugin start with a dot.
  for (const name of names.filter((n) => !n.startsWith('.'))) {
    try {
      const meta = JSON.parse(await readFile(ws.metaFile(name), 'utf8')) as { mounts: Record<string, number> };
      plugin.set(name, { mounts: meta.mounts, total: Object.values(meta.mounts).reduce((a, b) => a + b, 0) });
    } catch (error) {
      pluginErrors.push(`${name}: ${(error as Error).message}`);
    }
  }
  return { plugin, pluginErrors };
}

async function readAttached(ws: ChaosWorkspace): Promise<Map<string, number>> {
  const attached = new Map<string, number>();
  if (ws.backend !== 'loop') return attached;
  const prefix = `${path.join(ws.pluginRoot, 'mounts')}/`;
  for (const entry of parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'))) {
    if (!entry.mountPoint.startsWith(prefix)) continue;
    const name = entry.mountPoint.slice(prefix.length);
    attached.set(name, (attached.get(name) ?? 0) + 1);
  }
  return attached;
}

export async function observe(ws: ChaosWorkspace): Promise<Observed> {
  return { ...(await readCheckpoint(ws)), ...(await readPlugin(ws)), attached: await readAttached(ws) };
}

/** The plugin's counts and the mount table, for telling whether the plugin is still at work. */
export function pluginFingerprint(o: Observed): string {
  return JSON.stringify([[...o.plugin].sort(), [...o.attached].sort(), o.pluginErrors]);
}
