/**
 * `make dist`'s tarball as an operator unpacks it on an agent host with no
 * Node.js: every `dvdi` command runs through the shipped launcher on the
 * module's libnode. The module itself needs a Mesos tree, so a stand-in
 * shared object takes its place (the tarball's other files are real).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/harness.js';
import { waitFor } from './helpers/cli.js';
import { unmountAllUnder } from './helpers/mounts.js';
import { exited } from './helpers/process.js';

const ROOT = path.resolve('.');
const VERSION = '0.27.2';
const NAME = `dvdi-isolator-${VERSION}-cxx11`;
/** Where this machine keeps libnode when a third-party nodejs blocks Debian's package; a plain Debian host has it in /usr/lib. */
const LOCAL_LIBNODE = path.join(ROOT, '.deps/libnode/usr/lib/x86_64-linux-gnu');

let root: string;
let unpacked: string;
let plugin: ChildProcess | undefined;
let pluginClosed: Promise<unknown> | undefined;

/**
 * Runs the unpacked `dvdi` through /usr/bin-style symbolic link, in a mount
 * namespace where every `node` on PATH is hidden.
 */
function hostCommand(args: string[], program = 'dvdi', extraEnv: NodeJS.ProcessEnv = {}): [string, string[], NodeJS.ProcessEnv] {
  const hide = 'for n in $(which -a node); do mount --bind /dev/null "$n" || exit 98; done; ' +
    'if node --version >/dev/null 2>&1; then echo "node is still there" >&2; exit 99; fi; exec "$@"';
  const env: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...extraEnv };
  if (existsSync(LOCAL_LIBNODE)) env.LD_LIBRARY_PATH = LOCAL_LIBNODE;
  return ['unshare', ['-m', '--propagation', 'slave', 'sh', '-c', hide, 'sh', path.join(root, 'bin', program), ...args], env];
}

function onHost(args: string[], program = 'dvdi', extraEnv: NodeJS.ProcessEnv = {}) {
  const [file, argv, env] = hostCommand(args, program, extraEnv);
  return spawnSync(file, argv, { encoding: 'utf8', env, timeout: 60_000 });
}

beforeAll(() => {
  root = tempRoot('dvdi-dist-');
  const build = path.join(root, 'build');
  const built = path.join(build, `mesos-${VERSION}`);
  mkdirSync(built, { recursive: true });
  // The stand-in module: any shared object with the new std::string ABI in its symbols.
  const source = path.join(root, 'stand-in.cc');
  writeFileSync(source, '#include <string>\nstd::string dvdi_stand_in() { return "module"; }\n');
  const cc = spawnSync('g++', ['-shared', '-fPIC', '-o', path.join(built, `libmesos_dvdi_isolator-${VERSION}.so`), source], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  // What `make isolator` puts beside the module.
  for (const f of ['dvdi-runtime.cjs', 'dvdi-cli.cjs']) copyFileSync(path.join(ROOT, 'dist', f), path.join(built, f));

  const dist = spawnSync('sh', ['native/mesos/dist.sh'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MESOS_VERSION: VERSION, DVDI_MODULE_DIR: build } });
  expect(dist.status, dist.stderr).toBe(0);
  unpacked = path.join(root, 'usr-lib');
  mkdirSync(unpacked);
  const tar = spawnSync('tar', ['-xzf', path.join(build, `${NAME}.tar.gz`), '-C', unpacked], { encoding: 'utf8' });
  expect(tar.status, tar.stderr).toBe(0);
  mkdirSync(path.join(root, 'bin'));
  symlinkSync(path.join(unpacked, NAME, 'dvdi'), path.join(root, 'bin', 'dvdi'));
  // INSTALL.md's dvdcli for the default mounter: the same launcher under that name.
  symlinkSync(path.join(unpacked, NAME, 'dvdi'), path.join(root, 'bin', 'dvdcli'));
}, 120_000);

afterAll(async () => {
  plugin?.kill('SIGTERM');
  await pluginClosed;
  unmountAllUnder(root);
  rmSync(root, { recursive: true, force: true });
});

describe('the release tarball on a host without Node.js', () => {
  it('holds the module, the runtime library, both bundles, the launcher, dvdi-mod.json and INSTALL.md', () => {
    expect(readdirSync(path.join(unpacked, NAME)).sort()).toEqual([
      'INSTALL.md', 'dvdi', 'dvdi-cli.cjs', 'dvdi-mod.json', 'dvdi-runtime.cjs', 'libdvdi_runtime.so', `libmesos_dvdi_isolator-${VERSION}.so`,
    ]);
    // Agents find libnode where the system keeps it, never through this build host's paths.
    for (const f of ['dvdi', 'libdvdi_runtime.so']) {
      expect(spawnSync('readelf', ['-d', path.join(unpacked, NAME, f)], { encoding: 'utf8' }).stdout).not.toMatch(/RUNPATH|RPATH/);
    }
  });

  it('runs dvdi module-config', () => {
    const r = onHost(['module-config', '--mesos-version', VERSION]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).libraries[0].file).toBe(`/usr/lib/dvdi/libmesos_dvdi_isolator-${VERSION}.so`);
  });

  it('serves a plugin, passes dvdi doctor, and prepares, shows and cleans up a volume', async () => {
    const plugins = path.join(root, 'plugins');
    const common = ['--checkpoint', path.join(root, 'state', 'dvdimounts.pb'), '--mounter', 'plugin', '--plugin-dirs', plugins, '--quiet'];
    const [file, argv, env] = hostCommand(['plugin', 'serve', '--name', 'local', '--socket', path.join(plugins, 'local.sock'), '--root', path.join(root, 'volumes'), '--backend', 'dir']);
    plugin = spawn(file, argv, { env, stdio: 'ignore' });
    pluginClosed = exited(plugin);
    await waitFor(() => existsSync(path.join(plugins, 'local.sock')), 'the plugin socket');

    const doctor = onHost(['doctor', ...common]);
    expect(doctor.stdout, doctor.stderr).toMatch(/verdict: ready\n$/);
    expect(doctor.status).toBe(0);

    const sandbox = path.join(root, 'sandbox');
    mkdirSync(sandbox);
    const prepared = onHost(['prepare', ...common, '--container-id', 'c1', '--directory', sandbox, '--env', 'DVDI_VOLUME_NAME=v1', '--env', 'DVDI_VOLUME_DRIVER=local']);
    expect(prepared.status, prepared.stderr).toBe(0);
    expect(JSON.parse(prepared.stdout).mounts).toHaveLength(1);

    const status = onHost(['status', ...common, '--json']);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject([{ driver: 'local', name: 'v1' }]);

    const cleaned = onHost(['cleanup', ...common, '--container-id', 'c1']);
    expect(cleaned.status, cleaned.stderr).toBe(0);
    expect(JSON.parse(onHost(['status', ...common, '--json']).stdout)).toEqual([]);

    // The default mounter, through the shipped launcher linked as dvdcli.
    expect(onHost(['version'], 'dvdcli').stdout).toMatch(/dvdcli-compatible/);
    const viaDvdcli = ['--checkpoint', path.join(root, 'state', 'dvdimounts.pb'), '--mounter', 'dvdcli', '--dvdcli', path.join(root, 'bin', 'dvdcli'), '--quiet'];
    const pluginEnv = { DVDI_PLUGIN_SOCKET_DIRS: plugins };
    const again = onHost(['prepare', ...viaDvdcli, '--container-id', 'c2', '--directory', sandbox, '--env', 'DVDI_VOLUME_NAME=v2', '--env', 'DVDI_VOLUME_DRIVER=local'], 'dvdi', pluginEnv);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).mounts).toMatchObject([{ driver: 'local', name: 'v2' }]);
    const released = onHost(['cleanup', ...viaDvdcli, '--container-id', 'c2'], 'dvdi', pluginEnv);
    expect(released.status, released.stderr).toBe(0);
    expect(JSON.parse(released.stdout).released).toEqual([{ driver: 'local', name: 'v2', unmounted: true }]);
  });
});
