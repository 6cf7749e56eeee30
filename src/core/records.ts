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
