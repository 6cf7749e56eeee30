import type { Violation } from './invariants.js';
import type { Container, Model } from './model.js';
import type { Op, RoundPlan } from './plan.js';
import type { PluginProcess } from './plugin-process.js';
import type { ChaosWorkspace } from './workspace.js';

export interface OpStats {
  runs: number;
  killed: number;
  failed: number;
}

/** How a round's operation ended: whether anything went wrong (a kill, a failure), and volumes to probe for blocking. */
export interface RoundEnd {
  readonly disturbed: boolean;
  readonly suspects: readonly string[];
}

/** What an agent is given by the run: the workspace and plugin, the model it keeps up to date, and where findings go. */
export interface Harness {
  readonly ws: ChaosWorkspace;
  readonly plugin: PluginProcess;
  readonly model: Model;
  /** dvdi's mount and unmount timeouts. */
  readonly timeoutMs: number;
  /** Far beyond anything a call may take: a mount, its undo and a whole wait for the state lock. */
  readonly limitMs: number;
  stats(op: Op): OpStats;
  /** A finding: counted once, logged with the round, and put right. */
  violation(v: Violation): Promise<void>;
  /** A failure nothing interfered with: not a finding, but worth reading. */
  note(text: string): void;
  /** What the round did, for findings. */
  describe(text: string): void;
}

/**
 * The agent whose isolator the run crashes: the `dvdi` CLI, a process per
 * call (cli-agent.ts), or the embedded runtime in dvdi-agent-sim
 * (runtime-agent.ts). The round operations play the draw (kills, plugin
 * stops), bring the agent back as Mesos does and keep the model; the others
 * are never disturbed.
 */
export interface ChaosAgent {
  readonly via: 'cli' | 'runtime';
  /** Its background must release every volume no live container uses by itself: checked before probes help. */
  readonly converges: boolean;
  start(): Promise<void>;
  prepare(op: Op, plan: RoundPlan, containers: readonly Container[]): Promise<RoundEnd>;
  cleanup(plan: RoundPlan, victim: Container): Promise<RoundEnd>;
  recoverOp(plan: RoundPlan): Promise<RoundEnd>;
  /** A new container with the model's bookkeeping left to the caller; resolves to its failure, if it failed. */
  launch(container: Container): Promise<string | undefined>;
  destroy(containerId: string): Promise<void>;
  /** The agent's recovery with the model's live containers alive. */
  recover(): Promise<void>;
  /** The operator's `dvdi forget` of a blocked volume. */
  forget(volume: string): Promise<void>;
  /** Lines for the run's summary. */
  summary(): string[];
  stop(): Promise<void>;
}
