import { processAlive } from '../../src/util/process-alive.js';
import type { ChaosAgent, Harness, RoundEnd } from './agent.js';
import { reason, runCommand, type Outcome } from './command.js';
import { Disruptor } from './disruptor.js';
import { envArgs, type Container } from './model.js';
import type { Op, RoundPlan } from './plan.js';
import { DRIVER } from './workspace.js';

/** The isolator through the `dvdi` CLI: each call its own process, each killed as drawn. */
export class CliAgent implements ChaosAgent {
  readonly via = 'cli';
  readonly converges = false;
  private readonly disruptor: Disruptor;
  private readonly flags: string[];

  constructor(
    private readonly h: Harness,
    timeoutSeconds: number,
  ) {
    this.flags = h.ws.cliFlags(timeoutSeconds);
    this.disruptor = new Disruptor(h.plugin, h.ws.stateDir, h.timeoutMs, h.limitMs);
  }

  async start(): Promise<void> {}

  /** Prepares new containers at once. */
  async prepare(op: Op, plan: RoundPlan, containers: readonly Container[]): Promise<RoundEnd> {
    const outcomes = await this.operate(op, plan, containers.map((c) => this.prepareArgs(c)));
    let killed = false;
    const suspects: string[] = [];
    for (const [i, c] of containers.entries()) {
      const o = outcomes[i]!;
      if (o.killed) {
        killed = true;
        // Issue 6 §1: a prepare killed while the plugin hung could leave its volumes blocked.
        if (plan.interference !== 'none') suspects.push(...c.volumes);
      } else if (o.status === 0) {
        this.h.model.live.set(c.id, c);
      } else {
        // The containerizer destroys a container whose prepare failed, which cleans it up.
        await this.destroy(c.id);
      }
    }
    // The agent died: it restarts and recovers; a container whose prepare was killed never ran.
    if (killed) await this.recover();
    return { disturbed: killed || outcomes.some((o) => o.status !== 0), suspects };
  }

  async cleanup(plan: RoundPlan, victim: Container): Promise<RoundEnd> {
    const [o] = await this.operate('cleanup', plan, [this.cleanupArgs(victim.id)]);
    if (o!.killed) {
      // The agent died while destroying the container: on restart it is either an orphan, destroyed again, or already gone.
      if (plan.orphan) {
        await this.recoverWith([victim.id]);
        await this.destroy(victim.id);
      } else {
        await this.recover();
      }
    }
    return { disturbed: o!.killed || o!.status !== 0, suspects: [] };
  }

  async recoverOp(plan: RoundPlan): Promise<RoundEnd> {
    const [o] = await this.operate('recover', plan, [['recover', ...this.flags, ...this.aliveArgs()]]);
    if (o!.killed) await this.recover();
    else if (o!.status !== 0) this.h.note(`recover failed: ${reason(o!)}`);
    return { disturbed: o!.killed || o!.status !== 0, suspects: [] };
  }

  async launch(c: Container): Promise<string | undefined> {
    const o = await this.command(this.prepareArgs(c), false);
    return o.status === 0 ? undefined : reason(o);
  }

  async destroy(containerId: string): Promise<void> {
    await this.command(this.cleanupArgs(containerId));
  }

  async recover(): Promise<void> {
    await this.recoverWith([]);
  }

  async forget(volume: string): Promise<void> {
    await this.command(['forget', ...this.flags, '--driver', DRIVER, '--name', volume]);
  }

  summary(): string[] {
    return [];
  }

  async stop(): Promise<void> {}

  private prepareArgs(c: Container): string[] {
    return ['prepare', ...this.flags, '--container-id', c.id, '--directory', c.sandbox, ...envArgs(c)];
  }

  private cleanupArgs(containerId: string): string[] {
    return ['cleanup', ...this.flags, '--container-id', containerId];
  }

  private aliveArgs(): string[] {
    return this.h.model.aliveIds().flatMap((id) => ['--alive', id]);
  }

  /** The agent's recovery: every container Mesos believes alive is named, plus orphans. */
  private async recoverWith(orphans: readonly string[]): Promise<void> {
    await this.command(['recover', ...this.flags, ...this.aliveArgs(), ...orphans.flatMap((id) => ['--orphan', id])]);
  }

  /** Runs the round's commands as drawn (see Disruptor), counts them and checks what they say. */
  private async operate(op: Op, plan: RoundPlan, commands: readonly string[][]): Promise<Outcome[]> {
    const { outcomes, description } = await this.disruptor.run(op, plan, commands);
    const stats = this.h.stats(op);
    stats.runs++;
    if (outcomes.some((o) => o.killed)) stats.killed++;
    if (outcomes.some((o) => !o.killed && o.status !== 0)) stats.failed++;
    this.h.describe(description);
    for (const o of outcomes) await this.checkCommand(o, outcomes);
    if (plan.interference === 'none') {
      for (const o of outcomes) if (!o.killed && o.status !== 0) this.h.note(`${op} failed: ${reason(o)}`);
    }
    return outcomes;
  }

  /** A command after a kill (recovery, cleanup, probe): never killed, bounded by a generous limit. */
  private async command(args: readonly string[], failureIsNews = true): Promise<Outcome> {
    const o = await runCommand({ args, kill: { kind: 'none' }, limitMs: this.h.limitMs, stateDir: this.h.ws.stateDir });
    await this.checkCommand(o, [o]);
    if (failureIsNews && !o.hung && o.status !== 0) this.h.note(`${args[0]} failed: ${reason(o)}`);
    return o;
  }

  /** A command that hung, or failed on a lock no live command of this round holds. */
  private async checkCommand(o: Outcome, peers: readonly Outcome[]): Promise<void> {
    if (o.hung) await this.h.violation({ kind: 'hung', key: `hung:${o.pid}`, message: `dvdi did not finish within ${this.h.limitMs} ms and was killed` });
    if (o.killed || o.status === 0 || !/lock/i.test(reason(o))) return;
    const holder = Number(/process (\d+)/.exec(reason(o))?.[1]);
    const busy = Number.isInteger(holder) && holder > 0 && (peers.some((p) => p.pid === holder) || processAlive(holder));
    if (busy) return;
    await this.h.violation({ kind: 'locked', key: `locked:${o.pid}`, message: `the state stayed locked: ${reason(o)}` });
  }
}
