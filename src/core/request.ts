import { planContainerPath, type PathPlan } from '../spec/container-path.js';
import { IsolatorError } from './errors.js';
import type { VolumeSpec } from './volume.js';
import { volumeKey, type VolumeId } from './volume.js';

/** Where a volume is bound inside the container, and whether the bind is read-only. */
export type BindTarget = Exclude<PathPlan, { kind: 'none' }> & { readonly readOnly?: boolean };

/** One volume a prepare needs, with every place the task wants it bound. */
export interface VolumeRequest extends VolumeId {
  readonly options: ReadonlyArray<readonly [string, string]>;
  readonly explicitCreate: boolean;
  /** Bind targets on the host, deduplicated, in slot order. */
  readonly targets: ReadonlyArray<BindTarget>;
}

/** How messages name the place a spec came from: `volume 2`, or a DOCKER_VOLUME label. */
const origin = (spec: VolumeSpec): string => spec.label ?? `volume ${spec.slot}`;

/**
 * Groups specs by volume identity; the parser already refused conflicting
 * duplicates. Two volumes bound to one place would hide each other, and
 * nested binds could be redirected: both are refused, as is one place asked
 * for both read-only and read-write.
 */
export function groupRequests(specs: readonly VolumeSpec[], sandboxDirectory: string): VolumeRequest[] {
  const byKey = new Map<string, { spec: VolumeSpec; targets: Map<string, BindTarget> }>();
  const boundBy = new Map<string, VolumeSpec>();
  for (const spec of specs) {
    const key = volumeKey(spec);
    const entry = byKey.get(key) ?? { spec, targets: new Map() };
    byKey.set(key, entry);
    const plan = planContainerPath(spec.containerPath, sandboxDirectory);
    if (plan.kind === 'none') continue;
    const other = boundBy.get(plan.path);
    if (other && volumeKey(other) !== key) {
      const both = other.label === undefined && spec.label === undefined ? `volumes ${other.slot} and ${spec.slot}` : `${origin(other)} and ${origin(spec)}`;
      throw new IsolatorError(`${both} are both bound to ${plan.path}; each container path takes one volume`);
    }
    if (other && Boolean(other.readOnly) !== Boolean(spec.readOnly)) {
      const [ro, rw] = spec.readOnly ? [spec, other] : [other, spec];
      throw new IsolatorError(`container path ${plan.path} is asked for read-only by ${origin(ro)} and read-write by ${origin(rw)}`);
    }
    boundBy.set(plan.path, spec);
    entry.targets.set(plan.path, spec.readOnly ? { ...plan, readOnly: true } : plan);
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
