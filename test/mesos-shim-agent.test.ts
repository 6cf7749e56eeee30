/**
 * The isolator module in a real Mesos agent: a master, an agent of a fully
 * built release loading the module through dvdi-mod.json, and a command task
 * (mesos-execute) asking for a volume with a container path, against dvdi's
 * own volume plugin (`dvdi plugin serve`, mounter=plugin).
 *
 * Runs when MESOS_TREES (see mesos-shim.test.ts; here a colon-separated list of such
 * directories, e.g. one of agents built with the old std::string ABI) holds a fully built release
 * (build/VERSION/src/mesos-slave and its libmesos) and the runtime library is
 * built; skipped otherwise, saying why.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DVDCLI_ENTRY, dvdi, startDvdi, waitFor } from './helpers/cli.js';
import { cleanupUnder } from './helpers/loop-cleanup.js';
import { mountsUnder } from './helpers/mounts.js';
import { builtFile } from './helpers/native-build.js';
import { exited, freePorts, killAndWait, stopChild } from './helpers/process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TREES = process.env.MESOS_TREES;

function runtimeLibrary(): string | undefined {
  try {
    return builtFile('libdvdi_runtime.so');
  } catch {
    return undefined;
  }
}

/** A fully built agent: its release, the MESOS_TREES directory holding it, and its C++ ABI. */
interface Agent { version: string; trees: string; abi: 'cxx11' | 'gcc4' }
const libmesosOf = (trees: string, version: string): string => path.join(trees, 'build', version, 'src/.libs', `libmesos-${version}.so`);
const agents: Agent[] = TREES === undefined
  ? []
  : TREES.split(':').flatMap((trees) =>
      spawnSync(path.join(ROOT, 'versions/release.sh'), ['--list'], { encoding: 'utf8' }).stdout.trim().split('\n')
        .filter((version) => existsSync(libmesosOf(trees, version)))
        .map((version): Agent => ({
          version,
          trees,
          // As build-module.sh detects it: GCC 4.x and -D_GLIBCXX_USE_CXX11_ABI=0 builds name no std::__cxx11.
          abi: spawnSync('nm', ['-D', libmesosOf(trees, version)], { encoding: 'utf8', maxBuffer: 256 << 20 }).stdout.includes('__cxx11') ? 'cxx11' : 'gcc4',
        })));
const runtime = runtimeLibrary();
const why = TREES === undefined
  ? 'MESOS_TREES is not set'
  : agents.length === 0
    ? `no fully built agent (build/VERSION/src/.libs/libmesos-VERSION.so) under ${TREES}`
    : runtime === undefined ? 'the runtime library (libdvdi_runtime.so) is not built' : '';

/** SIGKILLs every process whose working directory is under `dir`, and waits until they are gone. */
async function killProcessesUnder(dir: string): Promise<void> {
  const inside = (): number[] =>
    readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
      try {
        const cwd = readlinkSync(`/proc/${p}/cwd`);
        return cwd === dir || cwd.startsWith(`${dir}/`) ? [Number(p)] : [];
      } catch {
        return [];
      }
    });
  for (const pid of inside()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  await waitFor(() => inside().length === 0, `the processes under ${dir} to end`, 30_000);
}

/** Text of a log file, '' until it exists. */
function text(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Starts a program with its output in `log`. */
function startLogged(program: string, args: string[], log: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(program, args, { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  // Its exit is recorded from the start: a task may end before the test waits for it.
  void exited(child).catch(() => undefined);
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child !== undefined) await stopChild(child, 'SIGTERM', 10_000);
}

describe('the module in a real Mesos agent', () => {
  if (why !== '') it.skip(`skipped: ${why}`, () => {});

  for (const { version, trees, abi } of why === '' ? agents : []) {
    describe(`Mesos ${version} (${abi} ABI)`, () => {
      const build = path.join(trees, 'build', version);
      const versionInt = Number(spawnSync(path.join(ROOT, 'versions/release.sh'), [version, 'version_int'], { encoding: 'utf8' }).stdout);
      /** Mesos 1.x: mesos-agent, filesystem/linux, plain --env strings. */
      const modern = versionInt >= 10000;
      let work: string;
      const children: ChildProcess[] = [];
      let agentLog: string;
      // Chosen free at the start, not fixed: another run on this host (another checkout, a real
      // Mesos) may hold any fixed port. The agent keeps its port across its restart.
      let master = '';
      let agentPort = 0;

      beforeAll(async () => {
        work = realpathSync(mkdtempSync(path.join(tmpdir(), `dvdi-agent-${version}-`)));
        const [masterPort, port] = await freePorts(2);
        master = `127.0.0.1:${masterPort!}`;
        agentPort = port!;
        agentLog = path.join(work, 'agent.log');
        // The module, ABI detected from the agent's own libmesos.
        // Asynchronous: a compile takes long enough to starve the test worker's event loop.
        const made = await promisify(execFile)('make', ['-s', 'isolator'], {
          cwd: ROOT,
          env: {
            ...process.env,
            MESOS_VERSION: version,
            MESOS_SRC: path.join(trees, 'src', version),
            MESOS_BUILD: build,
            DVDI_MODULE_DIR: work,
          },
        });
        // make isolator builds the rest first: npm's own notices aside, nothing may warn.
        expect(made.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('npm warn'))).toEqual([]);
        expect(made.stdout).toContain(`uses the ${abi} C++ ABI`);

        const sockets = path.join(work, 'plugins');
        // Named as the default driver: see startTask.
        children.push(startDvdi(['plugin', 'serve', '--name', 'rexray', '--socket', path.join(sockets, 'rexray.sock'), '--root', path.join(work, 'volumes')]));
        await waitFor(() => existsSync(path.join(sockets, 'rexray.sock')), 'the plugin socket');
        const config = dvdi([
          // make isolator's directory as built: the runtime library and bundle beside the module need no parameter.
          'module-config', '--library', path.join(work, `mesos-${version}`, `libmesos_dvdi_isolator-${version}.so`),
          '--param', 'mounter=plugin',
          '--param', `plugin_socket_dirs=${sockets}`,
          '--param', `plugin_spec_dirs=${sockets}`,
          '--param', `checkpoint=${path.join(work, 'dvdimounts.pb')}`,
          '--param', `docker_volume_checkpoint_dir=${path.join(work, 'docker-volume')}`,
        ]);
        expect(config.status).toBe(0);
        // Only the usual parameters: the module finds the runtime library and the bundle beside itself.
        const modules = JSON.parse(config.stdout) as { libraries: Array<{ modules: Array<{ parameters: Array<{ key: string }> }> }> };
        const module = modules.libraries[0]!.modules[0]!;
        module.parameters = module.parameters.filter((p) => p.key !== 'runtime_library' && p.key !== 'bundle');
        writeFileSync(path.join(work, 'dvdi-mod.json'), JSON.stringify(modules));

        children.push(startLogged(path.join(build, 'src/mesos-master'), [
          '--ip=127.0.0.1', `--port=${master.split(':')[1]}`, `--work_dir=${path.join(work, 'master')}`, '--registry=in_memory',
        ], path.join(work, 'master.log')));
        agent = startAgent();
        await waitFor(() => text(agentLog).includes('Registered with master'), 'the agent to register', 120_000);
      }, 300_000);

      let agent: ChildProcess;
      /** The agent, logging to agentLog; the same flags for a restart, which recovers (`--recover=reconnect`). */
      /**
       * `inTree`: Mesos's own docker/volume isolator instead of dvdi (1.x), with a `dvdcli` on
       * its PATH that is dvdi's, talking to the test's plugin.
       */
      const startAgent = (inTree = false): ChildProcess => {
        // REFERENCE: 0.27 agents exit at start without systemd unless told; 0.25 and 0.26 have
        // no flag and give up whenever /sbin/init is systemd's, so it is hidden from them in a
        // mount namespace that still receives the host's mounts (the plugin's volumes).
        const systemd = versionInt >= 2700 ? ['--systemd_enable_support=false'] : [];
        const hideInit =
          versionInt >= 2500 && versionInt < 2700
            ? ['/usr/bin/unshare', '-m', '--propagation', 'slave', '/bin/sh', '-c', 'mount --bind /dev/null /sbin/init && exec "$0" "$@"']
            : [];
        // 1.x: mesos-agent, and the module beside filesystem/linux (as the README tells operators).
        const agentProgram = existsSync(path.join(build, 'src/mesos-agent')) ? 'src/mesos-agent' : 'src/mesos-slave';
        const isolation = modern ? 'filesystem/linux,posix/cpu,posix/mem' : 'posix/cpu,posix/mem';
        const [program, ...prefix] = [...hideInit, path.join(build, agentProgram)];
        const volumeIsolation = inTree
          ? [`--isolation=${isolation},docker/volume`, `--docker_volume_checkpoint_dir=${path.join(work, 'docker-volume')}`]
          : [`--modules=file://${path.join(work, 'dvdi-mod.json')}`, `--isolation=${isolation},com_emccode_mesos_DockerVolumeDriverIsolator`];
        const env = inTree
          ? { ...process.env, PATH: `${path.join(work, 'bin')}:${process.env.PATH}`, DVDI_PLUGIN_SOCKET_DIRS: path.join(work, 'plugins') }
          : process.env;
        const child = startLogged(program!, [...prefix,
          `--master=${master}`, '--ip=127.0.0.1', `--port=${agentPort}`, `--work_dir=${path.join(work, 'agent')}`,
          `--launcher_dir=${path.join(build, 'src')}`, '--resources=cpus:2;mem:1024;disk:1024', '--recover=reconnect',
          ...volumeIsolation, ...systemd,
        ], agentLog, env);
        children.push(child);
        return child;
      };

      /**
       * A command task (mesos-execute) with volume `volume` of the default driver bound at
       * `containerPath` in its sandbox; its output goes to `log`. Numbers, because mesos-execute
       * of 0.2x releases JSON-stringifies --env values (a string arrives with its quotes); 1.x's
       * takes strings as they are.
       */
      const startTask = (name: string, volume: number, containerPath: number, command: string, log: string, extra: string[] = []): ChildProcess => {
        const env = modern
          ? { DVDI_VOLUME_NAME: String(volume), DVDI_VOLUME_CONTAINERPATH: String(containerPath) }
          : { DVDI_VOLUME_NAME: volume, DVDI_VOLUME_CONTAINERPATH: containerPath };
        const execute = startLogged(path.join(build, 'src/mesos-execute'), [
          `--master=${master}`, `--name=${name}`, '--resources=cpus:0.1;mem:32', `--command=${command}`,
          `--env=${JSON.stringify(env)}`, ...(modern ? ['--containerizer=mesos'] : []),
          ...extra,
        ], log);
        children.push(execute);
        return execute;
      };

      /**
       * Mounts below the agent's work directory, seen from the agent's (the host's) namespace:
       * binds into containers must not show. 1.x's filesystem/linux binds the work directory
       * onto itself (to make it shared); that one is the agent's own.
       */
      const bindsInAgentDir = (): string[] => {
        const agentDir = path.join(work, 'agent');
        return mountsUnder(agentDir).filter((m) => m !== agentDir);
      };

      afterAll(async () => {
        for (const child of children.reverse()) await stop(child);
        // Executors outlive a killed agent (--recover=reconnect): end what still runs in the sandboxes.
        if (work !== undefined) await killProcessesUnder(work);
        if (work !== undefined) await cleanupUnder(work);
      }, 120_000);

      it('loads the module: the runtime logs through the agent\'s glog', () => {
        expect(text(agentLog)).toMatch(/dvdi: /);
        expect(text(agentLog)).not.toContain('Error creating Module instance');
      });

      it('mounts a task\'s volume, binds it in the task\'s own mount namespace, and unmounts it after the task', async () => {
        const volumes = path.join(work, 'volumes');
        const execute = startTask('dvdi-task', 1001, 42,
          'echo written-through-the-bind > 42/hello && grep -c " $PWD/42 " /proc/self/mountinfo && sleep 10 && cat 42/hello',
          path.join(work, 'execute.log'));

        // While the task runs: the volume is mounted on the host, the bind is not.
        await waitFor(() => text(path.join(work, 'execute.log')).includes('TASK_RUNNING'), 'the task to run', 120_000);
        expect(mountsUnder(volumes).length).toBeGreaterThan(0);
        expect(bindsInAgentDir()).toEqual([]);

        await exited(execute);
        expect(text(path.join(work, 'execute.log'))).toContain('TASK_FINISHED');
        const runs = path.join(work, 'agent');
        const stdout = readdirSync(runs, { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith(`${path.sep}stdout`));
        // The executor's own lines are there too: the bind was seen inside, and the data read back through it.
        expect(text(path.join(runs, stdout!))).toMatch(/^1\nwritten-through-the-bind$/m);
        // The containerizer's cleanup released the volume.
        await waitFor(() => mountsUnder(volumes).length === 0, 'the volume to be unmounted', 60_000);
      }, 300_000);

      it('shows its isolators/dvdi/ metrics moving across a task with volumes, and answers /dvdi/volumes during it and while a plugin hangs', async () => {
        type Metrics = Record<string, number>;
        const agentUrl = `http://127.0.0.1:${agentPort}`;
        const metrics = async (): Promise<Metrics> =>
          (await (await fetch(`${agentUrl}/metrics/snapshot`, { signal: AbortSignal.timeout(30_000) })).json()) as Metrics;
        // The endpoint's promise: an answer within a second, whatever a plugin does.
        const volumesNow = async (): Promise<{ status: number; type: string | null; body: string }> => {
          const response = await fetch(`${agentUrl}/dvdi/volumes`, { signal: AbortSignal.timeout(1_000) });
          return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
        };
        const dvdiMetrics = (m: Metrics) => Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith('isolators/dvdi/')));
        // The module pulls the engine's numbers every second.
        const metricsUntil = async (ok: (m: Metrics) => boolean, what: string): Promise<Metrics> => {
          const deadline = Date.now() + 60_000;
          for (;;) {
            const m = await metrics();
            if (ok(m)) return m;
            if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(dvdiMetrics(m))}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        };
        const names = ['prepares', 'prepare_failures', 'cleanups', 'mounts', 'mount_failures', 'unmounts', 'unmount_failures',
          'runtime_restarts', 'volumes_mounted', 'containers_holding', 'unmounts_pending'];
        const before = await metricsUntil((m) => names.every((n) => `isolators/dvdi/${n}` in m), 'the module\'s metrics');
        // Counters only grow; gauges are compared with the endpoint's volumes (a snapshot may be a second old).
        const grew = (m: Metrics, name: string) => m[`isolators/dvdi/${name}`]! - before[`isolators/dvdi/${name}`]!;
        const mountedNow = async () => volumesJson((await volumesNow()).body).filter((v) => v.state === 'mounted').length;
        const samples = (m: Metrics, timer: string) => m[`isolators/dvdi/${timer}_latency_ms/count`] ?? 0;
        const volumesJson = (body: string) => JSON.parse(body) as Array<{ driver: string; name: string; state: string; holders: string[] }>;
        const checkpoint = path.join(work, 'dvdimounts.pb');

        // Two volumes of one task: two mounts, two latency samples (percentiles need two).
        const stopFile = path.join(work, 'stop-observed-task');
        const log = path.join(work, 'execute-observed.log');
        const env = modern
          ? { DVDI_VOLUME_NAME: '1008', DVDI_VOLUME_CONTAINERPATH: '48', DVDI_VOLUME_NAME1: '1009' }
          : { DVDI_VOLUME_NAME: 1008, DVDI_VOLUME_CONTAINERPATH: 48, DVDI_VOLUME_NAME1: 1009 };
        const execute = startLogged(path.join(build, 'src/mesos-execute'), [
          `--master=${master}`, '--name=dvdi-observed', '--resources=cpus:0.1;mem:32',
          `--command=while [ ! -e ${stopFile} ]; do sleep 1; done`, `--env=${JSON.stringify(env)}`, ...(modern ? ['--containerizer=mesos'] : []),
        ], log);
        children.push(execute);
        try {
          await waitFor(() => text(log).includes('TASK_RUNNING'), 'the observed task to run', 120_000);
          const mounted = await mountedNow();
          const running = await metricsUntil((m) => grew(m, 'mounts') >= 2 && m['isolators/dvdi/volumes_mounted'] === mounted, 'the mounts to show');
          expect(mounted).toBeGreaterThanOrEqual(2);
          expect(grew(running, 'prepares')).toBeGreaterThanOrEqual(1);
          expect(running['isolators/dvdi/containers_holding']).toBeGreaterThanOrEqual(1);
          expect(samples(running, 'mount') - samples(before, 'mount')).toBeGreaterThanOrEqual(2);
          expect(running['isolators/dvdi/mount_latency_ms/p50']).toBeGreaterThan(0);

          // The endpoint, as `dvdi status --json` prints the checkpoint.
          const during = await volumesNow();
          expect(during.status).toBe(200);
          expect(during.type).toBe('application/json');
          const observed = volumesJson(during.body).filter((v) => v.name === '1008' || v.name === '1009');
          expect(observed.map((v) => [v.name, v.state, v.holders.length])).toEqual([['1008', 'mounted', 1], ['1009', 'mounted', 1]]);
          expect(during.body).toBe(dvdi(['status', '--json', '--checkpoint', checkpoint]).stdout);
        } finally {
          // Ended whatever happened: the tests after this one count the volumes mounted.
          writeFileSync(stopFile, '');
          await exited(execute);
        }
        const after = await metricsUntil((m) => grew(m, 'unmounts') >= 2 && grew(m, 'cleanups') >= 1, 'the unmounts to show');
        expect(after['isolators/dvdi/volumes_mounted']).toBe(await mountedNow());
        expect(samples(after, 'unmount') - samples(before, 'unmount')).toBeGreaterThanOrEqual(2);
        expect(volumesJson((await volumesNow()).body).filter((v) => v.name === '1008' || v.name === '1009')).toEqual([]);

        // A plugin that takes every volume call and holds it (driver 2001: a number, as 0.2x's --env needs).
        const held: Array<() => void> = [];
        let holding = true;
        const plugin = createServer((request, response) => {
          const answer = (status: number, body: object) => response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
          request.resume().on('end', () => {
            const refuse = () => answer(500, { Err: 'held by the test, then refused' });
            if (request.url === '/Plugin.Activate') answer(200, { Implements: ['VolumeDriver'] });
            else if (holding) held.push(refuse);
            else refuse();
          });
        });
        await new Promise<void>((resolve) => plugin.listen(path.join(work, 'plugins', '2001.sock'), resolve));
        try {
          const heldLog = path.join(work, 'execute-held.log');
          const heldEnv = modern ? { DVDI_VOLUME_DRIVER: '2001', DVDI_VOLUME_NAME: '1010' } : { DVDI_VOLUME_DRIVER: 2001, DVDI_VOLUME_NAME: 1010 };
          const heldTask = startLogged(path.join(build, 'src/mesos-execute'), [
            `--master=${master}`, '--name=dvdi-held', '--resources=cpus:0.1;mem:32', '--command=true',
            `--env=${JSON.stringify(heldEnv)}`, ...(modern ? ['--containerizer=mesos'] : []),
          ], heldLog);
          children.push(heldTask);
          await waitFor(() => held.length > 0, 'the plugin to hold a call', 120_000);
          // While the plugin holds the mount: the endpoint answers from the engine's memory, the metrics too.
          const hung = await volumesNow();
          expect(hung.status).toBe(200);
          expect(volumesJson(hung.body).filter((v) => v.driver === '2001').map((v) => [v.name, v.state, v.holders.length])).toEqual([['1010', 'mounting', 1]]);
          expect((await metrics())['isolators/dvdi/prepares']).toBeGreaterThanOrEqual(before['isolators/dvdi/prepares']! + 1);
          expect(held.length).toBeGreaterThan(0);

          holding = false;
          for (const refuse of held.splice(0)) refuse();
          await exited(heldTask);
          const refused = await metricsUntil((m) => grew(m, 'prepare_failures') >= 1 && grew(m, 'mount_failures') >= 1, 'the failed prepare to show');
          expect(refused['isolators/dvdi/volumes_mounted']).toBe(await mountedNow());
          expect(volumesJson((await volumesNow()).body).filter((v) => v.driver === '2001')).toEqual([]);
        } finally {
          holding = false;
          for (const refuse of held.splice(0)) refuse();
          await new Promise((resolve) => plugin.close(resolve));
        }
      }, 400_000);

      // Mesos 1.1+: a task group's task is a nested container with its own variables.
      (versionInt >= 10100 ? it : it.skip)('mounts a task-group task\'s own volume, binds it in its sandbox, and unmounts it after the task', async () => {
        const volumes = path.join(work, 'volumes');
        const stopFile = path.join(work, 'stop-grouped-task');
        const group = {
          tasks: [{
            name: 'dvdi-grouped',
            task_id: { value: 'dvdi-grouped' },
            agent_id: { value: '' },
            resources: [
              { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } },
              { name: 'mem', type: 'SCALAR', scalar: { value: 32 } },
            ],
            command: {
              value: `echo grouped > 44/hello && grep -c " $PWD/44 " /proc/self/mountinfo && while [ ! -e ${stopFile} ]; do sleep 1; done && cat 44/hello`,
              environment: { variables: [{ name: 'DVDI_VOLUME_NAME', value: '1004' }, { name: 'DVDI_VOLUME_CONTAINERPATH', value: '44' }] },
            },
          }],
        };
        const groupFile = path.join(work, 'task-group.json');
        writeFileSync(groupFile, JSON.stringify(group));
        const log = path.join(work, 'execute-group.log');
        const execute = startLogged(path.join(build, 'src/mesos-execute'), [
          `--master=${master}`, `--task_group=file://${groupFile}`, '--containerizer=mesos',
        ], log);
        children.push(execute);
        await waitFor(() => text(log).includes('TASK_RUNNING'), 'the grouped task to run', 120_000);
        expect(mountsUnder(volumes).length).toBeGreaterThan(0);
        expect(bindsInAgentDir()).toEqual([]);
        writeFileSync(stopFile, '');
        await exited(execute);
        expect(text(log)).toContain('TASK_FINISHED');
        const runs = path.join(work, 'agent');
        const stdout = readdirSync(runs, { recursive: true, encoding: 'utf8' })
          .find((p) => p.includes(`${path.sep}tasks${path.sep}`) && p.endsWith(`${path.sep}stdout`));
        expect(stdout, 'the nested task\'s sandbox').toBeDefined();
        expect(text(path.join(runs, stdout!))).toMatch(/^1\ngrouped$/m);
        await waitFor(() => mountsUnder(volumes).length === 0, 'the volume to be unmounted', 60_000);
      }, 300_000);

      it('keeps a live task\'s volume across a kill -9 of the agent and its recovery, and unmounts it after the task', async () => {
        const stopFile = path.join(work, 'stop-kept-task');
        const volumes = path.join(work, 'volumes');
        const log = path.join(work, 'execute-kept.log');
        const execute = startTask('dvdi-kept', 1002, 43,
          `echo before > 43/f && while [ ! -e ${stopFile} ]; do sleep 1; done && cat 43/f`, log, ['--checkpoint']);
        await waitFor(() => text(log).includes('TASK_RUNNING'), 'the task to run', 120_000);
        const mounted = mountsUnder(volumes);
        expect(mounted.length).toBeGreaterThan(0);

        await killAndWait(agent);
        const recoveries = text(agentLog).split('Finished recovery').length;
        agent = startAgent();
        await waitFor(() => text(agentLog).split('Finished recovery').length > recoveries, 'the agent to recover', 120_000);
        await waitFor(() => text(agentLog).split('Re-registered with master').length > 1, 'the agent to re-register', 120_000);
        // Recovery kept the live container's volume.
        expect(mountsUnder(volumes)).toEqual(mounted);

        writeFileSync(stopFile, '');
        await exited(execute);
        expect(text(log)).toContain('TASK_FINISHED');
        await waitFor(() => mountsUnder(volumes).length === 0, 'the volume to be unmounted', 60_000);
      }, 400_000);

      /** A DOCKER_VOLUME volume of the default driver, as Marathon 1.3+ sends its external volumes. */
      const dockerVolume = (name: string, containerPath: string, mode: 'RW' | 'RO') =>
        ({ container_path: containerPath, mode, source: { type: 'DOCKER_VOLUME', docker_volume: { driver: 'rexray', name } } });

      /** A command task with DOCKER_VOLUME volumes (mesos-execute --volumes, 1.1+), running until `stopFile` exists. */
      const startVolumeTask = (name: string, volumes: object[], command: string, stopFile: string, log: string, extra: string[] = []) => {
        const execute = startLogged(path.join(build, 'src/mesos-execute'), [
          `--master=${master}`, `--name=${name}`, '--resources=cpus:0.1;mem:32', '--containerizer=mesos',
          `--command=${command} && while [ ! -e ${stopFile} ]; do sleep 1; done`, `--volumes=${JSON.stringify(volumes)}`, ...extra,
        ], log);
        children.push(execute);
        return execute;
      };

      /** How often the volume's mountpoint is mounted on the host. */
      const mountsOf = (name: string): number => mountsUnder(path.join(work, 'volumes')).filter((m) => m.endsWith(`/${name}`)).length;

      (versionInt >= 10100 ? it : it.skip)('serves DOCKER_VOLUME volumes: shared by two tasks and mounted once, RO read-only for the task, kept across a kill -9', async () => {
        const [stopA, stopB] = [path.join(work, 'stop-dv-a'), path.join(work, 'stop-dv-b')];
        const [logA, logB] = [path.join(work, 'execute-dv-a.log'), path.join(work, 'execute-dv-b.log')];
        const a = startVolumeTask('dvdi-dv-a', [dockerVolume('1005', '45', 'RW')], 'echo from-a > 45/a', stopA, logA, ['--checkpoint']);
        await waitFor(() => text(logA).includes('TASK_RUNNING'), 'task a to run', 120_000);
        const b = startVolumeTask('dvdi-dv-b', [dockerVolume('1005', '45', 'RW'), dockerVolume('1006', '46', 'RO')],
          'cat 45/a && if echo x > 46/x; then echo RO-WRITABLE; else echo RO-REFUSED; fi', stopB, logB, ['--checkpoint']);
        await waitFor(() => text(logB).includes('TASK_RUNNING'), 'task b to run', 120_000);
        // One mount each on the host, however many tasks use it; no bind shows in the agent's namespace.
        expect(mountsOf('1005')).toBe(1);
        expect(mountsOf('1006')).toBe(1);
        expect(bindsInAgentDir()).toEqual([]);
        const runs = path.join(work, 'agent');
        const outputs = () => readdirSync(runs, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith(`${path.sep}stdout`))
          .map((p) => text(path.join(runs, p)));
        await waitFor(() => outputs().some((o) => /RO-/.test(o)), 'task b to try writing', 60_000);
        const outputB = outputs().find((o) => /RO-/.test(o))!;
        expect(outputB).toMatch(/^from-a$/m);
        expect(outputB).toMatch(/^RO-REFUSED$/m);

        agent.kill('SIGKILL');
        await exited(agent);
        const recoveries = text(agentLog).split('Finished recovery').length;
        agent = startAgent();
        await waitFor(() => text(agentLog).split('Finished recovery').length > recoveries, 'the agent to recover', 120_000);
        expect(mountsOf('1005')).toBe(1);
        expect(mountsOf('1006')).toBe(1);

        writeFileSync(stopA, '');
        await exited(a);
        // B still uses 1005.
        expect(mountsOf('1005')).toBe(1);
        writeFileSync(stopB, '');
        await exited(b);
        expect(text(logB)).toContain('TASK_FINISHED');
        await waitFor(() => mountsOf('1005') + mountsOf('1006') === 0, 'both volumes to be unmounted', 60_000);
      }, 400_000);

      (versionInt >= 10100 ? it : it.skip)('takes over a running task\'s volume from the in-tree docker/volume isolator, and unmounts it after the task', async () => {
        // dvdi's dvdcli, for docker/volume to find on its PATH.
        mkdirSync(path.join(work, 'bin'), { recursive: true });
        writeFileSync(path.join(work, 'bin', 'dvdcli'), `#!/bin/sh\nexec ${process.execPath} ${DVDCLI_ENTRY} "$@"\n`, { mode: 0o755 });
        agent.kill('SIGKILL');
        await exited(agent);
        const lives = () => text(agentLog).split('Finished recovery').length;
        let before = lives();
        agent = startAgent(true);
        await waitFor(() => lives() > before, 'the docker/volume agent to recover', 120_000);

        const stopFile = path.join(work, 'stop-taken-over');
        const log = path.join(work, 'execute-taken-over.log');
        const execute = startVolumeTask('dvdi-taken-over', [dockerVolume('1007', '47', 'RW')], 'echo kept > 47/f', stopFile, log, ['--checkpoint']);
        await waitFor(() => text(log).includes('TASK_RUNNING'), 'the task under docker/volume to run', 120_000);
        expect(mountsOf('1007')).toBe(1);
        const checkpoints = path.join(work, 'docker-volume');
        expect(readdirSync(checkpoints, { recursive: true, encoding: 'utf8' }).some((p) => p.endsWith(`${path.sep}volumes`))).toBe(true);

        // The same agent, now with dvdi in docker/volume's place.
        agent.kill('SIGKILL');
        await exited(agent);
        before = lives();
        agent = startAgent();
        await waitFor(() => lives() > before, 'the dvdi agent to recover', 120_000);
        expect(mountsOf('1007')).toBe(1);
        expect(text(agentLog)).toMatch(/dvdi: took over 1 mount record\(s\) of 1 container\(s\) from Mesos' docker\/volume isolator/);
        // Taken over once: docker/volume's files are renamed.
        expect(readdirSync(checkpoints, { recursive: true, encoding: 'utf8' }).some((p) => p.endsWith(`${path.sep}volumes`))).toBe(false);

        writeFileSync(stopFile, '');
        await exited(execute);
        expect(text(log)).toContain('TASK_FINISHED');
        await waitFor(() => mountsOf('1007') === 0, 'the taken-over volume to be unmounted', 60_000);
      }, 400_000);
    });
  }
});
