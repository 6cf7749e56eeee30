/**
 * The Mesos isolator module: the release table (versions/), the module's
 * Mesos-independent C++ (native/mesos/plan.cc), and, when MESOS_TREES points
 * at configured Mesos trees, the module itself compiled against each.
 *
 * MESOS_TREES=DIR[:DIR…]: DIR/src/VERSION (configured source) and DIR/build/VERSION
 * (its build directory, with the generated headers and unpacked third-party
 * headers) for any of the supported releases.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { builtFile } from './helpers/native-build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const execFileAsync = promisify(execFile);
const RELEASE = path.join(ROOT, 'versions/release.sh');

function release(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(RELEASE, args, { encoding: 'utf8' });
}

function traits(version: string): Record<string, string> {
  const r = release(version);
  if (r.status !== 0) throw new Error(r.stderr);
  return Object.fromEntries(r.stdout.trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
}

const VERSIONS = release('--list').stdout.trim().split('\n');

describe('supported releases (versions/releases.tsv)', () => {
  it('are the 54 final releases 0.23.0 to 1.11.0, oldest first', () => {
    expect(VERSIONS).toEqual([
      '0.23.0', '0.23.1', '0.24.0', '0.24.1', '0.24.2', '0.25.0', '0.25.1',
      '0.26.0', '0.26.1', '0.26.2', '0.27.0', '0.27.1', '0.27.2', '0.27.3',
      '0.28.0', '0.28.1', '0.28.2', '0.28.3', '1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4',
      '1.1.0', '1.1.1', '1.1.2', '1.1.3', '1.2.0', '1.2.1', '1.2.2', '1.2.3', '1.3.0', '1.3.1', '1.3.2',
      '1.4.0', '1.4.1', '1.4.2', '1.4.3', '1.5.0', '1.5.1', '1.5.2', '1.5.3', '1.6.0', '1.6.1', '1.6.2',
      '1.7.0', '1.7.1', '1.7.2', '1.7.3', '1.8.0', '1.8.1', '1.9.0', '1.10.0', '1.11.0',
    ]);
    const ints = VERSIONS.map((v) => Number(traits(v).version_int));
    expect(ints).toEqual([...ints].sort((a, b) => a - b));
    expect(new Set(ints).size).toBe(ints.length);
  });

  it('encode versions so that they order: major*10000 + minor*100 + patch', () => {
    expect(release('0.27.2', 'version_int').stdout).toBe('2702\n');
    expect(release('0.23.0', 'version_int').stdout).toBe('2300\n');
    // Dot-stripping would put 1.10.0 (1100) below 0.28.3 (283 < 1100 but 1.1.0 = 110).
    expect(release('1.10.0', 'version_int').stdout).toBe('11000\n');
    expect(release('1.1.0', 'version_int').stdout).toBe('10100\n');
  });

  it('give each release the traits of its interface generation', () => {
    const at = (v: string) => Number(traits(v).version_int);
    const generation = (v: string): string => {
      const n = at(v);
      return n < 2400 ? '0.23' : n < 2500 ? '0.24' : n < 2700 ? '0.25' : n < 2800 ? '0.27' : n < 10000 ? 'A' : n < 10100 ? 'B'
        : n < 10200 ? 'C' : n < 10500 ? 'D' : n < 10700 ? 'E' : n < 11000 ? 'F' : 'G';
    };
    const common = { base: 'Isolator', prepare: 'config', result: 'ContainerLaunchInfo', nesting: 'no', standalone: 'no', recover: 'list', update: '2' };
    const expected: Record<string, Record<string, string>> = {
      '0.23': { ...common, base: 'IsolatorProcess', prepare: 'executor,directory,rootfs,user', result: 'CommandInfo', newns: 'namespaces_method', binds: 'joined_command', variables: 'executor' },
      '0.24': { ...common, prepare: 'executor,directory,user', result: 'ContainerPrepareInfo', newns: 'namespaces_method', binds: 'commands', variables: 'executor' },
      '0.25': { ...common, prepare: 'executor,directory,user', result: 'ContainerPrepareInfo', newns: 'namespaces', binds: 'commands', variables: 'executor' },
      '0.27': { ...common, newns: 'namespaces', binds: 'commands', variables: 'executorinfo' },
      A: { ...common, newns: 'namespaces', binds: 'commands', variables: 'executor_info' },
      B: { ...common, newns: 'namespaces', binds: 'pre_exec_commands', variables: 'executor_info' },
      C: { ...common, newns: 'namespaces', binds: 'pre_exec_commands', variables: 'command_info', nesting: 'yes' },
      D: { ...common, newns: 'clone_namespaces', binds: 'pre_exec_commands', variables: 'command_info', nesting: 'yes' },
      E: { ...common, newns: 'clone_namespaces', binds: 'mounts', variables: 'command_info', nesting: 'yes', standalone: 'yes' },
      F: { ...common, newns: 'clone_namespaces', binds: 'mounts', variables: 'command_info', nesting: 'yes', standalone: 'yes', recover: 'vector' },
      G: { ...common, newns: 'clone_namespaces', binds: 'mounts', variables: 'command_info', nesting: 'yes', standalone: 'yes', recover: 'vector', update: '3' },
    };
    for (const v of VERSIONS) {
      const t = traits(v);
      const n = at(v);
      expect(t, v).toMatchObject({ ...expected[generation(v)], generation: generation(v), cxx_std: 'c++11' });
      // Bundled third-party versions, from each tag's versions.am.
      expect(t, v).toMatchObject({
        third_party: n < 10000 ? 'libprocess' : 'top',
        protobuf: n < 10000 ? '2.5.0' : n < 10400 ? '2.6.1' : n < 10500 ? '3.3.0' : '3.5.0',
        boost: n < 10600 ? '1.53.0' : '1.65.0',
        glog: n < 10900 ? '0.3.3' : '0.4.0',
        picojson: n < 2500 ? '4f93734' : '1.3.0',
        rapidjson: n < 10700 ? '-' : '1.1.0',
      });
    }
  });

  it('build a patch release from a later one\'s tree only where their headers are the same', () => {
    const reused = VERSIONS.filter((v) => traits(v).tree !== v);
    expect(Object.fromEntries(reused.map((v) => [v, traits(v).tree]))).toEqual({
      '0.23.0': '0.23.1', '0.26.1': '0.26.2', '1.0.2': '1.0.4', '1.0.3': '1.0.4', '1.5.2': '1.5.3',
    });
  });

  it('refuse a release that is not in the table, and an unknown trait', () => {
    const r = release('1.3.3');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Mesos 1.3.3 is not a supported release');
    expect(release('0.27.2', 'colour').status).toBe(2);
  });
});

describe('the module without Mesos (native/mesos/plan.cc)', () => {
  it('passes its unit tests: generations, response mapping, parameters', () => {
    const r = spawnSync(builtFile('dvdi_mesos_plan_test'), { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed\n$/);
    expect(r.status).toBe(0);
  });

  it('skips the module itself when no Mesos tree is given, and says so', () => {
    const r = spawnSync('make', ['-s', 'isolator'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MESOS_VERSION: '' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('isolator: skipped, no Mesos tree given');
  });
});

const TREES = process.env.MESOS_TREES;
/** The release whose tree builds `version`: its own, or a later patch release's with the same headers. */
const treeOf = (version: string): string => traits(version).tree!;
/** The first of MESOS_TREES's directories (a colon-separated list) with a configured tree for `version`. */
const treesOf = (version: string): string | undefined =>
  TREES?.split(':').find((trees) => existsSync(path.join(trees, 'build', treeOf(version), 'include/mesos/version.hpp')));
const available = VERSIONS.filter((v) => treesOf(v) !== undefined);
const why = TREES === undefined
  ? 'MESOS_TREES is not set (a directory with src/VERSION and build/VERSION Mesos trees)'
  : `no configured tree under ${TREES}/build/VERSION`;

/**
 * `make isolator`'s script (the rest is built already) against the tree of `version`, into a
 * directory of the test's own; returns the module's path. Asynchronous: a compile takes long
 * enough to starve the test worker's event loop.
 */
async function makeIsolator(version: string, cxx11Abi: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dvdi-module-'));
  modules.push(dir);
  const r = await execFileAsync('native/mesos/build-module.sh', [], {
    cwd: ROOT,
    env: {
      ...process.env,
      DVDI_MODULE_DIR: dir,
      MESOS_VERSION: version,
      MESOS_SRC: path.join(treesOf(version)!, 'src', treeOf(version)),
      MESOS_BUILD: path.join(treesOf(version)!, 'build', treeOf(version)),
      MESOS_CXX11_ABI: cxx11Abi,
    },
  });
  // A failed make rejects with its output; warnings would land on stderr.
  expect(r.stderr).toBe('');
  return path.join(dir, `mesos-${version}`, `libmesos_dvdi_isolator-${version}.so`);
}

function dynamicSymbols(module: string): string {
  return spawnSync('nm', ['-D', module], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
}

const modules: string[] = [];

describe('the module against real Mesos trees', () => {
  afterAll(() => {
    for (const dir of modules) rmSync(dir, { recursive: true, force: true });
  });
  if (available.length === 0) it.skip(`skipped: ${why}`, () => {});
  for (const version of available) it(`compiles and links against Mesos ${version}, exporting the module and needing no libmesos`, async () => {
    // Header trees have no libmesos to detect the ABI from; they were built with this machine's g++.
    const module = await makeIsolator(version, '1');
    const symbols = dynamicSymbols(module);
    expect(symbols).toContain('__cxx11');
    expect(symbols).toMatch(/ B com_emccode_mesos_DockerVolumeDriverIsolator$/m);
    const needed = spawnSync('readelf', ['-d', module], { encoding: 'utf8' }).stdout;
    expect(needed).not.toContain('libmesos');
    // The agent checks the module's MESOS_VERSION against its own.
    expect(readFileSync(module).includes(Buffer.from(`\0${version}\0`))).toBe(true);
  }, 600_000);

  if (available.length > 0) it(`builds for agents of the old std::string ABI (MESOS_CXX11_ABI=0, Mesos ${available[0]})`, async () => {
    expect(dynamicSymbols(await makeIsolator(available[0]!, '0'))).not.toContain('__cxx11');
  }, 600_000);
});
