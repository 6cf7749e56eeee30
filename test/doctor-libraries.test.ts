/**
 * `dvdi doctor`'s host-library check and `dvdi requirements`, through the
 * built CLI, on an installation laid out as /usr/lib/dvdi is: a stand-in
 * module (the real one needs a Mesos tree) and this build's runtime library,
 * named by a modules file as the agent's is.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DVDCLI_ENTRY, dvdi } from './helpers/cli.js';
import { gcc5Libstdcxx, standInModule } from './helpers/elf-fixtures.js';
import { tempRoot } from './helpers/harness.js';

const RUNTIME = path.resolve('build/native/libdvdi_runtime.so');
const MODULE = 'libmesos_dvdi_isolator-0.27.2.so';

let root: string;
let install: string;
let modules: string;
beforeEach(() => {
  root = tempRoot('dvdi-doctor-libs-');
  install = path.join(root, 'usr-lib-dvdi');
  standInModule(path.join(install, MODULE));
  copyFileSync(RUNTIME, path.join(install, 'libdvdi_runtime.so'));
  mkdirSync(path.join(root, 'plugins'));
  modules = path.join(root, 'dvdi-mod.json');
  const made = dvdi(['module-config', '--library', path.join(install, MODULE), '--param', `checkpoint=${path.join(root, 'state', 'dvdimounts.pb')}`, '--param', `dvdcli=${DVDCLI_ENTRY}`, '--param', `plugin_dirs=${path.join(root, 'plugins')}`]);
  expect(made.status, made.stderr).toBe(0);
  writeFileSync(modules, made.stdout);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const libraryLines = (stdout: string): string[] => stdout.split('\n').filter((l) => /^\[(?: ok |warn|FAIL)\] (?:lib|ld-linux)/.test(l) || / needs /.test(l));

describe('dvdi doctor: host libraries', () => {
  it('passes on this host, checking the module, the runtime library beside it and libnode', () => {
    const r = dvdi(['doctor', '--config', modules]);
    expect(r.stdout).toContain(`dvdi doctor: host libraries for ${path.join(install, MODULE)}, ${path.join(install, 'libdvdi_runtime.so')}, `);
    expect(r.stdout).toMatch(/host libraries for .*\/libnode\.so\.108 \(from .*dvdi-mod\.json\)\n/);
    expect(r.stdout).toMatch(/\n\[ ok \] libstdc\+\+\.so\.6 \(\S+\) has GLIBCXX_3\.4\.30 and CXXABI_1\.3\.9, the newest that libmesos_dvdi_isolator-0\.27\.2\.so, libdvdi_runtime\.so and libnode\.so\.108 need\n/);
    expect(r.stdout).toMatch(/\n\[ ok \] libc\.so\.6 \(\S+\) has GLIBC_2\.34, /);
    expect(libraryLines(r.stdout).filter((l) => !l.startsWith('[ ok ]'))).toEqual([]);
    expect(r.stdout).toMatch(/verdict: ready/);
    expect(r.status, r.stdout).toBe(0);
  });

  it('fails against a GCC 5-era libstdc++ on the agent\'s library path, naming the version and who needs it', () => {
    const old = path.join(root, 'old-libs');
    gcc5Libstdcxx(old);
    const r = dvdi(['doctor', '--config', modules, '--library-path', old]);
    expect(r.stdout).toContain(`(from ${modules}, library path ${old})\n`);
    expect(r.stdout).toContain(
      `\n[FAIL] libdvdi_runtime.so needs GLIBCXX_3.4.30 from libstdc++.so.6; this host's (${old}/libstdc++.so.6) provides up to GLIBCXX_3.4.21 (libnode.so.108 needs GLIBCXX_3.4.29, missing too)\n`,
    );
    expect(r.stdout).toMatch(/\[ ok \] libc\.so\.6 /);
    expect(r.stdout).toMatch(/verdict: NOT ready/);
    expect(r.stderr).toMatch(/dvdi doctor: \d+ check\(s\) failed/);
    expect(r.status).toBe(1);
  });

  it('takes the library path from LD_LIBRARY_PATH when no flag gives one', () => {
    // Not a libstdc++, which node itself needs: a libnode, which only the runtime library loads.
    const libs = path.join(root, 'agent-libs');
    mkdirSync(libs);
    writeFileSync(path.join(libs, 'libnode.so.108'), 'truncated download\n');
    const r = dvdi(['doctor', '--config', modules], { ...process.env, LD_LIBRARY_PATH: libs });
    expect(r.stdout).toContain(`(from ${modules}, library path ${libs})\n`);
    expect(r.stdout).toContain(`[FAIL] libdvdi_runtime.so needs libnode.so.108, which cannot be loaded: ${libs}/libnode.so.108: not an ELF file: no \\x7fELF magic\n`);
    expect(r.status).toBe(1);
  });

  it('says what is wrong with a module that is missing or not a shared object, without a crash', () => {
    rmSync(path.join(install, MODULE));
    const missing = dvdi(['doctor', '--config', modules]);
    expect(missing.stdout).toContain(`[FAIL] the module ${path.join(install, MODULE)}, named by ${modules}, is missing\n`);
    expect(missing.status).toBe(1);

    writeFileSync(path.join(install, MODULE), '<html>404 Not Found</html>\n');
    const broken = dvdi(['doctor', '--config', modules]);
    expect(broken.stdout).toContain(`[FAIL] ${MODULE} cannot be loaded: ${path.join(install, MODULE)}: not an ELF file: no \\x7fELF magic\n`);
    expect(broken.stderr).not.toMatch(/at |Error:/);
    expect(broken.status).toBe(1);
  });

  it('checks the runtime library the runtime_library parameter names', () => {
    const elsewhere = path.join(root, 'elsewhere', 'libdvdi_runtime.so');
    const config = path.join(root, 'params.json');
    writeFileSync(config, JSON.stringify({ runtime_library: elsewhere }));
    const r = dvdi(['doctor', '--config', config]);
    expect(r.stdout).toContain(`[FAIL] the runtime library ${elsewhere} (parameter runtime_library) is missing\n`);
    mkdirSync(path.dirname(elsewhere));
    copyFileSync(RUNTIME, elsewhere);
    const found = dvdi(['doctor', '--config', config]);
    expect(found.stdout).toContain(`dvdi doctor: host libraries for ${elsewhere}, `);
  });
});

/** The newest needed version of each family, from `objdump -p`'s version references. */
function objdumpMinimum(file: string): string[] {
  const out = spawnSync('objdump', ['-p', file], { encoding: 'utf8' }).stdout;
  const newer = (a: number[], b: number[]): boolean => {
    for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? -1) !== (b[i] ?? -1)) return (a[i] ?? -1) > (b[i] ?? -1);
    return false;
  };
  const newest = new Map<string, number[]>();
  for (const m of out.matchAll(/^\s+0x[0-9a-f]+ 0x[0-9a-f]+ \d+ (\w+?)_(\d+(?:\.\d+)*)$/gm)) {
    const nums = m[2]!.split('.').map(Number);
    const held = newest.get(m[1]!);
    if (held === undefined || newer(nums, held)) newest.set(m[1]!, nums);
  }
  return [...newest].map(([family, nums]) => `${family}_${nums.join('.')}`);
}

describe('dvdi requirements', () => {
  it('prints the newest version of each family a file needs, as objdump reads them, and the minimum of all', () => {
    const r = dvdi(['requirements', '--dependency', 'libnode.so.108', path.join(install, MODULE), RUNTIME]);
    expect(r.status, r.stderr).toBe(0);
    const rows = new Map(r.stdout.trim().split('\n').map((l) => [l.split(/\s+/)[0]!, l] as const));
    expect(rows.get('file')).toMatch(/^file\s+glibc\s+libstdc\+\+\s+libgcc_s\s+other$/);
    for (const v of objdumpMinimum(RUNTIME)) expect(rows.get('libdvdi_runtime.so')).toContain(v);
    expect(rows.get('libdvdi_runtime.so')).toMatch(/GLIBC_2\.34\s+GLIBCXX_3\.4\.30, CXXABI_1\.3\.9\s+GCC_3\.0$/);
    expect(rows.get('libnode.so.108')).toMatch(/OPENSSL_3\.0\.0 \(libssl\.so\.3, libcrypto\.so\.3\)/);
    expect(rows.get('host')).toMatch(/^host minimum\s+GLIBC_2\.34\s+GLIBCXX_3\.4\.30, CXXABI_1\.3\.9\s+GCC_3\.4\s+OPENSSL_3\.0\.0/);
    expect(r.stdout).toMatch(/\nlibnode\.so\.108: \/\S+\/libnode\.so\.108, as libdvdi_runtime\.so finds it on this host\n$/);
  });

  it('writes a Markdown table with --markdown', () => {
    const r = dvdi(['requirements', '--markdown', RUNTIME]);
    expect(r.stdout).toBe(
      '| file | glibc | libstdc++ | libgcc_s | other |\n| --- | --- | --- | --- | --- |\n' +
        '| libdvdi_runtime.so | GLIBC_2.34 | GLIBCXX_3.4.30, CXXABI_1.3.9 | GCC_3.0 |   |\n' +
        '| **host minimum** | GLIBC_2.34 | GLIBCXX_3.4.30, CXXABI_1.3.9 | GCC_3.0 |   |\n',
    );
  });

  it('refuses what is not ELF with a one-line reason, and says when a dependency is not found', () => {
    const text = path.join(root, 'notes.txt');
    writeFileSync(text, 'hello\n');
    const r = dvdi(['requirements', text]);
    expect(r.stderr).toBe(`dvdi: ${text}: not an ELF file: no \\x7fELF magic\n`);
    expect(r.status).toBe(1);
    expect(dvdi(['requirements']).status).toBe(2);
    const absent = dvdi(['requirements', '--dependency', 'libabsent.so.1', RUNTIME]);
    expect(absent.stderr).toBe('dvdi requirements: none of the files needs libabsent.so.1; its requirements are not stated\n');
    expect(absent.status).toBe(0);
  });
});
