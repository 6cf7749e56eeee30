import { mkdir, rm, unlink } from 'node:fs/promises';
import type { MountRecord } from '../../src/core/ports.js';
import { cleanupUnder } from '../helpers/loop-cleanup.js';
import { mountsUnder } from '../helpers/mounts.js';
import { pluginCall } from '../helpers/plugin-call.js';
import type { ChaosAgent, Harness, OpStats } from './agent.js';
import { CliAgent } from './cli-agent.js';
import { checkState, checkStray, FAILURE_KINDS, type FailureKind, type Violation } from './invariants.js';
import { Model, SHARED_VOLUMES, type Container } from './model.js';
import { observe, pluginFingerprint, type Observed } from './observe.js';
import { drawPlan, OPS, type Op, type RoundPlan } from './plan.js';
import { PluginProcess } from './plugin-process.js';
import { RuntimeAgent, type RuntimeFiles } from './runtime-agent.js';
import { ChaosWorkspace, DRIVER, type Backend } from './workspace.js';

export type Via = 'cli' | 'runtime';

export interface ChaosOptions {
  readonly rounds: number;
  readonly seed: number;
  readonly backend: Backend;
  /** Through the `dvdi` CLI (default), or the runtime embedded in dvdi-agent-sim. */
  readonly via?: Via;
  /** Through the runtime: the programs and bundle to run (default: the build's). */
  readonly runtimeFiles?: Partial<RuntimeFiles>;
  /** dvdi's mount and unmount timeouts, in seconds. */
  readonly timeoutSeconds: number;
  /** Progress, findings and the summary, one line each. */
  readonly log: (line: string) => void;
  /** Also a line per round. */
  readonly verbose?: boolean;
  /** Asked before each round: true ends the run there (the totals are of the rounds played), and cleans up. */
  readonly interrupted?: () => boolean;
}

export interface ChaosReport {
  readonly seed: number;
  /** Rounds played: fewer than asked for when interrupted. */
  readonly rounds: number;
  readonly backend: Backend;
  readonly via: Via;
  readonly seconds: number;
  readonly totals: Record<FailureKind, number>;
  readonly findings: readonly string[];
  readonly operations: Record<Op, OpStats>;
  /** Failures of commands that nothing interfered with: not counted as violations, but worth reading. */
  readonly unexpected: readonly string[];
  /** The agent's own summary lines (through the runtime: kills by phase, JavaScript restarts). */
  readonly agentSummary: readonly string[];
}

/** Live containers at most: beyond that a prepare becomes a cleanup, so volumes keep coming and going. */
const MAX_LIVE = 6;
const SETTLE_POLL_MS = 50;
const SETTLE_LIMIT_MS = 5_000;
/** Volumes a single probe prepare asks for at once. */
const PROBE_BATCH = 8;
/** Probes of one volume whose prepare timed out, before it counts as blocked. */
const PROBE_TRIES = 3;
const TIMED_OUT = /timed out|timeout/i;
/** Unexpected failures listed in the summary (all of them with --verbose, as they happen). */
const SHOWN_UNEXPECTED = 10;

/** Runs `rounds` rounds against a fresh plugin and workspace, then removes both; never throws for findings. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const ws = await ChaosWorkspace.create(options.backend);
  let plugin: PluginProcess | undefined;
  let run: ChaosRun | undefined;
  try {
    plugin = await PluginProcess.start(ws);
    run = new ChaosRun(ws, plugin, options);
    await run.start();
    return await run.play();
  } finally {
    await run?.agent.stop();
    await plugin?.stop();
    await cleanupUnder(ws.root);
  }
}

/** One run: the agent's view of its containers, the rounds, the checks after each, and the tallies. */
class ChaosRun implements Harness {
  readonly model = new Model();
  readonly agent: ChaosAgent;
  readonly timeoutMs: number;
  private readonly totals = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
  private readonly seen = new Set<string>();
  private readonly findings: string[] = [];
  private readonly unexpected: string[] = [];
  private readonly operations = Object.fromEntries(OPS.map((op) => [op, { runs: 0, killed: 0, failed: 0 }])) as Record<Op, OpStats>;
  private readonly via: Via;
  private round = 0;
  private context = '';

  constructor(
    readonly ws: ChaosWorkspace,
    readonly plugin: PluginProcess,
    private readonly options: ChaosOptions,
  ) {
    this.timeoutMs = options.timeoutSeconds * 1000;
    this.via = options.via ?? 'cli';
    this.agent = this.via === 'cli' ? new CliAgent(this, options.timeoutSeconds) : new RuntimeAgent(this, options.timeoutSeconds, options.runtimeFiles);
  }

  /** Far beyond anything a call may take: a mount, its undo and a whole wait for the state lock. */
  get limitMs(): number {
    return 4 * 2 * this.timeoutMs + 20_000;
  }

  stats(op: Op): OpStats {
    return this.operations[op];
  }

  describe(text: string): void {
    this.context = text;
  }

  start(): Promise<void> {
    return this.agent.start();
  }

  async play(): Promise<ChaosReport> {
    const { rounds, seed, backend, log } = this.options;
    const started = performance.now();
    const bundle = this.options.runtimeFiles?.isolatorBundle;
    const replay = `npm run chaos -- --seed ${seed} --rounds ${rounds} --backend ${backend}${this.via === 'cli' ? '' : ' --via runtime'}${bundle ? ` --bundle ${bundle}` : ''}`;
    log(`chaos: seed ${seed}, ${rounds} rounds, ${backend} backend, via ${this.via}, workspace ${this.ws.root} (replay: ${replay})`);
    let played = 0;
    for (; played < rounds && !this.options.interrupted?.(); played++) {
      this.round = played;
      await this.playRound(drawPlan(this.ws, seed, played));
      if ((played + 1) % 50 === 0 && played + 1 < rounds) log(`chaos: ${played + 1} rounds: ${this.summary()}`);
    }
    if (played < rounds) log(`chaos: interrupted after ${played} rounds`);
    // A Ctrl-C stops the plugin too (same process group): then there is nothing to finish against.
    if (this.plugin.running) await this.finish();
    const seconds = (performance.now() - started) / 1000;
    log(`chaos: seed ${seed}, ${played} rounds, ${backend} backend, via ${this.via}, ${seconds.toFixed(0)} s: ${this.summary()}`);
    log(`chaos: operations ${OPS.map((op) => `${op} ${this.operations[op].runs} (killed ${this.operations[op].killed}, failed ${this.operations[op].failed})`).join(', ')}; unexpected failures ${this.unexpected.length}`);
    const agentSummary = this.agent.summary();
    for (const line of agentSummary) log(`chaos: ${line}`);
    if (!this.options.verbose) for (const line of this.unexpected.slice(0, SHOWN_UNEXPECTED)) log(line);
    return {
      seed,
      rounds: played,
      backend,
      via: this.via,
      seconds,
      totals: { ...this.totals },
      findings: this.findings,
      operations: this.operations,
      unexpected: this.unexpected,
      agentSummary,
    };
  }

  private summary(): string {
    return FAILURE_KINDS.map((k) => `${k} ${this.totals[k]}`).join(', ');
  }

  private async playRound(plan: RoundPlan): Promise<void> {
    const started = performance.now();
    let op = plan.op;
    const alive = this.model.aliveIds();
    if (op === 'cleanup' && alive.length === 0) op = 'prepare';
    if ((op === 'prepare' || op === 'burst') && alive.length >= MAX_LIVE) op = 'cleanup';
    this.context = `${op} (plugin ${plan.interference})`;
    let end;
    if (op === 'prepare' || op === 'burst') {
      const containers = plan.containers.slice(0, op === 'prepare' ? 1 : plan.containers.length);
      for (const c of containers) await this.newSandbox(c);
      end = await this.agent.prepare(op, plan, containers);
    } else if (op === 'cleanup') {
      const victim = this.model.live.get(alive[Math.floor(plan.victim * alive.length)]!)!;
      this.model.live.delete(victim.id);
      end = await this.agent.cleanup(plan, victim);
    } else {
      end = await this.agent.recoverOp(plan);
    }
    await this.verify(end.disturbed || plan.interference !== 'none', end.suspects);
    if (this.options.verbose) this.options.log(`chaos: round ${this.round} (${Math.round(performance.now() - started)} ms): ${this.context}`);
  }

  private async newSandbox(c: Container): Promise<void> {
    await mkdir(c.sandbox, { recursive: true });
    this.model.sandboxes.set(c.id, c);
    for (const v of c.volumes) this.model.touched.add(v);
  }

  /**
   * After a disturbed round: waits for the plugin to finish what killed
   * calls left it, then proves that no volume is blocked: those dvdi still
   * keeps a record of without a live user (an unmount pending, a hold of a
   * gone container) and the suspects. Always: the invariants and the stray
   * check; through the runtime also before the probes, which would carry
   * out unmounts its background should have done.
   */
  private async verify(disturbed: boolean, suspects: readonly string[] = []): Promise<void> {
    if (this.agent.converges) await this.check();
    if (disturbed) await this.probe([...new Set([...unheld((await this.settle()).records ?? [], this.model), ...suspects])]);
    await this.check();
    await this.collectSandboxes();
  }

  private async check(): Promise<void> {
    const o = await this.settle();
    for (const v of checkState(this.ws, o, this.model)) await this.violation(v, o);
    for (const v of await checkStray(this.ws, this.model)) await this.violation(v, o);
  }

  /** Observes until the plugin's counts and the mount table stop changing. */
  private async settle(): Promise<Observed> {
    const deadline = Date.now() + SETTLE_LIMIT_MS;
    let last = await observe(this.ws);
    for (;;) {
      await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
      const now = await observe(this.ws);
      if (pluginFingerprint(now) === pluginFingerprint(last) || Date.now() > deadline) return now;
      last = now;
    }
  }

  /**
   * A volume is blocked when a new container cannot get it. Volumes no live
   * container holds are asked for by a probe container (a batch at once,
   * then one by one when the batch fails), which is cleaned up at once.
   */
  private async probe(volumes: readonly string[]): Promise<void> {
    const free = volumes.filter((v) => this.model.holders(v).length === 0);
    for (let i = 0; i < free.length; i += PROBE_BATCH) {
      const batch = free.slice(i, i + PROBE_BATCH);
      const failure = await this.probeOnce(`probe-${this.round}-${i}`, batch);
      if (failure === undefined) continue;
      for (const [k, v] of batch.entries()) {
        let alone = batch.length === 1 ? failure : await this.probeOnce(`probe-${this.round}-${i}-${k}`, [v]);
        // A mount that only took too long (a loaded host) is asked again: a blocked volume is refused every time.
        for (let again = 1; alone !== undefined && TIMED_OUT.test(alone) && again < PROBE_TRIES; again++) {
          alone = await this.probeOnce(`probe-${this.round}-${i}-${k}-${again}`, [v]);
        }
        if (alone === undefined) continue;
        await this.violation({ kind: 'blocked', key: `blocked:${v}:${this.round}`, message: `a new container cannot get volume ${v}: ${alone}`, volume: v });
      }
    }
  }

  /** Prepares and cleans up a container using the volumes; resolves to the prepare's failure, if it failed. */
  private async probeOnce(id: string, volumes: readonly string[]): Promise<string | undefined> {
    const options = this.ws.volumeOptions();
    const env = volumes.flatMap((v, k) => [
      `DVDI_VOLUME_NAME${k}=${v}`,
      `DVDI_VOLUME_DRIVER${k}=${DRIVER}`,
      ...(options === undefined ? [] : [`DVDI_VOLUME_OPTS${k}=${options}`]),
    ]);
    const probe: Container = { id, sandbox: this.ws.sandbox(id), volumes, env, sandboxEntries: [] };
    await this.newSandbox(probe);
    const failure = await this.agent.launch(probe);
    await this.agent.destroy(id);
    return failure;
  }

  /** Counts a violation once, logs it with the round, and puts the state right so later rounds start sane. */
  async violation(v: Violation, o?: Observed): Promise<void> {
    if (this.seen.has(v.key)) return;
    this.seen.add(v.key);
    this.totals[v.kind]++;
    const line = `chaos: round ${this.round} (seed ${this.options.seed}): ${v.kind.toUpperCase()}: ${v.message} — round: ${this.context}`;
    this.findings.push(line);
    this.options.log(line);
    await this.repair(v, o);
  }

  /** What an operator would do about it, so the problem is counted once, not in every later round. */
  private async repair(v: Violation, o: Observed | undefined): Promise<void> {
    if (v.kind === 'locked') {
      await unlink(`${this.ws.checkpoint}.lock`).catch(() => undefined);
    } else if (v.kind === 'lost' && v.container !== undefined) {
      this.model.live.delete(v.container);
      await this.agent.destroy(v.container);
    } else if (v.kind === 'blocked' && v.volume !== undefined) {
      await this.agent.forget(v.volume);
      await this.unmountInPlugin(v.volume, (await observe(this.ws)).plugin.get(v.volume)?.mounts ?? {});
    } else if (v.kind === 'leaked' && v.volume !== undefined && o !== undefined) {
      if (v.key.startsWith('held:')) await this.agent.recover();
      else await this.unmountInPlugin(v.volume, o.plugin.get(v.volume)?.mounts ?? {});
    }
  }

  private async unmountInPlugin(volume: string, mounts: Readonly<Record<string, number>>): Promise<void> {
    for (const [id, n] of Object.entries(mounts)) {
      for (let i = 0; i < n; i++) await pluginCall(this.ws.socketPath, 'VolumeDriver.Unmount', { Name: volume, ID: id }).catch(() => undefined);
    }
  }

  note(text: string): void {
    const line = `chaos: round ${this.round}: unexpected: ${text} — round: ${this.context}`;
    this.unexpected.push(line);
    if (this.options.verbose) this.options.log(line);
  }

  /** Sandboxes of containers that are gone, once checked, as the agent's garbage collection would; never one with a mount inside. */
  private async collectSandboxes(): Promise<void> {
    for (const [id, c] of this.model.sandboxes) {
      if (this.model.live.has(id) || mountsUnder(c.sandbox).length > 0) continue;
      await rm(c.sandbox, { recursive: true, force: true });
      this.model.sandboxes.delete(id);
    }
  }

  /** Every container ends, the agent recovers with none alive, and nothing may remain mounted or held. */
  private async finish(): Promise<void> {
    this.round++;
    this.context = 'final cleanup of every container';
    for (const id of this.model.aliveIds()) {
      this.model.live.delete(id);
      await this.agent.destroy(id);
    }
    await this.agent.recover();
    const o = await this.settle();
    await this.probe([...new Set([...SHARED_VOLUMES.filter((v) => this.model.touched.has(v)), ...unheld(o.records ?? [], this.model)])]);
    await this.verify(false);
  }
}

/** Volumes dvdi keeps a record of that no live container uses: the only ones a new container could find blocked. */
function unheld(records: readonly MountRecord[], model: Model): string[] {
  return [...new Set(records.filter((r) => r.driver === DRIVER && model.holders(r.name).length === 0).map((r) => r.name))];
}
