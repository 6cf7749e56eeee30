/**
 * `make dist` states the host requirements: it prints the newest glibc and
 * libstdc++ symbol versions each shipped file needs and writes them into the
 * tarball's INSTALL.md; the tarball's own `dvdi doctor`, run from the
 * unpacked directory as from /usr/lib/dvdi, checks the host against them.
 * The module needs a Mesos tree, so a stand-in shared object takes its place.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcc5Libstdcxx, standInModule } from './helpers/elf-fixtures.js';
import { tempRoot } from './helpers/harness.js';

const ROOT = path.resolve('.');
const VERSION = '0.27.2';
const NAME = `dvdi-isolator-${VERSION}-cxx11`;
const MODULE = `libmesos_dvdi_isolator-${VERSION}.so`;
/** Where this machine keeps libnode when a third-party nodejs blocks Debian's package. */
const LOCAL_LIBNODE = path.join(ROOT, '.deps/libnode/usr/lib/x86_64-linux-gnu');

let root: string;
let unpacked: string;
let printed: string;

beforeAll(() => {
  root = tempRoot('dvdi-dist-req-');
  const built = path.join(root, 'build', `mesos-${VERSION}`);
  standInModule(path.join(built, MODULE));
  for (const f of ['dvdi-runtime.cjs', 'dvdi-cli.cjs']) copyFileSync(path.join(ROOT, 'dist', f), path.join(built, f));
  const dist = spawnSync('sh', ['native/mesos/dist.sh'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, MESOS_VERSION: VERSION, DVDI_MODULE_DIR: path.join(root, 'build') },
  });
  expect(dist.status, dist.stderr).toBe(0);
  printed = dist.stdout;
  unpacked = path.join(root, 'usr-lib');
  mkdirSync(unpacked);
  const tar = spawnSync('tar', ['-xzf', path.join(root, 'build', `${NAME}.tar.gz`), '-C', unpacked], { encoding: 'utf8' });
  expect(tar.status, tar.stderr).toBe(0);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The unpacked launcher, finding libnode where this machine keeps it (an agent host has it in /usr/lib). */
function launcher(args: string[]) {
  const env: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  if (existsSync(LOCAL_LIBNODE)) env.LD_LIBRARY_PATH = LOCAL_LIBNODE;
  return spawnSync(path.join(unpacked, NAME, 'dvdi'), args, { encoding: 'utf8', env, timeout: 60_000 });
}

describe('make dist: host requirements', () => {
  it('prints the newest versions each shipped file and libnode need, and the minimum of all', () => {
    const lines = printed.split('\n');
    const at = lines.indexOf('dist: host requirements (the newest symbol version each file needs):');
    expect(at, printed).toBeGreaterThanOrEqual(0);
    const rows = new Map(lines.slice(at + 1, at + 7).map((l) => [l.split(/\s+/)[0]!, l] as const));
    expect([...rows.keys()]).toEqual(['file', MODULE, 'libdvdi_runtime.so', 'dvdi', 'libnode.so.108', 'host']);
    expect(rows.get('libdvdi_runtime.so')).toMatch(/\sGLIBC_2\.34\s+GLIBCXX_3\.4\.30, CXXABI_1\.3\.9\s/);
    expect(rows.get('dvdi')).toMatch(/\sGLIBC_2\.34\s+GLIBCXX_3\.\S+, CXXABI_1\.3\.\d+\s/);
    expect(rows.get('host')).toMatch(/^host minimum\s+GLIBC_2\.34\s+GLIBCXX_3\.4\.30, CXXABI_1\.3\.9\s+GCC_3\.4\s+OPENSSL_3\.0\.0/);
    expect(printed).toMatch(new RegExp(`dist: ${root}/build/${NAME}\\.tar\\.gz\\n$`));
  });

  it('states them in the tarball\'s INSTALL.md as a table', () => {
    const install = readFileSync(path.join(unpacked, NAME, 'INSTALL.md'), 'utf8');
    expect(install).not.toContain('@');
    expect(install).toContain('| file | glibc | libstdc++ | libgcc_s | other |\n| --- | --- | --- | --- | --- |\n');
    expect(install).toContain(`| ${MODULE} | GLIBC_`);
    expect(install).toContain('| libdvdi_runtime.so | GLIBC_2.34 | GLIBCXX_3.4.30, CXXABI_1.3.9 | GCC_3.0 |   |\n');
    expect(install).toMatch(/\| \*\*host minimum\*\* \| GLIBC_2\.34 \| GLIBCXX_3\.4\.30, CXXABI_1\.3\.9 \| GCC_3\.4 \| OPENSSL_3\.0\.0 /);
    // The build host's paths stay out of an operator's notes.
    expect(install).not.toContain(ROOT);
  });

  it('lets the installed dvdi check the host against the files beside it', () => {
    const dir = path.join(unpacked, NAME);
    const args = ['doctor', '--checkpoint', path.join(root, 'state', 'dvdimounts.pb'), '--plugin-dirs', root];
    const ok = launcher(args);
    expect(ok.stdout, ok.stderr).toContain(`dvdi doctor: host libraries for ${dir}/${MODULE}, ${dir}/libdvdi_runtime.so, ${dir}/dvdi, `);
    expect(ok.stdout).toMatch(/\n\[ ok \] libstdc\+\+\.so\.6 \(\S+\) has GLIBCXX_3\.4\.30 and CXXABI_1\.3\.9, the newest that .*libdvdi_runtime\.so, dvdi and libnode\.so\.108 need\n/);
    expect(ok.stdout).not.toMatch(/\[FAIL\] .*lib/);

    // The agent's library path holding a GCC 5-era libstdc++ (the launcher itself runs on the system's).
    const old = path.join(root, 'old-libs');
    gcc5Libstdcxx(old);
    const refused = launcher([...args, '--library-path', old]);
    expect(refused.stdout).toContain(`[FAIL] libdvdi_runtime.so needs GLIBCXX_3.4.30 from libstdc++.so.6; this host's (${old}/libstdc++.so.6) provides up to GLIBCXX_3.4.21`);
    expect(refused.status).toBe(1);
  });
});
