import { randomInt } from 'node:crypto';

/**
 * A small seedable generator (mulberry32). Each round draws from its own
 * generator, derived from the run's seed and the round number, so a round's
 * plan (operation, volumes, kill point, plugin stops) is the same on a replay
 * whatever the timing of earlier rounds did to the state.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  between(low: number, high: number): number {
    return low + this.next() * (high - low);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** One of the choices, with probability proportional to its weight. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [choice, w] of choices) {
      if (x < w) return choice;
      x -= w;
    }
    return choices[choices.length - 1]![0];
  }

  /** The generator of one round of a run. */
  static forRound(seed: number, round: number): Random {
    return new Random(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(round + 1, 0xc2b2ae35));
  }
}

export function randomSeed(): number {
  return randomInt(2 ** 31);
}
