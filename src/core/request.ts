import { planContainerPath, type PathPlan } from '../spec/container-path.js';
import type { VolumeSpec } from './volume.js';
import { volumeKey, type VolumeId } from './volume.js';

/** One volume a prepare needs, with every place the task wants it bound. */
export interface VolumeRequest extends VolumeId {
  readonly options: ReadonlyArray<readonly [string, string]>;
  readonly explicitCreate: boolean;
  /** Bind targets on the host, deduplicated, in slot order. */
  readonly targets: ReadonlyArray<Exclude<PathPlan, { kind: 'none' }>>;
}

/** Groups specs by volume identity; the parser already refused conflicting duplicates. */
export function groupRequests(specs: readonly VolumeSpec[], sandboxDirectory: string): VolumeRequest[] {
  const byKey = new Map<string, { spec: VolumeSpec; targets: Map<string, Exclude<PathPlan, { kind: 'none' }>> }>();
  for (const spec of specs) {
    const key = volumeKey(spec);
    const entry = byKey.get(key) ?? { spec, targets: new Map() };
    byKey.set(key, entry);
    const plan = planContainerPath(spec.containerPath, sandboxDirectory);
    if (plan.kind !== 'none') entry.targets.set(plan.path, plan);
  }
  return [...byKey.values()].map(({ spec, targets }) => ({
    driver: spec.driver,
    name: spec.name,
    options: spec.options,
    explicitCreate: spec.explicitCreate,
    targets: [...targets.values()],
  }));
}
