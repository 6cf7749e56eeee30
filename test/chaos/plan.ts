import type { KillPlan } from './command.js';
import { newContainer, type Container } from './model.js';
import { Random } from './random.js';
import type { ChaosWorkspace } from './workspace.js';

export type Op = 'prepare' | 'cleanup' | 'recover' | 'burst';
export const OPS: readonly Op[] = ['prepare', 'cleanup', 'recover', 'burst'];

/** none; frozen: SIGSTOP before the command starts (a hung plugin); slowed: SIGSTOP for a while in the middle. */
export type Interference = 'none' | 'frozen' | 'slowed';

/** Through the runtime: the JavaScript environment made to restart (an endless loop for the watchdog, or heap exhaustion). */
export type JsRestart = 'none' | 'watchdog' | 'heap';

/** A kill drawn as fractions, scaled at run time by how long the operation is seen to take. */
export interface KillDraw {
  readonly kind: KillPlan['kind'];
  readonly fraction: number;
  /** After the log line or state change. */
  readonly delayMs: number;
}

/**
 * Everything random about one round, drawn before it starts from the round's
 * own generator, so that a replay with the same seed plays the same round.
 */
export interface RoundPlan {
  readonly op: Op;
  readonly interference: Interference;
  /** Fraction of the expected duration after which a slowed plugin is stopped. */
  readonly freezeAt: number;
  /** Fraction of the longest stop (a bit over the mount timeout when frozen) the plugin stays stopped. */
  readonly thawAfter: number;
  /** One per command started at once (a burst starts several). */
  readonly kills: readonly KillDraw[];
  /** Fraction picking which live container a cleanup is for. */
  readonly victim: number;
  /** A container whose cleanup was killed comes back as an orphan (then cleaned up again), or not at all. */
  readonly orphan: boolean;
  /** New containers for a prepare (the first) or a burst (all). */
  readonly containers: readonly Container[];
  readonly jsRestart: JsRestart;
  /** Fraction of the expected duration at which the restart is set off. */
  readonly jsRestartAt: number;
  /** Through the runtime: in a recover round, a container's task ends while the agent is down. */
  readonly taskEnds: boolean;
}

export const BURST_SIZE = 3;

export function drawPlan(ws: ChaosWorkspace, seed: number, round: number): RoundPlan {
  const rng = Random.forRound(seed, round);
  const op = rng.weighted<Op>([
    ['prepare', 5],
    ['cleanup', 3],
    ['recover', 1],
    ['burst', 1],
  ]);
  const interference = rng.weighted<Interference>([
    ['none', 6],
    ['frozen', 1.5],
    ['slowed', 2.5],
  ]);
  const kills = Array.from({ length: BURST_SIZE }, () => ({
    kind: rng.weighted<KillPlan['kind']>([
      ['none', 2],
      ['at', 3],
      ['after-line', 3],
      ['after-event', 3],
    ]),
    fraction: rng.next(),
    // Half of the event kills land at once, inside the step that made the change.
    delayMs: rng.chance(0.5) ? 0 : rng.between(0, 25),
  }));
  return {
    op,
    interference,
    freezeAt: rng.next(),
    thawAfter: rng.next(),
    kills,
    victim: rng.next(),
    orphan: rng.chance(0.5),
    containers: Array.from({ length: BURST_SIZE }, (_, i) => newContainer(ws, rng, `c${round}-${i}`, `p${round}-${i}`)),
    // Drawn last, so the draws above replay as they did before there were any.
    jsRestart: rng.weighted<JsRestart>([
      ['none', 8],
      ['watchdog', 1],
      ['heap', 1],
    ]),
    jsRestartAt: rng.next(),
    taskEnds: rng.chance(0.5),
  };
}
