import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { exited } from '../helpers/process.js';
import type { Container } from './model.js';
import { DRIVER, type ChaosWorkspace } from './workspace.js';

/** What a `kill -9` of the agent interrupted; a kill may land in several at once. */
export const KILL_PHASES = ['prepare', 'cleanup', 'recover', 'background undo', 'pending retry', 'checkpoint write', 'idle'] as const;
export type KillPhase = (typeof KILL_PHASES)[number];

/** A request's answer, or the agent's death before it. */
export interface Answer {
  readonly ok: boolean;
  /** Why it failed. */
  readonly reason: string;
  readonly died: boolean;
  /** Its destroy failed: the container stays with the agent until the agent restarts, as in Mesos. */
  readonly destroyFailed: boolean;
}

interface Waiter {
  phase: KillPhase;
  /** A failed launch, waiting for its destroy. */
  launchFailure?: string;
  readonly answer: (a: Answer) => void;
}

const OK: Answer = { ok: true, reason: '', died: false, destroyFailed: false };

export interface SimFiles {
  /** dvdi-agent-sim */
  readonly sim: string;
  readonly library: string;
  /** The runtime's bundle: the isolator wrapped by js-fault-bundle.cjs. */
  readonly bundle: string;
  readonly isolatorBundle: string;
}

export interface SimStart {
  readonly files: SimFiles;
  readonly ws: ChaosWorkspace;
  readonly timeoutSeconds: number;
  /** What the restarted agent makes of checkpointed containers whose process died. */
  readonly dead: 'gone' | 'orphans';
  /** Where the fault bundle looks for a JavaScript restart to set off. */
  readonly faultFile: string;
  /** Every line the agent prints, as it comes. */
  readonly onLine: (line: string) => void;
}

const LOG = /^ {6}(?:WARN |ERROR )?log: (.*)$/;
const UNDO_REASON = /rollback of a failed prepare|the mount may have completed/;
const UNMOUNT_END = /^(unmounted volume|unmount failed|unmount was refused)/;
const VOLUME = / volume=(\S+)/;
/** The agent's most recent lines, kept for the message of a failed start. */
const KEPT_LINES = 20;

/**
 * One life of `dvdi-agent-sim agent serve`: the agent with the runtime
 * embedded, started, recovered and then taking launches and destroys, each
 * served on its own thread. Follows from the isolator's log what it is doing
 * in the background, so a kill can say what it interrupted.
 */
export class SimProcess {
  /** Containers alive after its recovery. */
  alive: string[] = [];
  /** Its recovery at start, or its failure. */
  readonly recovered: Promise<Answer>;
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, Waiter>();
  private recovering = true;
  private killedHere = false;
  private readonly undos = new Set<string>();
  private readonly unmounting = new Map<string, KillPhase>();
  private readonly recent: string[] = [];

  constructor(private readonly start: SimStart) {
    const { files, ws, timeoutSeconds, dead } = start;
    const t = String(timeoutSeconds);
    const params = {
      bundle: files.bundle,
      checkpoint: ws.checkpoint,
      mounter: 'plugin',
      plugin_dirs: ws.socketDir,
      mount_timeout: t,
      unmount_timeout: t,
      // Little room above what the isolator uses, so a hoarding fault reaches it soon. The watchdog keeps its
      // default: a loaded host may take seconds to start the bundle.
      heap_limit: '64',
    };
    const args = ['--runtime', files.library, '--work', ws.root, '--driver', DRIVER, '--dead', dead];
    for (const [k, v] of Object.entries(params)) args.push('--param', `${k}=${v}`);
    this.child = spawn(files.sim, [...args, 'agent', 'serve'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, DVDI_CHAOS_ISOLATOR: files.isolatorBundle, DVDI_CHAOS_FAULT: start.faultFile },
    });
    // The agent may die with requests unwritten.
    this.child.stdin!.on('error', () => undefined);
    let ready!: (a: Answer) => void;
    this.recovered = new Promise((resolve) => (ready = resolve));
    void this.recovered.then(() => (this.recovering = false));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.seen(line, ready));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.keep(line));
    void exited(this.child).then(({ code, signal }) => {
      const why = this.killedHere ? 'the agent was killed' : `the agent exited by itself (${signal ?? `exit ${code}`}): ${this.recent.join(' | ')}`;
      const died = { ok: false, reason: why, died: true, destroyFailed: false };
      ready(died);
      for (const w of this.waiting.values()) w.answer(died);
      this.waiting.clear();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get killed(): boolean {
    return this.killedHere;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  launch(c: Container): Promise<Answer> {
    // Values have no spaces: the agent reads a request as words.
    return this.request(c.id, 'prepare', `launch ${c.id} ${c.env.join(' ')}`);
  }

  destroy(containerId: string): Promise<Answer> {
    return this.request(containerId, 'cleanup', `destroy ${containerId}`);
  }

  /** kill -9; returns what it interrupted. */
  kill(stateDir: string): KillPhase[] {
    if (this.killedHere || !this.running) return [];
    const phases = new Set<KillPhase>([...this.waiting.values()].map((w) => w.phase));
    if (this.recovering) phases.add('recover');
    for (const p of this.unmounting.values()) phases.add(p);
    if (readdirSync(stateDir).some((n) => n.includes('.tmp-'))) phases.add('checkpoint write');
    this.killedHere = true;
    this.child.kill('SIGKILL');
    return phases.size > 0 ? [...phases] : ['idle'];
  }

  async exit(): Promise<void> {
    await exited(this.child);
  }

  /** Ends the life cleanly (end of input: requests finish, the runtime stops), killing it if it does not end in time. */
  async end(limitMs: number): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), limitMs);
    await exited(this.child);
    clearTimeout(timer);
  }

  private request(id: string, phase: KillPhase, line: string): Promise<Answer> {
    return new Promise((answer) => {
      if (!this.running) return answer({ ok: false, reason: 'the agent is dead', died: true, destroyFailed: false });
      this.waiting.set(id, { phase, answer });
      this.child.stdin!.write(`${line}\n`);
    });
  }

  private seen(line: string, ready: (a: Answer) => void): void {
    this.keep(line);
    this.start.onLine(line);
    const log = LOG.exec(line)?.[1];
    if (log !== undefined) return this.follow(log);
    const [mark, verb, id, ...rest] = line.split(' ');
    if (mark !== '=') return;
    if (verb === 'recovered') {
      this.alive = [id, ...rest].filter((x): x is string => x !== undefined && x !== '');
      return ready(OK);
    }
    if (verb === 'failed') return ready({ ok: false, reason: [id, ...rest].join(' '), died: false, destroyFailed: false });
    const waiter = this.waiting.get(id!);
    if (waiter === undefined) return;
    const reason = rest.join(' ');
    if (verb === 'launch-failed') {
      // Its destroy follows, as part of the same launch.
      waiter.launchFailure = reason;
      waiter.phase = 'cleanup';
      return;
    }
    this.waiting.delete(id!);
    const launch = waiter.launchFailure;
    if (verb === 'launched' || (verb === 'destroyed' && launch === undefined)) waiter.answer(OK);
    else if (verb === 'destroyed') waiter.answer({ ok: false, reason: launch!, died: false, destroyFailed: false });
    else waiter.answer({ ok: false, reason: launch === undefined ? reason : `${launch}; its destroy failed: ${reason}`, died: false, destroyFailed: true });
  }

  /** Background unmounts from the isolator's log: an undo of a failed prepare, or the retry of a pending unmount. */
  private follow(log: string): void {
    const volume = VOLUME.exec(log)?.[1];
    if (/restarting JavaScript/.test(log)) this.unmounting.clear();
    if (volume === undefined) return;
    if (log.startsWith('volume will be unmounted in the background') && UNDO_REASON.test(log)) this.undos.add(volume);
    else if (log.startsWith('retrying pending unmount')) this.unmounting.set(volume, this.undos.has(volume) ? 'background undo' : 'pending retry');
    else if (UNMOUNT_END.test(log)) {
      this.unmounting.delete(volume);
      this.undos.delete(volume);
    }
  }

  private keep(line: string): void {
    this.recent.push(line);
    if (this.recent.length > KEPT_LINES) this.recent.shift();
  }
}

/**
 * Kills the container processes of the agent working in `work` (dvdi-agent-sim
 * marks them in their environment): one container's, as its task ends, or
 * all of them for a run that ends early, whose mount namespaces would keep
 * the volumes' filesystems alive.
 */
export async function killContainers(work: string, containerId?: string): Promise<void> {
  const marks = [`\0DVDI_SIM_AGENT_WORK=${work}\0`, ...(containerId === undefined ? [] : [`\0DVDI_SIM_CONTAINER_ID=${containerId}\0`])];
  const killed: string[] = [];
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const environment = `\0${await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '')}`;
    if (!marks.every((m) => environment.includes(m))) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  // Dead once gone or a zombie (whoever reaps it), as the agent tells.
  const running = async (pid: string) => !/^\S+ \(.*\) Z/.test(await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '0 () Z'));
  for (const pid of killed) while (await running(pid)) await new Promise((r) => setTimeout(r, 10));
}
