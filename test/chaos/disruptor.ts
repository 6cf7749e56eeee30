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
 * Runs an operation's commands at once, each killed as its round drew it,
 * with the plugin stopped as drawn and thawed at the first kill and at the
 * end. Kill points are drawn over what the operation is seen to take: the
 * longest of its recent undisturbed runs (plus the plugin's stop), and the
 * most log lines and state changes such a run made.
 */
export class Disruptor {
  private readonly durations = new Map<Op, number[]>();
  private readonly lineCounts = new Map<Op, number>();
  private readonly eventCounts = new Map<Op, number>();

  constructor(
    private readonly plugin: PluginProcess,
    private readonly stateDir: string,
    private readonly timeoutMs: number,
    private readonly limitMs: number,
  ) {}

  async run(op: Op, plan: RoundPlan, commands: readonly string[][]): Promise<Disrupted> {
    const expected = Math.max(...(this.durations.get(op) ?? [1_000]));
    const stoppedMs = plan.interference === 'frozen' ? plan.thawAfter * FROZEN_MAX_TIMEOUTS * this.timeoutMs : plan.thawAfter * SLOW_MAX_MS;
    const horizon = 1.1 * (expected + (plan.interference === 'none' ? 0 : stoppedMs));
    const timers: NodeJS.Timeout[] = [];
    const thaw = (): void => {
      for (const t of timers) clearTimeout(t);
      this.plugin.thaw();
    };
    if (plan.interference === 'frozen') {
      this.plugin.freeze();
      timers.push(setTimeout(thaw, stoppedMs));
    } else if (plan.interference === 'slowed') {
      timers.push(
        setTimeout(() => {
          this.plugin.freeze();
          timers.push(setTimeout(thaw, stoppedMs));
        }, plan.freezeAt * expected),
      );
    }
    const kills = commands.map((_, i) => this.killPlan(op, plan.kills[i]!, horizon));
    let outcomes: Outcome[];
    try {
      outcomes = await Promise.all(
        commands.map((args, i) => runCommand({ args, kill: kills[i]!, limitMs: this.limitMs, stateDir: this.stateDir, onKill: thaw })),
      );
    } finally {
      thaw();
    }
    if (plan.interference === 'none' && outcomes.every((o) => !o.killed && o.status === 0)) this.learn(op, outcomes);
    const stop = plan.interference === 'none' ? '' : ` ${Math.round(stoppedMs)} ms`;
    return {
      outcomes,
      description: `${op} ${kills.map((k, i) => `[${describeKill(k)}: ${describeOutcome(outcomes[i]!)}]`).join(' ')}, plugin ${plan.interference}${stop}`,
    };
  }

  private learn(op: Op, outcomes: readonly Outcome[]): void {
    this.durations.set(op, [...(this.durations.get(op) ?? []), Math.max(...outcomes.map((o) => o.ms))].slice(-RECENT));
    this.lineCounts.set(op, Math.max(this.lineCounts.get(op) ?? 0, ...outcomes.map((o) => o.lines)));
    this.eventCounts.set(op, Math.max(this.eventCounts.get(op) ?? 0, ...outcomes.map((o) => o.events)));
  }

  private killPlan(op: Op, draw: KillDraw, horizon: number): KillPlan {
    if (draw.kind === 'none') return { kind: 'none' };
    if (draw.kind === 'at') return { kind: 'at', ms: draw.fraction * horizon };
    if (draw.kind === 'after-line') return { kind: 'after-line', line: 1 + Math.floor(draw.fraction * (this.lineCounts.get(op) ?? 4)), ms: draw.delayMs };
    return { kind: 'after-event', event: 1 + Math.floor(draw.fraction * (this.eventCounts.get(op) ?? 8)), ms: draw.delayMs };
  }
}

function describeKill(p: KillPlan): string {
  if (p.kind === 'none') return 'no kill';
  if (p.kind === 'at') return `kill at ${Math.round(p.ms)} ms`;
  if (p.kind === 'after-line') return `kill ${Math.round(p.ms)} ms after log line ${p.line}`;
  return `kill ${Math.round(p.ms)} ms after state change ${p.event}`;
}

function describeOutcome(o: Outcome): string {
  if (o.hung) return 'hung';
  if (o.killed) return `killed after ${Math.round(o.ms)} ms`;
  return o.status === 0 ? `ok in ${Math.round(o.ms)} ms` : `failed in ${Math.round(o.ms)} ms: ${reason(o)}`;
}
