import { reason, runCommand, type KillPlan, type Outcome } from './command.js';
import type { KillDraw, Op, RoundPlan } from './plan.js';
import type { PluginProcess } from './plugin-process.js';

/** The longest a slowed plugin stays stopped. */
const SLOW_MAX_MS = 1_000;
/** A frozen plugin stays stopped up to this many mount timeouts, so some calls time out. */
const FROZEN_MAX_TIMEOUTS = 1.3;
/** Undisturbed runs remembered per operation. */
const RECENT = 20;

export interface Disrupted {
  readonly outcomes: Outcome[];
  /** What was done and what came of it, for findings. */
  readonly description: string;
}

/**
 * What an operation is seen to take, learnt from its undisturbed runs: the
 * longest of its recent durations, and the most log lines and state changes
 * one made. Kill points are drawn over these.
 */
export class Pacing {
  private readonly durations = new Map<Op, number[]>();
  private readonly lineCounts = new Map<Op, number>();
  private readonly eventCounts = new Map<Op, number>();

  expected(op: Op): number {
    return Math.max(...(this.durations.get(op) ?? [1_000]));
  }

  learn(op: Op, ms: number, lines: number, events: number): void {
    this.durations.set(op, [...(this.durations.get(op) ?? []), ms].slice(-RECENT));
    this.learnCounts(op, lines, events);
  }

  learnCounts(op: Op, lines: number, events: number): void {
    this.lineCounts.set(op, Math.max(this.lineCounts.get(op) ?? 0, lines));
    this.eventCounts.set(op, Math.max(this.eventCounts.get(op) ?? 0, events));
  }

  killPlan(op: Op, draw: KillDraw, horizon: number): KillPlan {
    if (draw.kind === 'none') return { kind: 'none' };
    if (draw.kind === 'at') return { kind: 'at', ms: draw.fraction * horizon };
    if (draw.kind === 'after-line') return { kind: 'after-line', line: 1 + Math.floor(draw.fraction * (this.lineCounts.get(op) ?? 4)), ms: draw.delayMs };
    return { kind: 'after-event', event: 1 + Math.floor(draw.fraction * (this.eventCounts.get(op) ?? 8)), ms: draw.delayMs };
  }
}

/** The plugin stopped as a round drew it; `thaw` ends the stop early (at a kill) and `horizon` is the time kills are drawn over. */
export interface PluginStop {
  readonly thaw: () => void;
  readonly stoppedMs: number;
  readonly horizon: number;
  readonly description: string;
}

/** Stops the plugin as drawn: frozen from the start (hung), or slowed: stopped for a while in the middle. */
export function stopPlugin(plugin: PluginProcess, plan: RoundPlan, expected: number, timeoutMs: number): PluginStop {
  const stoppedMs = plan.interference === 'frozen' ? plan.thawAfter * FROZEN_MAX_TIMEOUTS * timeoutMs : plan.thawAfter * SLOW_MAX_MS;
  const timers: NodeJS.Timeout[] = [];
  const thaw = (): void => {
    for (const t of timers) clearTimeout(t);
    plugin.thaw();
  };
  if (plan.interference === 'frozen') {
    plugin.freeze();
    timers.push(setTimeout(thaw, stoppedMs));
  } else if (plan.interference === 'slowed') {
    timers.push(
      setTimeout(() => {
        plugin.freeze();
        timers.push(setTimeout(thaw, stoppedMs));
      }, plan.freezeAt * expected),
    );
  }
  return {
    thaw,
    stoppedMs,
    horizon: 1.1 * (expected + (plan.interference === 'none' ? 0 : stoppedMs)),
    description: `plugin ${plan.interference}${plan.interference === 'none' ? '' : ` ${Math.round(stoppedMs)} ms`}`,
  };
}

/** `lines`: what the lines an after-line kill counts are. */
export function describeKill(p: KillPlan, lines = 'log line'): string {
  if (p.kind === 'none') return 'no kill';
  if (p.kind === 'at') return `kill at ${Math.round(p.ms)} ms`;
  if (p.kind === 'after-line') return `kill ${Math.round(p.ms)} ms after ${lines} ${p.line}`;
  return `kill ${Math.round(p.ms)} ms after state change ${p.event}`;
}

/**
 * Runs an operation's `dvdi` commands at once, each killed as its round drew
 * it, with the plugin stopped as drawn and thawed at the first kill and at
 * the end.
 */
export class Disruptor {
  private readonly pacing = new Pacing();

  constructor(
    private readonly plugin: PluginProcess,
    private readonly stateDir: string,
    private readonly timeoutMs: number,
    private readonly limitMs: number,
  ) {}

  async run(op: Op, plan: RoundPlan, commands: readonly string[][]): Promise<Disrupted> {
    const stop = stopPlugin(this.plugin, plan, this.pacing.expected(op), this.timeoutMs);
    const kills = commands.map((_, i) => this.pacing.killPlan(op, plan.kills[i]!, stop.horizon));
    let outcomes: Outcome[];
    try {
      outcomes = await Promise.all(
        commands.map((args, i) => runCommand({ args, kill: kills[i]!, limitMs: this.limitMs, stateDir: this.stateDir, onKill: stop.thaw })),
      );
    } finally {
      stop.thaw();
    }
    if (plan.interference === 'none' && outcomes.every((o) => !o.killed && o.status === 0)) {
      this.pacing.learn(op, Math.max(...outcomes.map((o) => o.ms)), Math.max(...outcomes.map((o) => o.lines)), Math.max(...outcomes.map((o) => o.events)));
    }
    return {
      outcomes,
      description: `${op} ${kills.map((k, i) => `[${describeKill(k)}: ${describeOutcome(outcomes[i]!)}]`).join(' ')}, ${stop.description}`,
    };
  }
}

function describeOutcome(o: Outcome): string {
  if (o.hung) return 'hung';
  if (o.killed) return `killed after ${Math.round(o.ms)} ms`;
  return o.status === 0 ? `ok in ${Math.round(o.ms)} ms` : `failed in ${Math.round(o.ms)} ms: ${reason(o)}`;
}
