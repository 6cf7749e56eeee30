import * as path from 'node:path';
import type { Random } from './random.js';
import { DRIVER, type ChaosWorkspace } from './workspace.js';

/** Volumes several containers may use at once; every other volume is new and private to one container. */
export const SHARED_VOLUMES = ['shared-0', 'shared-1', 'shared-2', 'shared-3'];

export interface Container {
  readonly id: string;
  readonly sandbox: string;
  readonly volumes: readonly string[];
  /** `--env NAME=VALUE` arguments of its prepare. */
  readonly env: readonly string[];
  /** What its prepare may create in the sandbox: the first component there of each container path. */
  readonly sandboxEntries: readonly string[];
}

/**
 * The harness's view of the agent: which containers Mesos believes alive.
 * A container is alive once its prepare succeeded and until its cleanup
 * started; a killed prepare leaves no container behind.
 */
export class Model {
  readonly live = new Map<string, Container>();
  /** Every container whose sandbox still exists, alive or not. */
  readonly sandboxes = new Map<string, Container>();
  /** Every volume any prepare asked for. */
  readonly touched = new Set<string>();

  holders(volume: string): Container[] {
    return [...this.live.values()].filter((c) => c.volumes.includes(volume));
  }

  aliveIds(): string[] {
    return [...this.live.keys()];
  }
}

/**
 * A new container asking for 1 to 3 volumes, each shared or new, seen at a
 * relative, nested, absolute (inside the sandbox) or no container path, in
 * variable slots with gaps (`DVDI_VOLUME_NAME`, `…NAME2`, `…NAME5`).
 */
export function newContainer(ws: ChaosWorkspace, rng: Random, id: string, privatePrefix: string): Container {
  const sandbox = ws.sandbox(id);
  const count = 1 + rng.int(3);
  const volumes: string[] = [];
  const env: string[] = [];
  const sandboxEntries = new Set<string>();
  let slot = rng.chance(0.5) ? 0 : 1;
  for (let k = 0; k < count; k++) {
    const free = SHARED_VOLUMES.filter((v) => !volumes.includes(v));
    const volume = rng.chance(0.5) && free.length > 0 ? rng.pick(free) : `${privatePrefix}-${k}`;
    volumes.push(volume);
    const suffix = slot === 0 && rng.chance(0.5) ? '' : String(slot);
    env.push(`DVDI_VOLUME_NAME${suffix}=${volume}`, `DVDI_VOLUME_DRIVER${suffix}=${DRIVER}`);
    const options = ws.volumeOptions();
    if (options !== undefined) env.push(`DVDI_VOLUME_OPTS${suffix}=${options}`);
    const where = rng.weighted([
      ['relative', 3],
      ['nested', 2],
      ['absolute', 2],
      ['none', 1],
    ] as const);
    const containerPath =
      where === 'relative' ? `vol${k}` : where === 'nested' ? `data/vol${k}` : where === 'absolute' ? path.join(sandbox, `abs${k}`) : '';
    if (containerPath !== '') {
      env.push(`DVDI_VOLUME_CONTAINERPATH${suffix}=${containerPath}`);
      sandboxEntries.add(path.relative(sandbox, path.resolve(sandbox, containerPath)).split(path.sep)[0]!);
    }
    slot += 1 + rng.int(3);
  }
  return { id, sandbox, volumes, env, sandboxEntries: [...sandboxEntries] };
}

export function envArgs(container: Container): string[] {
  return container.env.flatMap((e) => ['--env', e]);
}
