import { planContainerPath, type PathPlan } from '../spec/container-path.js';
import { IsolatorError } from './errors.js';
import type { VolumeSpec } from './volume.js';
import { volumeKey, type VolumeId } from './volume.js';

/** One volume a prepare needs, with every place the task wants it bound. */
export interface VolumeRequest extends VolumeId {
  readonly options: ReadonlyArray<readonly [string, string]>;
  readonly explicitCreate: boolean;
  /** Bind targets on the host, deduplicated, in slot order. */
  readonly targets: ReadonlyArray<Exclude<PathPlan, { kind: 'none' }>>;
}

/**
 * Groups specs by volume identity; the parser already refused conflicting
 * duplicates. Two volumes bound to one place would hide each other, and
 * nested binds could be redirected: both are refused.
 */
export function groupRequests(specs: readonly VolumeSpec[], sandboxDirectory: string): VolumeRequest[] {
  const byKey = new Map<string, { spec: VolumeSpec; targets: Map<string, Exclude<PathPlan, { kind: 'none' }>> }>();
  const boundBy = new Map<string, VolumeSpec>();
  for (const spec of specs) {
    const key = volumeKey(spec);
    const entry = byKey.get(key) ?? { spec, targets: new Map() };
    byKey.set(key, entry);
    const plan = planContainerPath(spec.containerPath, sandboxDirectory);
    if (plan.kind === 'none') continue;
    const other = boundBy.get(plan.path);
    if (other && volumeKey(other) !== key) {
      throw new IsolatorError(`volumes ${other.slot} and ${spec.slot} are both bound to ${plan.path}; each container path takes one volume`);
    }
    boundBy.set(plan.path, spec);
    entry.targets.set(plan.path, plan);
  }
  // Binds run in order inside the container: a target inside an earlier one would be looked up in
  // that volume, whose content (symbolic links included) the task controls.
  const all = [...boundBy.keys()];
  for (const outer of all) {
    const inner = all.find((t) => t.startsWith(`${outer}/`));
    if (inner) throw new IsolatorError(`container path ${inner} is inside container path ${outer}; binds must not nest`);
  }
  return [...byKey.values()].map(({ spec, targets }) => ({
    driver: spec.driver,
    name: spec.name,
    options: spec.options,
    explicitCreate: spec.explicitCreate,
    targets: [...targets.values()],
  }));
}
