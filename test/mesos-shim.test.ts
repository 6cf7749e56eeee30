/**
 * The Mesos isolator module: the release table (versions/), the module's
 * Mesos-independent C++ (native/mesos/plan.cc), and, when MESOS_TREES points
 * at configured Mesos trees, the module itself compiled against each.
 *
 * MESOS_TREES=DIR: DIR/src/VERSION (configured source) and DIR/build/VERSION
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
  it('are the fourteen releases 0.23.0 to 0.27.3, oldest first', () => {
    expect(VERSIONS).toEqual([
      '0.23.0', '0.23.1', '0.24.0', '0.24.1', '0.24.2', '0.25.0', '0.25.1',
      '0.26.0', '0.26.1', '0.26.2', '0.27.0', '0.27.1', '0.27.2', '0.27.3',
    ]);
    const ints = VERSIONS.map((v) => Number(traits(v).version_int));
    expect(ints).toEqual([...ints].sort((a, b) => a - b));
    expect(new Set(ints).size).toBe(ints.length);
  });

  it('encode versions so that they order: major*10000 + minor*100 + patch', () => {
    expect(release('0.27.2', 'version_int').stdout).toBe('2702\n');
    expect(release('0.23.0', 'version_int').stdout).toBe('2300\n');
  });

  it('give each release the traits of its interface generation', () => {
    const generation = (v: string): string => (v < '0.24' ? '0.23' : v < '0.25' ? '0.24' : v < '0.27' ? '0.25' : '0.27');
    const expected: Record<string, Record<string, string>> = {
      '0.23': { base: 'IsolatorProcess', prepare: 'executor,directory,rootfs,user', result: 'CommandInfo', prepare_namespaces: 'no', namespaces_method: 'yes', config_executor: '-' },
      '0.24': { base: 'Isolator', prepare: 'executor,directory,user', result: 'ContainerPrepareInfo', prepare_namespaces: 'no', namespaces_method: 'yes', config_executor: '-' },
      '0.25': { base: 'Isolator', prepare: 'executor,directory,user', result: 'ContainerPrepareInfo', prepare_namespaces: 'yes', namespaces_method: 'no', config_executor: '-' },
      '0.27': { base: 'Isolator', prepare: 'config', result: 'ContainerLaunchInfo', prepare_namespaces: 'yes', namespaces_method: 'no', config_executor: 'executorinfo' },
    };
    for (const v of VERSIONS) {
      const t = traits(v);
      expect(t, v).toMatchObject({ ...expected[generation(v)], cxx_std: 'c++11', protobuf: '2.5.0', boost: '1.53.0', glog: '0.3.3' });
      expect(t.picojson, v).toBe(v < '0.25' ? '4f93734' : '1.3.0');
    }
  });

  it('refuse a release that is not in the table, and an unknown trait', () => {
    const r = release('1.0.0');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Mesos 1.0.0 is not a supported release');
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
const available = TREES === undefined
  ? []
  : VERSIONS.filter((v) => existsSync(path.join(TREES, 'build', v, 'include/mesos/version.hpp')));
const why = TREES === undefined
  ? 'MESOS_TREES is not set (a directory with src/VERSION and build/VERSION Mesos trees)'
  : `no configured tree under ${TREES}/build/VERSION`;

/**
 * `make isolator` against the tree of `version`, into a directory of the test's own; returns the
 * module's path. Asynchronous: a compile takes long enough to starve the test worker's event loop.
 */
async function makeIsolator(version: string, cxx11Abi: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dvdi-module-'));
  modules.push(dir);
  const r = await execFileAsync('make', ['-s', 'isolator'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DVDI_MODULE_DIR: dir,
      MESOS_VERSION: version,
      MESOS_SRC: path.join(TREES!, 'src', version),
      MESOS_BUILD: path.join(TREES!, 'build', version),
      MESOS_CXX11_ABI: cxx11Abi,
    },
  });
  // A failed make rejects with its output; warnings would land on stderr.
  expect(r.stderr).toBe('');
  return path.join(dir, `libmesos_dvdi_isolator-${version}.so`);
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
