/** Real shared objects for the host-requirement tests, built with this machine's g++. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';

/** Compiles C++ `source` into the shared object `file`; `args` go to g++ after the source (libraries, -Wl options). */
export function sharedObject(file: string, source: string, args: readonly string[] = []): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const cc = `${file}.cc`;
  writeFileSync(cc, source);
  const r = spawnSync('g++', ['-shared', '-fPIC', '-o', file, cc, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return file;
}

/** A Mesos module stand-in: a shared object using std::string, as the module does. */
export function standInModule(file: string): string {
  return sharedObject(file, '#include <string>\nstd::string dvdi_stand_in() { return "module"; }\n');
}

/**
 * A shared object with `versions` as its version nodes (`DT_VERDEF`), one
 * symbol each, and `soname`: a host library of another age, as far as
 * the loader's version check goes.
 */
export function versionedLibrary(file: string, soname: string, versions: readonly string[]): string {
  const script = `${file}.map`;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(script, versions.map((v, i) => `${v} { global: dvdi_fixture_${i};${i === 0 ? ' local: *;' : ''} };\n`).join(''));
  const source = versions.map((_, i) => `extern "C" void dvdi_fixture_${i}() {}\n`).join('');
  return sharedObject(file, source, [`-Wl,-soname,${soname}`, `-Wl,--version-script,${script}`]);
}

/** GCC 5's libstdc++ as the loader sees it: GLIBCXX_3.4 … 3.4.21 and CXXABI_1.3 … 1.3.9, in `dir`/libstdc++.so.6. */
export function gcc5Libstdcxx(dir: string): string {
  const glibcxx = ['GLIBCXX_3.4', ...Array.from({ length: 21 }, (_, i) => `GLIBCXX_3.4.${i + 1}`)];
  const cxxabi = ['CXXABI_1.3', ...Array.from({ length: 9 }, (_, i) => `CXXABI_1.3.${i + 1}`)];
  return versionedLibrary(path.join(dir, 'libstdc++.so.6'), 'libstdc++.so.6', [...glibcxx, ...cxxabi]);
}
