import { watch } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChaosAgent, Harness, RoundEnd } from './agent.js';
import { reason, runCommand } from './command.js';
import { describeKill, Pacing, stopPlugin } from './disruptor.js';
import { checkState } from './invariants.js';
import type { Container } from './model.js';
import { observe } from './observe.js';
import type { Op, RoundPlan } from './plan.js';
import { KILL_PHASES, killContainers, SimProcess, type Answer, type KillPhase, type SimFiles } from './sim-process.js';
import { DRIVER } from './workspace.js';

/** What a run through the runtime runs; copied at its start, so builds of the tree meanwhile change nothing. */
export interface RuntimeFiles {
  readonly sim: string;
  readonly library: string;
  readonly isolatorBundle: string;
}

const BUILT: RuntimeFiles = {
  sim: 'build/native/dvdi-agent-sim',
  library: 'build/native/libdvdi_runtime.so',
  isolatorBundle: 'dist/dvdi-runtime.cjs',
};
const FAULT_BUNDLE = fileURLToPath(new URL('./js-fault-bundle.cjs', import.meta.url));
const CONVERGE_POLL_MS = 100;
/** The watchdog's timeout (its default, 10 s) and the restart, with room to spare. */
const JS_RESTART_LIMIT_MS = 20_000;
const UNMOUNT_START = /log: (unmounting volume|retrying pending unmount)/;
const BACKGROUND_UNMOUNT_START = /log: retrying pending unmount/;
/** Tries at starting an agent whose start fails before the run gives up. */
const START_TRIES = 3;

/** What one round's operation came to. */
interface Played {
  readonly answers: readonly Answer[];
  /** What the drawn kill interrupted, if it struck. */
  readonly killed: readonly KillPhase[] | undefined;
  /** The agent died without being killed. */
  readonly crashed: boolean;
}

/**
 * The isolator in the runtime embedded in dvdi-agent-sim, one long-running
 * agent that launches and destroys containers from several threads. A round
 * draws one kill of the whole agent, which may strike during its calls or the
 * background work they leave (undoing a failed prepare, retrying a pending
 * unmount, writing the checkpoint): at a time, at a state change, or after
 * the isolator starts its n-th unmount; the round lasts until the state has
 * converged to the model, or a bound. A killed agent restarts and recovers
 * from its own state: containers still running are alive, the dead ones gone
 * or orphans as drawn; the model follows what it recovered. Some rounds set
 * off a JavaScript restart (js-fault-bundle.cjs) instead of, or besides, the kill.
 */
export class RuntimeAgent implements ChaosAgent {
  readonly via = 'runtime';
  readonly converges = true;
  private sim: SimProcess | undefined;
  private files: SimFiles | undefined;
  private snapshot = '';
  private readonly pacing = new Pacing();
  private readonly phases = Object.fromEntries(KILL_PHASES.map((p) => [p, 0])) as Record<KillPhase, number>;
  private drawnKills = 0;
  private restarts = 0;
  private readonly injected = { watchdog: 0, heap: 0 };
  private jsRestarts = 0;
  private lineListener: ((line: string) => void) | undefined;
  private readonly faultFile: string;

  constructor(
    private readonly h: Harness,
    private readonly timeoutSeconds: number,
    private readonly given: Partial<RuntimeFiles> = {},
  ) {
    this.faultFile = path.join(h.ws.logDir, 'js-restart');
  }

  async start(): Promise<void> {
    this.snapshot = await mkdtemp(path.join(tmpdir(), 'dvdi-chaos-runtime-'));
    const copy = async (from: string, name: string): Promise<string> => {
      const to = path.join(this.snapshot, name);
      await copyFile(path.resolve(from), to);
      return to;
    };
    const files = { ...BUILT, ...this.given };
    this.files = {
      sim: await copy(files.sim, 'dvdi-agent-sim'),
      library: await copy(files.library, 'libdvdi_runtime.so'),
      isolatorBundle: await copy(files.isolatorBundle, 'dvdi-runtime.cjs'),
      bundle: await copy(FAULT_BUNDLE, 'js-fault-bundle.cjs'),
    };
    await chmod(this.files.sim, 0o755);
    await this.restart('gone');
  }

  async prepare(op: Op, plan: RoundPlan, containers: readonly Container[]): Promise<RoundEnd> {
    const { model } = this.h;
    const alive = model.aliveIds();
    // A burst also destroys a container, from another thread.
    const victim = op === 'burst' && alive.length > 0 ? alive[Math.floor(plan.victim * alive.length)]! : undefined;
    if (victim !== undefined) model.live.delete(victim);
    // Alive as soon as launched, so the state converges to what the agent runs.
    const launch = async (c: Container): Promise<Answer> => {
      const a = await this.sim!.launch(c);
      if (a.ok) model.live.set(c.id, c);
      return a;
    };
    const played = await this.operate(op, plan, () => [...containers.map(launch), ...(victim === undefined ? [] : [this.sim!.destroy(victim)])]);
    // Issue 6 §1: a prepare killed while the plugin hung could leave its volumes blocked.
    const suspects = played.killed && plan.interference !== 'none' ? containers.flatMap((c) => c.volumes) : [];
    return this.after(plan, played, suspects);
  }

  async cleanup(plan: RoundPlan, victim: Container): Promise<RoundEnd> {
    return this.after(plan, await this.operate('cleanup', plan, () => [this.sim!.destroy(victim.id)]), []);
  }

  /**
   * The agent restarts, and one container's task may have ended while it was
   * down; the drawn kill strikes the new agent, during its start, recovery
   * or the release of that container's volumes.
   */
  async recoverOp(plan: RoundPlan): Promise<RoundEnd> {
    this.killSim();
    await this.sim!.exit();
    const alive = this.h.model.aliveIds();
    if (plan.taskEnds && alive.length > 0) {
      const ended = alive[Math.floor(plan.victim * alive.length)]!;
      this.h.model.live.delete(ended);
      await killContainers(this.h.ws.root, ended);
    }
    const played = await this.operate('recover', plan, () => [this.boot(plan.orphan ? 'orphans' : 'gone')]);
    if (!played.killed && !played.crashed && played.answers[0]!.ok) this.follow();
    return this.after(plan, played, []);
  }

  async launch(c: Container): Promise<string | undefined> {
    const a = await this.guarded(this.sim!.launch(c), `launch of ${c.id}`);
    await this.settleFailure(a);
    return a.ok ? undefined : a.reason;
  }

  async destroy(containerId: string): Promise<void> {
    const a = await this.guarded(this.sim!.destroy(containerId), `destroy of ${containerId}`);
    if (!a.ok) this.h.note(`destroy failed: ${a.reason}`);
    await this.settleFailure(a);
  }

  async recover(): Promise<void> {
    await this.restart('gone');
    await this.converge();
  }

  /** `dvdi forget` refuses while the runtime holds the state: the agent stops for it. */
  async forget(volume: string): Promise<void> {
    this.killSim();
    await this.sim!.exit();
    const o = await runCommand({
      args: ['forget', ...this.h.ws.cliFlags(this.timeoutSeconds), '--driver', DRIVER, '--name', volume],
      kill: { kind: 'none' },
      limitMs: this.h.limitMs,
      stateDir: this.h.ws.stateDir,
    });
    if (o.status !== 0) this.h.note(`forget failed: ${reason(o)}`);
    await this.restart('gone');
  }

  summary(): string[] {
    return [
      `kills by phase (${this.drawnKills} drawn kill -9s of the agent; one may strike several phases): ${KILL_PHASES.map((p) => `${p} ${this.phases[p]}`).join(', ')}`,
      `agent restarts ${this.restarts}; JavaScript restarts set off ${this.injected.watchdog + this.injected.heap} (watchdog ${this.injected.watchdog}, heap ${this.injected.heap}), seen ${this.jsRestarts}`,
    ];
  }

  async stop(): Promise<void> {
    await this.sim?.end(this.h.limitMs);
    await killContainers(this.h.ws.root);
    if (this.snapshot !== '') await rm(this.snapshot, { recursive: true, force: true });
  }

  /**
   * Runs the round's requests with its kill, plugin stop and JavaScript
   * restart armed, until they are answered and the state has converged.
   */
  private async operate(op: Op, plan: RoundPlan, act: () => Array<Promise<Answer>>): Promise<Played> {
    const stop = stopPlugin(this.h.plugin, plan, this.pacing.expected(op), this.h.timeoutMs);
    // A round that restarts JavaScript does not also kill the agent, so the restart happens.
    const kill = plan.jsRestart === 'none' ? this.pacing.killPlan(op, plan.kills[0]!, stop.horizon) : ({ kind: 'none' } as const);
    const started = performance.now();
    const timers: NodeJS.Timeout[] = [];
    const after = (ms: number, action: () => void): void => void timers.push(setTimeout(action, ms));
    let killed: KillPhase[] | undefined;
    const strike = (): void => {
      if (killed !== undefined) return;
      const phases = this.killSim();
      // Dead already: it crashed, which the round reports.
      if (phases.length === 0) return;
      killed = phases;
      stop.thaw();
      this.drawnKills++;
      for (const p of killed) this.phases[p]++;
    };
    let lines = 0;
    let events = 0;
    // Lines of the isolator starting an unmount: a cleanup's, the undo of a failed prepare, a pending one's
    // retry; with the plugin stopped, where prepares fail and leave undos, only those in the background.
    const counted = plan.interference === 'none' ? UNMOUNT_START : BACKGROUND_UNMOUNT_START;
    this.lineListener = (line) => {
      if (!counted.test(line)) return;
      lines++;
      if (kill.kind === 'after-line' && lines === kill.line) after(kill.ms, strike);
    };
    const watcher = watch(this.h.ws.stateDir, () => {
      if (kill.kind !== 'after-event' || ++events !== kill.event) return;
      if (kill.ms === 0) strike();
      else after(kill.ms, strike);
    });
    if (kill.kind === 'at') after(kill.ms, strike);
    const js = plan.jsRestart;
    const restarted = js === 'none' ? Promise.resolve() : new Promise<void>((resolve) => after(plan.jsRestartAt * stop.horizon, resolve)).then(() => this.restartJs(js));
    let answers: Answer[];
    try {
      answers = await Promise.all(act().map((p) => this.guarded(p, op)));
      await restarted;
      if (!this.sim!.killed) await this.converge();
    } finally {
      for (const t of timers) clearTimeout(t);
      watcher.close();
      this.lineListener = undefined;
      stop.thaw();
    }
    const crashed = answers.some((a) => a.died) && killed === undefined;
    const stats = this.h.stats(op);
    stats.runs++;
    if (killed) stats.killed++;
    if (answers.some((a) => !a.ok && !a.died)) stats.failed++;
    const outcome = answers.map((a) => (a.ok ? 'ok' : a.died ? 'died' : `failed: ${a.reason}`)).join('; ');
    this.h.describe(
      `${op} [${describeKill(kill, 'unmount start')}${killed ? ` (struck ${killed.join(', ')})` : ''}: ${outcome}], ${stop.description}, JavaScript restart ${plan.jsRestart}`,
    );
    const undisturbed = plan.interference === 'none' && plan.jsRestart === 'none' && killed === undefined;
    if (undisturbed && answers.every((a) => a.ok)) this.pacing.learn(op, performance.now() - started, lines, events);
    // Log lines and state changes also of runs with a stopped plugin, so kills reach the background work they leave.
    else if (killed === undefined) this.pacing.learnCounts(op, lines, events);
    if (undisturbed) for (const a of answers) if (!a.ok) this.h.note(`${op} failed: ${a.reason}`);
    return { answers, killed, crashed };
  }

  /** Has the fault bundle end JavaScript as drawn, and waits until the runtime restarts it (or a bound). */
  private async restartJs(kind: 'watchdog' | 'heap'): Promise<void> {
    this.injected[kind]++;
    const before = this.jsRestarts;
    await writeFile(this.faultFile, kind);
    const deadline = performance.now() + JS_RESTART_LIMIT_MS;
    while (this.jsRestarts === before && !this.sim!.killed && performance.now() < deadline) await new Promise((r) => setTimeout(r, CONVERGE_POLL_MS));
    // A fault not taken up must not strike a later round.
    await rm(this.faultFile, { force: true });
  }

  /**
   * After the round: a dead agent (killed, crashed, or whose start failed)
   * restarts and recovers, and so does one with a container whose destroy
   * failed (Mesos keeps it until then); a
   * state that does not converge gets one more restart, whose start retries
   * every pending unmount.
   */
  private async after(plan: RoundPlan, played: Played, suspects: string[]): Promise<RoundEnd> {
    const { answers, killed, crashed } = played;
    if (crashed) this.h.note(answers.find((a) => a.died)!.reason);
    if (killed || crashed || !this.sim!.running || answers.some((a) => a.destroyFailed)) await this.restart(plan.orphan ? 'orphans' : 'gone');
    if (!(await this.converge())) {
      await this.restart('gone');
      await this.converge();
    }
    const disturbed = killed !== undefined || crashed || plan.jsRestart !== 'none' || answers.some((a) => !a.ok);
    return { disturbed, suspects };
  }

  /** An undisturbed request that failed its destroy, or found the agent dead, needs the agent's restart. */
  private async settleFailure(a: Answer): Promise<void> {
    if (a.died || a.destroyFailed) await this.recover();
  }

  /** Kills the agent (if alive) and starts a new one until it has recovered; the model follows what it recovered. */
  private async restart(dead: 'gone' | 'orphans'): Promise<void> {
    if (this.sim) {
      this.killSim();
      await this.sim.exit();
    }
    for (let tries = 1; ; tries++) {
      const a = await this.boot(dead);
      if (a.ok) break;
      if (tries >= START_TRIES) throw new Error(`the agent does not start: ${a.reason}`);
    }
    this.follow();
  }

  /** Starts an agent life; a start that fails on the state lock held by nobody alive is a finding. */
  private async boot(dead: 'gone' | 'orphans'): Promise<Answer> {
    this.restarts++;
    this.sim = new SimProcess({
      files: this.files!,
      ws: this.h.ws,
      timeoutSeconds: this.timeoutSeconds,
      dead,
      faultFile: this.faultFile,
      onLine: (line) => {
        if (/restarting JavaScript/.test(line)) this.jsRestarts++;
        this.lineListener?.(line);
      },
    });
    const a = await this.guarded(this.sim.recovered, "the agent's start and recovery");
    if (!a.ok && !a.died) {
      if (/lock/i.test(a.reason)) await this.h.violation({ kind: 'locked', key: `locked:${this.sim.pid}`, message: `the agent could not start: ${a.reason}` });
      else this.h.note(`the agent's start failed: ${a.reason}`);
    }
    return a;
  }

  /** The containers Mesos believes alive are those the agent recovered. */
  private follow(): void {
    const { model } = this.h;
    model.live.clear();
    for (const id of this.sim!.alive) {
      const c = model.sandboxes.get(id);
      if (c) model.live.set(id, c);
      else this.h.note(`the agent recovered ${id}, which the run does not know`);
    }
  }

  private killSim(): KillPhase[] {
    return this.sim!.kill(this.h.ws.stateDir);
  }

  /** An answer within the run's limit; past it the agent is killed and the request counted as hung. */
  private async guarded(request: Promise<Answer>, what: string): Promise<Answer> {
    const sim = this.sim!;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), this.h.limitMs)));
    const a = await Promise.race([request, limit]);
    clearTimeout(timer);
    if (a !== 'hung') return a;
    await this.h.violation({ kind: 'hung', key: `hung:${sim.pid}:${what}`, message: `${what} got no answer within ${this.h.limitMs} ms; the agent was killed` });
    sim.kill(this.h.ws.stateDir);
    return request;
  }

  /** Waits until the state is what the model says (the invariants find nothing); false when it is not within a bound. */
  private async converge(): Promise<boolean> {
    const deadline = performance.now() + 2 * this.h.timeoutMs + 3_000;
    for (;;) {
      if (checkState(this.h.ws, await observe(this.h.ws), this.h.model).length === 0) return true;
      if (this.sim!.killed || performance.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, CONVERGE_POLL_MS));
    }
  }
}
