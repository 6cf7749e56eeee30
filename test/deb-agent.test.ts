/**
 * The Debian package in a real Mesos 0.27.2 agent: on a plain Debian 12
 * root (see deb-install.test.ts) with the package of a module built against
 * the agent's tree (make isolator, then make deb's script), the agent's
 * own run-time libraries from Debian (the packages of the host libraries it
 * links, found with ldd and dpkg -S) and its build tree bound in. The agent
 * runs in the root with the settings `dvdi agent-setup` prints and the
 * package's modules file as installed: mounter=dvdcli through the package's
 * /usr/bin/dvdcli, against the package's own loop-device plugin server.
 * It loads the module from /usr/lib/dvdi; a task's volume stays mounted
 * across an upgrade to a newer build and the agent's restart; remove keeps
 * the checkpoint. The master and mesos-execute run on the host.
 *
 * Runs when MESOS_TREES (see mesos-shim.test.ts) holds a fully built 0.27.2
 * and the runtime library is built; needs deb.debian.org. Skipped otherwise.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/cli.js';
import { buildDeb, debFile } from './helpers/deb.js';
import { DebianRoot, type Ran } from './helpers/debian-root.js';
import { tempRoot } from './helpers/harness.js';
import { cleanupUnder } from './helpers/loop-cleanup.js';
import { builtFile } from './helpers/native-build.js';
import { exited, freePorts, stopChild } from './helpers/process.js';

const ROOT = path.resolve('.');
const MESOS = '0.27.2';
const TREES = process.env.MESOS_TREES;
const BUILD = TREES === undefined ? '' : path.join(TREES, 'build', MESOS);
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NEWER = `${VERSION}+1`;
const CONFIG = '/etc/mesos-slave/dvdi-mod.json';
/** Where the package's plugin server keeps its volumes, in the root. */
const VOLUMES = '/var/lib/dvdi-plugin';

function runtimeBuilt(): boolean {
  try {
    builtFile('libdvdi_runtime.so');
    return true;
  } catch {
    return false;
  }
}

const why = TREES === undefined
  ? 'MESOS_TREES is not set'
  : !existsSync(path.join(BUILD, 'src/.libs', `libmesos-${MESOS}.so`))
    ? `no fully built ${MESOS} agent under ${TREES}`
    : runtimeBuilt() ? '' : 'the runtime library (libdvdi_runtime.so) is not built';

/** The Debian packages holding the host libraries the agent's programs load (all but its own). */
function agentPackages(): string[] {
  const libraries = new Set<string>();
  for (const program of ['mesos-slave', 'mesos-executor', 'mesos-containerizer']) {
    // As the libtool wrapper runs it: libmesos from the build tree.
    const ldd = spawnSync('ldd', [path.join(BUILD, 'src/.libs', program)], {
      encoding: 'utf8',
      env: { ...process.env, LD_LIBRARY_PATH: path.join(BUILD, 'src/.libs') },
    });
    expect(ldd.status, ldd.stderr).toBe(0);
    for (const [, file] of ldd.stdout.matchAll(/=> (\/\S+)/g)) {
      const real = realpathSync(file!);
      if (!real.startsWith(`${BUILD}/`)) libraries.add(real);
    }
  }
  return [...new Set([...libraries].map((file) => {
    // Debian 12 packages list a library under /usr/lib or /lib: ask for both.
    const owner = spawnSync('dpkg', ['-S', file, file.replace(/^\/usr\//, '/')], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
    expect(owner, `the package of ${file}`).toMatch(/^\S+: /);
    return owner.split(':')[0]!;
  }))].sort();
}

/** Text of a log file, '' until it exists. */
const text = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** Every sandbox's stderr under the root's agent work directory, for a failure's message. */
function sandboxErrors(system: string): string {
  const runs = path.join(system, 'var/lib/mesos');
  if (!existsSync(runs)) return '';
  return readdirSync(runs, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith(`${path.sep}stderr`))
    .map((p) => `${p}:\n${text(path.join(runs, p))}`)
    .join('\n');
}

/** Starts a host program with its output in `log`. */
function startLogged(program: string, args: readonly string[], log: string): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(program, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  void exited(child).catch(() => undefined);
  return child;
}

describe.skipIf(why === '')(`the Debian package in a real Mesos ${MESOS} agent`, () => {
  it.skip(`skipped: ${why}`, () => {});
});

describe.runIf(why === '')(`the Debian package in a real Mesos ${MESOS} agent`, () => {
  let work: string;
  let system: string;
  let debian: DebianRoot;
  let master = '';
  let agentPort = 0;
  let agent: ChildProcess;
  let agentLog: string;
  const hostChildren: ChildProcess[] = [];

  const ok = (r: Ran): Ran => {
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    return r;
  };
  const run = async (...args: string[]): Promise<Ran> => ok(await debian.run(args));
  const inSystem = (p: string): string => path.join(system, p);
  const installed = async (name: string): Promise<string> =>
    (await debian.run(['dpkg-query', '-W', '-f=${db:Status-Abbrev}${Version}', name])).stdout.trim();

  /** The agent in the root, as its settings files say (what the package's operator writes there). */
  const startAgent = (): ChildProcess => {
    const setting = (name: string) => readFileSync(inSystem(`etc/mesos-slave/${name}`), 'utf8').trim();
    const fd = openSync(agentLog, 'a');
    const child = debian.start([path.join(BUILD, 'src/mesos-slave'),
      `--master=${master}`, '--ip=127.0.0.1', '--hostname=localhost', `--port=${agentPort}`, '--work_dir=/var/lib/mesos',
      `--launcher_dir=${path.join(BUILD, 'src')}`, '--resources=cpus:2;mem:1024;disk:1024', '--recover=reconnect',
      '--systemd_enable_support=false', `--modules=${setting('modules')}`, `--isolation=${setting('isolation')}`,
    ], ['ignore', fd, fd]);
    closeSync(fd);
    return child;
  };
  const lives = (): number => text(agentLog).split('Finished recovery').length;
  /** Which dvdi files a running agent has mapped, as paths in the root. */
  const mapped = (child: ChildProcess): string[] =>
    [...new Set(readFileSync(`/proc/${child.pid!}/maps`, 'utf8').split('\n')
      .flatMap((l) => /(\/usr\/lib\/(?:dvdi\/\S+|x86_64-linux-gnu\/libnode\S*))$/.exec(l)?.[1] ?? []))].sort();

  beforeAll(async () => {
    work = realpathSync(tempRoot('dvdi-deb-agent-'));
    system = path.join(work, 'debian');
    agentLog = path.join(work, 'agent.log');
    debian = new DebianRoot(system);
    // The module against the agent's tree, then the package and a newer build of it.
    const packages = (async () => {
      await promisify(execFile)('make', ['-s', 'isolator'], {
        cwd: ROOT,
        env: { ...process.env, MESOS_VERSION: MESOS, MESOS_SRC: path.join(TREES!, 'src', MESOS), MESOS_BUILD: BUILD, DVDI_MODULE_DIR: work },
      });
      await buildDeb(work, MESOS);
      await buildDeb(work, MESOS, { DEB_VERSION: NEWER });
    })();
    const made = await debian.make();
    expect(made.status, made.stderr).toBe(0);
    await packages;
    for (const version of [VERSION, NEWER]) copyFileSync(debFile(work, MESOS, version), inSystem(`tmp/${path.basename(debFile(work, MESOS, version))}`));
    await debian.open([BUILD]);
    await run('apt-get', 'update', '-q');
    // The agent's libraries, the plugin server's mkfs.ext4, and a host's init: a 0.27 agent
    // aborts at start where /sbin/init is missing (its systemd::exists()).
    await run('apt-get', 'install', '-y', '-q', '--no-install-recommends', ...agentPackages(), 'e2fsprogs', 'systemd-sysv');
    const [masterPort, port] = await freePorts(2);
    master = `127.0.0.1:${masterPort!}`;
    agentPort = port!;
    hostChildren.push(startLogged(path.join(BUILD, 'src/mesos-master'), [
      '--ip=127.0.0.1', `--port=${masterPort!}`, `--work_dir=${path.join(work, 'master')}`, '--registry=in_memory',
    ], path.join(work, 'master.log')));
  }, 1_200_000);

  afterAll(async () => {
    for (const child of hostChildren.reverse()) await stopChild(child, 'SIGTERM');
    if (debian !== undefined) await debian.close();
    // The plugin's loop devices outlive its mount namespace.
    if (work !== undefined) await cleanupUnder(system);
    if (debian !== undefined) await debian.remove();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  }, 300_000);

  it('installs with apt-get, is set up as dvdi agent-setup says, and dvdi doctor says ready with the plugin', async () => {
    await run('apt-get', 'install', '-y', '-q', `/tmp/${path.basename(debFile(work, MESOS, VERSION))}`);
    debian.start(['dvdi', 'plugin', 'serve', '--name', 'rexray', '--socket', '/run/docker/plugins/rexray.sock', '--root', VOLUMES], 'ignore');
    await waitFor(() => existsSync(inSystem('run/docker/plugins/rexray.sock')), 'the plugin socket', 60_000);
    // The operator's two lines, as printed.
    const lines = (await run('dvdi', 'agent-setup')).stdout.split('\n').filter((l) => l.startsWith('  echo '));
    expect(lines).toHaveLength(2);
    for (const line of lines) await run('sh', '-c', line.trim());
    const doctor = await run('dvdi', 'doctor', '--config', CONFIG);
    expect(doctor.stdout).toMatch(/^\[ ok \] plugin rexray .*: activated/m);
    expect(doctor.stdout).toMatch(/\nverdict: ready/);
  }, 300_000);

  it('the agent loads the module from the package\'s files, on Debian\'s libnode', async () => {
    agent = startAgent();
    await waitFor(() => text(agentLog).includes('Registered with master'), 'the agent to register', 180_000);
    expect(text(agentLog)).toMatch(/dvdi: /);
    expect(text(agentLog)).not.toContain('Error creating Module instance');
    expect(mapped(agent)).toEqual([
      '/usr/lib/dvdi/libdvdi_runtime.so', `/usr/lib/dvdi/libmesos_dvdi_isolator-${MESOS}.so`, '/usr/lib/x86_64-linux-gnu/libnode.so.108',
    ]);
  }, 300_000);

  it('keeps a live task\'s volume across an upgrade to a newer build and the agent\'s restart, and unmounts it after the task', async () => {
    const log = path.join(work, 'execute.log');
    // Numbers: mesos-execute of 0.2x releases JSON-stringifies --env values.
    const execute = startLogged(path.join(BUILD, 'src/mesos-execute'), [
      `--master=${master}`, '--name=dvdi-deb', '--resources=cpus:0.1;mem:32', '--checkpoint',
      '--command=echo before > 42/f && while [ ! -e /tmp/stop-task ]; do sleep 1; done && cat 42/f',
      `--env=${JSON.stringify({ DVDI_VOLUME_NAME: 1001, DVDI_VOLUME_CONTAINERPATH: 42 })}`,
    ], log);
    hostChildren.push(execute);
    await waitFor(() => /TASK_(RUNNING|FAILED|LOST|ERROR)/.test(text(log)), 'the task to run', 120_000);
    expect(text(log), `${text(log)}\n${text(agentLog).split('\n').filter((l) => l.includes('dvdi') || l.includes('Failed')).join('\n')}\n${sandboxErrors(system)}`).toContain('TASK_RUNNING');
    const mounted = debian.mountsUnder(VOLUMES);
    expect(mounted.length).toBeGreaterThan(0);

    await run('apt-get', 'install', '-y', '-q', `/tmp/${path.basename(debFile(work, MESOS, NEWER))}`);
    expect(await installed(`dvdi-mesos-${MESOS}`)).toBe(`ii ${NEWER}`);
    // An operator's restart (systemd's SIGTERM); the agent recovers the task.
    await stopChild(agent, 'SIGTERM');
    const before = lives();
    agent = startAgent();
    await waitFor(() => lives() > before, 'the agent to recover', 180_000);
    await waitFor(() => text(agentLog).includes('Re-registered with master'), 'the agent to re-register', 120_000);
    expect(debian.mountsUnder(VOLUMES)).toEqual(mounted);
    expect(mapped(agent)).toContain(`/usr/lib/dvdi/libmesos_dvdi_isolator-${MESOS}.so`);
    expect(JSON.parse((await run('dvdi', 'status', '--config', CONFIG, '--json')).stdout)).toMatchObject([{ driver: 'rexray', name: '1001' }]);

    writeFileSync(inSystem('tmp/stop-task'), '');
    await exited(execute);
    expect(text(log)).toContain('TASK_FINISHED');
    const runs = inSystem('var/lib/mesos');
    const stdout = readdirSync(runs, { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith(`${path.sep}stdout`));
    // Written before the upgrade, read back through the bind after it.
    expect(text(path.join(runs, stdout!))).toMatch(/^before$/m);
    await waitFor(() => debian.mountsUnder(VOLUMES).length === 0, 'the volume to be unmounted', 60_000);
  }, 600_000);

  it('remove keeps the checkpoint', async () => {
    await stopChild(agent, 'SIGTERM');
    const checkpoint = inSystem('run/mesos/isolators/mesos-module-dvdi/dvdimounts.pb');
    expect(existsSync(checkpoint)).toBe(true);
    await run('apt-get', 'remove', '-y', '-q', `dvdi-mesos-${MESOS}`);
    expect(existsSync(inSystem('usr/lib/dvdi'))).toBe(false);
    expect(existsSync(checkpoint)).toBe(true);
  }, 300_000);
});
