import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { isHolding } from '../../src/core/records.js';
import { processAlive } from '../../src/util/process-alive.js';
import type { Model } from './model.js';
import type { Observed } from './observe.js';
import { ChaosWorkspace, DRIVER } from './workspace.js';

/** Every way a run can fail; each must stay at zero. */
export const FAILURE_KINDS = ['lost', 'leaked', 'doubled', 'blocked', 'locked', 'hung', 'unreadable', 'stray'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface Violation {
  readonly kind: FailureKind;
  /** The same problem seen again in a later round has the same key and is counted once. */
  readonly key: string;
  readonly message: string;
  /** The volume to put right so that the run goes on from a sane state. */
  readonly volume?: string;
  readonly container?: string;
}

/**
 * Compares dvdi's checkpoint and the plugin's own state (mount counts per
 * ID, and the mount table for the loop backend) with the containers Mesos
 * believes alive.
 */
export function checkState(ws: ChaosWorkspace, o: Observed, model: Model): Violation[] {
  const found: Violation[] = [];
  if (o.records === undefined) {
    found.push({ kind: 'unreadable', key: `checkpoint:${o.checkpointError}`, message: `checkpoint unreadable: ${o.checkpointError}` });
  }
  for (const file of o.corrupt) found.push({ kind: 'unreadable', key: `corrupt:${file}`, message: `checkpoint moved aside as corrupt: ${file}` });
  for (const e of o.pluginErrors) found.push({ kind: 'unreadable', key: `plugin:${e}`, message: `plugin metadata unreadable: ${e}` });
  const records = (o.records ?? []).filter((r) => r.driver === DRIVER);

  for (const c of model.live.values()) {
    for (const v of c.volumes) {
      const rec = records.find((r) => r.containerId === c.id && r.name === v);
      const problems = [
        !rec ? 'not in the checkpoint' : rec.state !== 'mounted' ? `recorded as ${rec.state}` : '',
        rec && rec.state === 'mounted' && rec.mountpoint !== ws.mountpoint(v) ? `recorded at ${rec.mountpoint}` : '',
        (o.plugin.get(v)?.total ?? 0) === 0 ? 'the plugin has no mount of it' : '',
        ws.backend === 'loop' && !o.attached.get(v) ? 'not in the mount table' : '',
      ].filter((p) => p !== '');
      if (problems.length > 0) {
        found.push({
          kind: 'lost',
          key: `lost:${c.id}:${v}`,
          message: `volume ${v} of live container ${c.id}: ${problems.join(', ')}`,
          volume: v,
          container: c.id,
        });
      }
    }
  }

  const mounted = new Set([...[...o.plugin].filter(([, s]) => s.total > 0).map(([v]) => v), ...o.attached.keys()]);
  for (const v of mounted) {
    if (model.holders(v).length > 0) continue;
    const counts = JSON.stringify(o.plugin.get(v)?.mounts ?? {});
    found.push({
      kind: 'leaked',
      key: `leaked:${v}:${counts}`,
      message: `volume ${v} is mounted (plugin counts ${counts}, mount table ${o.attached.get(v) ?? 0}) but no live container uses it`,
      volume: v,
    });
  }
  for (const r of records) {
    if (!isHolding(r) || model.live.has(r.containerId)) continue;
    found.push({
      kind: 'leaked',
      key: `held:${r.containerId}:${r.name}`,
      message: `the checkpoint still holds volume ${r.name} (${r.state}) for container ${r.containerId}, which is gone`,
      volume: r.name,
    });
  }

  for (const [v, s] of o.plugin) {
    if (s.total > 1) {
      found.push({ kind: 'doubled', key: `doubled:${v}:${JSON.stringify(s.mounts)}`, message: `volume ${v} is mounted ${s.total} times: ${JSON.stringify(s.mounts)}`, volume: v });
    }
  }
  for (const [v, n] of o.attached) {
    if (n > 1) found.push({ kind: 'doubled', key: `stacked:${v}:${n}`, message: `${n} mounts are stacked at ${ws.mountpoint(v)}`, volume: v });
  }
  return found;
}

/** Anything in the workspace that neither the plugin nor dvdi's state nor a sandbox accounts for. */
export async function checkStray(ws: ChaosWorkspace, model: Model): Promise<Violation[]> {
  const stray: string[] = [];
  const unexpected = async (dir: string, allowed: (name: string) => boolean): Promise<void> => {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!allowed(name)) stray.push(path.join(dir, name));
    }
  };
  await unexpected(ws.root, (n) => ChaosWorkspace.allowedTopLevel.includes(n));
  const checkpoint = path.basename(ws.checkpoint);
  // The lock file, whatever its scheme, sits beside the checkpoint and is named after it; so
  // does the temp file of a write in flight (the runtime's, which runs during the checks), named with its writer's pid.
  const writing = (n: string) => {
    const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(n.startsWith(`${checkpoint}.tmp-`) ? n.slice(checkpoint.length + 5) : '')?.[1]);
    return pid > 0 && processAlive(pid);
  };
  await unexpected(ws.stateDir, (n) => n === checkpoint || n.startsWith(`${checkpoint}.lock`) || writing(n));
  await unexpected(ws.socketDir, (n) => n === path.basename(ws.socketPath));
  await unexpected(ws.sandboxDir, (n) => model.sandboxes.has(n));
  for (const c of model.sandboxes.values()) await unexpected(c.sandbox, (n) => c.sandboxEntries.includes(n));
  return stray.map((p) => ({ kind: 'stray', key: `stray:${p}`, message: `${p} was created outside what a sandbox, the plugin or the checkpoint accounts for` }));
}
