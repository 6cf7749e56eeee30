import type { VolumeStatus } from './records.js';

/** What the engine counts; the agent's metrics (isolators/dvdi/…) show these, counted here only. */
export interface MetricCounts {
  /** Prepare calls, and those that failed. */
  readonly prepares: number;
  readonly prepareFailures: number;
  readonly cleanups: number;
  /** The mounter's mount and unmount calls, by outcome. */
  readonly mounts: number;
  readonly mountFailures: number;
  readonly unmounts: number;
  readonly unmountFailures: number;
}

export type MetricName = keyof MetricCounts;

/** The state right now, from the records. */
export interface VolumeGauges {
  readonly volumesMounted: number;
  /** Containers holding at least one volume (mounted, or being mounted). */
  readonly containersHolding: number;
  readonly unmountsPending: number;
}

export type TimedOperation = 'mount' | 'unmount';

/** How long one successful mount or unmount took; `sequence` counts from 1 in each engine. */
export interface LatencySample {
  readonly sequence: number;
  readonly operation: TimedOperation;
  readonly ms: number;
}

/** Samples kept for a reader that has not taken them yet; older ones are dropped. */
export const KEPT_SAMPLES = 1000;

const ZERO: MetricCounts = {
  prepares: 0,
  prepareFailures: 0,
  cleanups: 0,
  mounts: 0,
  mountFailures: 0,
  unmounts: 0,
  unmountFailures: 0,
};

/**
 * The engine's counters and latency samples. A reader (the agent's shim)
 * takes the samples after the last one it saw, so each reaches the agent's
 * timers once, however often it asks.
 */
export class EngineMetrics {
  private counts: Record<MetricName, number> = { ...ZERO };
  private readonly samples: LatencySample[] = [];
  private sequence = 0;

  count(name: MetricName): void {
    this.counts[name] += 1;
  }

  sample(operation: TimedOperation, ms: number): void {
    this.sequence += 1;
    this.samples.push({ sequence: this.sequence, operation, ms });
    if (this.samples.length > KEPT_SAMPLES) this.samples.shift();
  }

  counters(): MetricCounts {
    return { ...this.counts };
  }

  /** The kept samples after `sequence`, oldest first, and the latest sample's sequence (0: none yet). */
  samplesAfter(sequence: number): { samples: LatencySample[]; last: number } {
    return { samples: this.samples.filter((s) => s.sequence > sequence), last: this.sequence };
  }
}

export function volumeGauges(volumes: readonly VolumeStatus[]): VolumeGauges {
  const holders = new Set(volumes.flatMap((v) => v.holders));
  return {
    volumesMounted: volumes.filter((v) => v.state === 'mounted').length,
    containersHolding: holders.size,
    unmountsPending: volumes.filter((v) => v.state === 'unmount-pending').length,
  };
}
