import type { MountRecord } from './ports.js';
import { volumeKey, type VolumeId } from './volume.js';

/** Pure queries over the checkpointed records. */

export function recordKey(r: MountRecord): string {
  return volumeKey({ driver: r.driver, name: r.name });
}

/** A record that makes its container a user of the volume. */
export function isHolding(r: MountRecord): boolean {
  return r.state === 'mounted' || r.state === 'mounting';
}

export function holdersOf(records: readonly MountRecord[], v: VolumeId): MountRecord[] {
  const key = volumeKey(v);
  return records.filter((r) => isHolding(r) && recordKey(r) === key);
}

export function pendingOf(records: readonly MountRecord[], v: VolumeId): MountRecord | undefined {
  const key = volumeKey(v);
  return records.find((r) => r.state === 'unmount-pending' && recordKey(r) === key);
}

export function containerRecords(records: readonly MountRecord[], containerId: string): MountRecord[] {
  return records.filter((r) => isHolding(r) && r.containerId === containerId);
}

/** Plugins that count mounts per caller need the ID the volume was mounted with; legacy records lack it. */
export function mountIdOf(r: MountRecord): string {
  return r.mountId || r.containerId;
}

/**
 * Mesos' docker/volume isolator names a container's checkpoint by the
 * container's own value: a nested container (1.5+) is recorded as `child`,
 * while Mesos, and dvdi, print it `parent.child`. A mounted record whose
 * container is not known, but is the last part of known nested ids, is
 * given to each of them (one record each, so the volume stays mounted until
 * the last is cleaned up); any other record is left as it is.
 */
export function adoptNestedIds(
  records: readonly MountRecord[],
  known: ReadonlySet<string>,
): { records: MountRecord[]; renamed: Array<{ from: string; to: string }> } {
  const renamed: Array<{ from: string; to: string }> = [];
  const out: MountRecord[] = [];
  for (const r of records) {
    const owners = r.state === 'mounted' && !known.has(r.containerId) ? [...known].filter((k) => k.endsWith(`.${r.containerId}`)).sort() : [];
    if (owners.length === 0) {
      out.push(r);
      continue;
    }
    for (const to of owners) {
      // The owner may hold the volume already through a record of its own.
      const holds = (o: MountRecord) => o.containerId === to && isHolding(o) && recordKey(o) === recordKey(r);
      if (!records.some(holds) && !out.some(holds)) out.push({ ...r, containerId: to });
      renamed.push({ from: r.containerId, to });
    }
  }
  return { records: out, renamed };
}

export interface VolumeStatus extends VolumeId {
  readonly mountpoint: string;
  readonly state: 'mounted' | 'mounting' | 'unmount-pending';
  readonly holders: string[];
  readonly options: string;
  readonly error: string;
}

/** One entry per volume, holders sorted, volumes sorted by driver then name. */
export function summarise(records: readonly MountRecord[]): VolumeStatus[] {
  const byKey = new Map<string, MountRecord[]>();
  for (const r of records) {
    const list = byKey.get(recordKey(r)) ?? [];
    list.push(r);
    byKey.set(recordKey(r), list);
  }
  const out: VolumeStatus[] = [];
  for (const list of byKey.values()) {
    const holding = list.filter(isHolding);
    const first = list[0]!;
    const mounted = holding.find((r) => r.state === 'mounted');
    out.push({
      driver: first.driver,
      name: first.name,
      mountpoint: (mounted ?? holding[0] ?? first).mountpoint,
      state: mounted ? 'mounted' : holding.length > 0 ? 'mounting' : 'unmount-pending',
      holders: [...new Set(holding.map((r) => r.containerId))].sort(),
      options: first.options,
      error: list.find((r) => r.error)?.error ?? '',
    });
  }
  return out.sort((a, b) => a.driver.localeCompare(b.driver) || a.name.localeCompare(b.name));
}
