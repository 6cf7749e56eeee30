import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings.js';
import { shellQuote } from '../core/commands.js';
import type { Isolator, PrepareResult } from '../core/isolator.js';
import type { Logger } from '../core/ports.js';
import { LineLogger } from '../log/logger.js';
import { readMountInfo, mountsUnder } from '../plugin/server/mountinfo.js';
import { startPluginServer, type PluginServer } from '../plugin/server/server.js';
import { openEngine, type Engine } from '../runtime/engine.js';
import { runProgram } from '../util/run-program.js';
import { one, parseArgs, UsageError } from './args.js';
import type { Io } from './common.js';

const PLUGIN = 'dvdi-demo';
const STEP_TIMEOUT_MS = 60_000;

interface Report {
  readonly io: Io;
  readonly checks: Array<{ what: string; ok: boolean }>;
}

interface Scene extends Report {
  readonly work: string;
  readonly isolator: Isolator;
}

function check(report: Report, what: string, ok: boolean): void {
  report.checks.push({ what, ok });
  report.io.stdout(`    ${ok ? 'ok  ' : 'FAIL'} ${what}\n`);
}

/**
 * Runs the prepare's commands in a new mount namespace, as the Mesos launcher
 * does (`os::system` as root before exec), followed by the task's own work.
 * The shell here runs dvdi's own quoted commands, never raw task values.
 */
async function inContainer(prepared: PrepareResult, task: string): Promise<string> {
  const script = [...prepared.commands, task].join(' && ');
  const r = await runProgram('unshare', ['--mount', '--propagation', 'unchanged', '--', '/bin/sh', '-c', script], {
    timeoutMs: STEP_TIMEOUT_MS,
  });
  if (r.code !== 0) throw new Error(`container ${prepared.containerId}: ${script}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout.trim();
}

async function prepare(scene: Scene, containerId: string, env: Record<string, string>): Promise<PrepareResult> {
  const sandbox = path.join(scene.work, 'sandboxes', containerId);
  await mkdir(sandbox, { recursive: true });
  const vars = Object.entries(env);
  scene.io.stdout(`\n  prepare ${containerId}  ${vars.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
  const result = await scene.isolator.prepare({ containerId, environment: vars, directory: sandbox });
  for (const m of result.mounts) {
    scene.io.stdout(`    ${m.driver}/${m.name} at ${m.mountpoint} ${m.shared ? '(shared, already mounted)' : '(mounted now)'} -> ${m.containerPath}\n`);
  }
  return result;
}

async function cleanup(scene: Scene, containerId: string): Promise<void> {
  const released = await scene.isolator.cleanup(containerId);
  const what = released.map((r) => `${r.volume.name} ${r.unmounted ? 'unmounted' : 'still in use'}`).join(', ');
  scene.io.stdout(`  cleanup ${containerId}: ${what}\n`);
}

async function isMounted(p: string): Promise<boolean> {
  return (await readMountInfo()).some((e) => e.mountPoint === p);
}

async function scenario(scene: Scene): Promise<void> {
  const shared = { DVDI_VOLUME_DRIVER: PLUGIN, DVDI_VOLUME_NAME: 'shared', DVDI_VOLUME_OPTS: 'size=64M', DVDI_VOLUME_CONTAINERPATH: 'data' };
  const web1 = await prepare(scene, 'web-1', shared);
  const web2 = await prepare(scene, 'web-2', shared);
  const db1 = await prepare(scene, 'db-1', {
    DVDI_VOLUME_DRIVER: PLUGIN,
    DVDI_VOLUME_NAME: 'private',
    DVDI_VOLUME_OPTS: 'size=64M,newfstype=ext4',
    DVDI_VOLUME_CONTAINERPATH: 'db',
  });
  check(scene, 'two containers share one mount of "shared"', web1.mounts[0]!.mountpoint === web2.mounts[0]!.mountpoint && web2.mounts[0]!.shared);

  scene.io.stdout('\n  inside the containers (each its own mount namespace, binds from the returned commands)\n');
  const note = `written by web-1 at ${new Date().toISOString()}`;
  const target1 = web1.mounts[0]!.containerPath;
  await inContainer(web1, `echo ${shellQuote(note)} > ${shellQuote(`${target1}/hello.txt`)}`);
  const seen = await inContainer(web2, `cat ${shellQuote(`${web2.mounts[0]!.containerPath}/hello.txt`)}`);
  check(scene, `web-2 reads what web-1 wrote: "${seen}"`, seen === note);
  const dbLine = await inContainer(db1, `echo rows > ${shellQuote(`${db1.mounts[0]!.containerPath}/table`)} && df -P ${shellQuote(db1.mounts[0]!.containerPath)} | tail -n 1`);
  check(scene, `db-1 writes to its own volume (${dbLine.split(/\s+/)[0]})`, dbLine !== '');
  check(scene, 'binds stayed inside the namespaces (none on the host)', !(await isMounted(target1)));

  scene.io.stdout('\n');
  await cleanup(scene, 'web-1');
  check(scene, '"shared" stays mounted while web-2 uses it', await isMounted(web1.mounts[0]!.mountpoint));
  await cleanup(scene, 'web-2');
  await cleanup(scene, 'db-1');
  check(scene, 'every volume is unmounted after its last user', scene.isolator.status().length === 0 && !(await isMounted(web1.mounts[0]!.mountpoint)));

  const web3 = await prepare(scene, 'web-3', shared);
  const again = await inContainer(web3, `cat ${shellQuote(`${web3.mounts[0]!.containerPath}/hello.txt`)}`);
  check(scene, 'the data survived unmount and a new mount', again === note);
  await cleanup(scene, 'web-3');
}

async function leftovers(work: string): Promise<string[]> {
  const mounts = mountsUnder(await readMountInfo(), work).map((e) => e.mountPoint);
  const loops = await runProgram('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE'], { timeoutMs: STEP_TIMEOUT_MS });
  const attached = loops.stdout.split('\n').filter((l) => l.includes(work));
  return [...mounts, ...attached];
}

/** Logs go to the demo's output, indented, so a reader sees each decision where it happens. */
function demoLogger(io: Io): Logger {
  return new LineLogger((level, line) => io.stdout(`      ${level === 'INFO' ? '' : `${level} `}log: ${line}\n`));
}

/**
 * `dvdi demo`: the main job. A real scenario on this machine with no cluster:
 * dvdi's loop-device volume plugin, the isolator engine with the plugin
 * mounter, and real mount namespaces.
 */
export async function runDemo(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { backend: { value: true }, quiet: { value: false } });
  const backend = one(args, 'backend') ?? (process.getuid?.() === 0 ? 'loop' : 'dir');
  if (backend !== 'loop' && backend !== 'dir') throw new UsageError('--backend must be loop or dir');
  const work = await mkdtemp(path.join(tmpdir(), 'dvdi-demo-'));
  const logger: Logger = one(args, 'quiet') ? new LineLogger(() => undefined) : demoLogger(io);
  io.stdout(`dvdi demo: a real volume plugin, the isolator engine and mount namespaces on this machine\n  work directory ${work}\n`);

  let plugin: PluginServer | undefined;
  let engine: Engine | undefined;
  const report: Report = { io, checks: [] };
  let failure: unknown;
  try {
    plugin = await startPluginServer({
      name: PLUGIN,
      socketPath: path.join(work, 'plugins', `${PLUGIN}.sock`),
      root: path.join(work, 'plugin-root'),
      backend,
      logger,
    });
    io.stdout(`  volume plugin "${PLUGIN}" (${backend} backend) listening on ${plugin.socketPath}\n`);
    const settings: Settings = {
      ...DEFAULT_SETTINGS,
      checkpointFile: path.join(work, 'checkpoint', 'dvdimounts.pb'),
      mounter: 'plugin',
      socketDirs: [path.join(work, 'plugins')],
      specDirs: [],
    };
    engine = await openEngine(settings, logger);
    await engine.isolator.recover([], []);
    await scenario({ ...report, work, isolator: engine.isolator });
  } catch (e) {
    failure = e;
    io.stdout(`\n  FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
  } finally {
    if (engine) {
      // Whatever the scenario left (after a failure) is released like an agent recovering with no live containers.
      await engine.isolator.recover([], []).catch(() => undefined);
      await engine.mounter.close();
    }
    await plugin?.close();
  }
  const leaks = await leftovers(work);
  check(report, `nothing left mounted or attached${leaks.length ? `: ${leaks.join(', ')}` : ''}`, leaks.length === 0);
  // With leaks the work directory stays, so an operator can look at what was left.
  if (leaks.length === 0) await rm(work, { recursive: true, force: true });

  const passed = report.checks.filter((c) => c.ok).length;
  const failed = report.checks.length - passed;
  io.stdout(`\nsummary: ${passed} checks passed, ${failed} failed${failure ? ', scenario aborted' : ''}\n`);
  return failure || failed > 0 ? 1 : 0;
}
