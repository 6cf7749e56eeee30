/**
 * The host-library check on real files: this build's runtime library against
 * this host, against a GCC 5-era libstdc++ given as the agent's library
 * path, and small shared objects whose dependencies go missing, lose their
 * versions or are not ELF at all.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLibraries, joinNames } from '../src/host/host-requirements.js';
import { hostSearchContext, ldSoConfDirs } from '../src/host/library-search.js';
import { gcc5Libstdcxx, sharedObject, versionedLibrary } from './helpers/elf-fixtures.js';
import { tempRoot } from './helpers/harness.js';

const RUNTIME = path.resolve('build/native/libdvdi_runtime.so');
const isLibnode = (name: string): boolean => name.startsWith('libnode.so');

let dir: string;
beforeEach(() => {
  dir = tempRoot('dvdi-hostreq-');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('checking an artifact against the host libraries', () => {
  it('passes this build on this host, following the runtime library to libnode', () => {
    const check = checkLibraries([{ label: 'libdvdi_runtime.so', file: RUNTIME }], hostSearchContext([]), isLibnode);
    expect(check.checked.map((a) => a.label)).toEqual(['libdvdi_runtime.so', 'libnode.so.108']);
    expect(check.findings.filter((f) => f.verdict !== 'ok')).toEqual([]);
    const texts = check.findings.map((f) => f.text);
    expect(texts).toContainEqual(expect.stringMatching(/^libstdc\+\+\.so\.6 \(\S+\) has GLIBCXX_3\.4\.30 and CXXABI_1\.3\.9, the newest that libdvdi_runtime\.so and libnode\.so\.108 need$/));
    expect(texts).toContainEqual(expect.stringMatching(/^libc\.so\.6 \(\S+\) has GLIBC_2\.34, the newest that libdvdi_runtime\.so and libnode\.so\.108 need$/));
  });

  it('names the newest missing version and who needs it when libstdc++ is too old', () => {
    const old = path.join(dir, 'old');
    gcc5Libstdcxx(old);
    const check = checkLibraries([{ label: 'libdvdi_runtime.so', file: RUNTIME }], hostSearchContext([old]), isLibnode);
    const failures = check.findings.filter((f) => f.verdict === 'fail').map((f) => f.text);
    expect(failures).toEqual([
      `libdvdi_runtime.so needs GLIBCXX_3.4.30 from libstdc++.so.6; this host's (${old}/libstdc++.so.6) provides up to GLIBCXX_3.4.21 ` +
        '(libnode.so.108 needs GLIBCXX_3.4.29, missing too)',
    ]);
    // The rest is still checked against the system's libraries.
    expect(check.findings).toContainEqual({ verdict: 'ok', text: expect.stringMatching(/^libc\.so\.6 /) });

    // The real loader refuses it too, for the same version.
    const loader = path.join(dir, 'dlopen');
    writeFileSync(`${loader}.c`, '#include <dlfcn.h>\n#include <stdio.h>\nint main(int c, char **v) { if (dlopen(v[1], RTLD_NOW)) return 0; puts(dlerror()); return 1; }\n');
    const cc = spawnSync('gcc', ['-o', loader, `${loader}.c`, '-ldl'], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    expect(spawnSync(loader, [RUNTIME], { encoding: 'utf8' }).status).toBe(0);
    const refused = spawnSync(loader, [RUNTIME], { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: old } });
    expect(refused.stdout).toBe(`${old}/libstdc++.so.6: version \`GLIBCXX_3.4.30' not found (required by ${RUNTIME})\n`);
  });

  it('names each family that is missing, and what the library has of it', () => {
    const lib = path.join(dir, 'lib');
    versionedLibrary(path.join(lib, 'libdep.so'), 'libdep.so', ['DEP_1.0', 'DEP_1.2', 'OTHER_2.0']);
    const artifact = sharedObject(path.join(dir, 'art.so'), 'extern "C" void dvdi_fixture_1(); extern "C" void dvdi_fixture_2();\nvoid f() { dvdi_fixture_1(); dvdi_fixture_2(); }\n', [`-L${lib}`, '-ldep']);
    // The same names, as an older release of the library defines them.
    versionedLibrary(path.join(lib, 'libdep.so'), 'libdep.so', ['DEP_1.0', 'DEP_1.1', 'OTHER_1.0']);
    const check = checkLibraries([{ label: 'art.so', file: artifact }], hostSearchContext([lib]));
    expect(check.findings.find((f) => f.verdict === 'fail')?.text).toBe(
      `art.so needs DEP_1.2 from libdep.so; this host's (${lib}/libdep.so) provides up to DEP_1.1; art.so needs OTHER_2.0 (it provides up to OTHER_1.0)`,
    );
  });

  it('finds a dependency through $ORIGIN, and says where it looked once it is gone', () => {
    const dep = sharedObject(path.join(dir, 'libdep.so'), 'extern "C" int dvdi_dep() { return 1; }\n');
    const artifact = sharedObject(path.join(dir, 'art.so'), 'extern "C" int dvdi_dep();\nint f() { return dvdi_dep(); }\n', [`-L${dir}`, '-ldep', "-Wl,-rpath,$ORIGIN"]);
    expect(checkLibraries([{ label: 'art.so', file: artifact }], hostSearchContext([])).findings.filter((f) => f.verdict !== 'ok')).toEqual([]);
    unlinkSync(dep);
    const missing = checkLibraries([{ label: 'art.so', file: artifact }], hostSearchContext([])).findings.filter((f) => f.verdict === 'fail');
    expect(missing).toHaveLength(1);
    expect(missing[0]!.text).toMatch(new RegExp(`^art\\.so needs libdep\\.so, which is not found \\(searched ${dir}:.*/usr/lib/x86_64-linux-gnu`));
  });

  it('warns when a library asked for versions defines none', () => {
    versionedLibrary(path.join(dir, 'libdep.so'), 'libdep.so', ['DEP_1.0']);
    const artifact = sharedObject(path.join(dir, 'art.so'), 'extern "C" void dvdi_fixture_0();\nvoid f() { dvdi_fixture_0(); }\n', [`-L${dir}`, '-ldep']);
    sharedObject(path.join(dir, 'libdep.so'), 'extern "C" void dvdi_fixture_0() {}\n');
    const findings = checkLibraries([{ label: 'art.so', file: artifact }], hostSearchContext([dir])).findings;
    expect(findings).toContainEqual({ verdict: 'warn', text: `libdep.so (${dir}/libdep.so) defines no symbol versions, so the versions art.so needs cannot be checked` });
  });

  it('fails clearly on an artifact or a library that is not ELF, and passes over one of another class', () => {
    const notElf = path.join(dir, 'libmesos_dvdi_isolator-0.27.2.so');
    writeFileSync(notElf, 'not a shared object\n');
    expect(checkLibraries([{ label: path.basename(notElf), file: notElf }], hostSearchContext([])).findings).toEqual([
      { verdict: 'fail', text: `libmesos_dvdi_isolator-0.27.2.so cannot be loaded: ${notElf}: not an ELF file: no \\x7fELF magic` },
    ]);

    const lib = path.join(dir, 'lib');
    mkdirSync(lib);
    writeFileSync(path.join(lib, 'libc.so.6'), '/* GNU ld script */\nGROUP ( /lib/x86_64-linux-gnu/libc.so.6 )\n');
    const broken = checkLibraries([{ label: 'libdvdi_runtime.so', file: RUNTIME }], hostSearchContext([lib])).findings.filter((f) => f.verdict === 'fail');
    expect(broken.map((f) => f.text)).toEqual([`libdvdi_runtime.so needs libc.so.6, which cannot be loaded: ${lib}/libc.so.6: not an ELF file: no \\x7fELF magic`]);

    // An ELF32 header: the loader skips it and goes on to the system's libstdc++.
    const header = Buffer.from(readFileSync(RUNTIME).subarray(0, 64));
    header[4] = 1;
    header.fill(0, 24);
    writeFileSync(path.join(lib, 'libstdc++.so.6'), header);
    unlinkSync(path.join(lib, 'libc.so.6'));
    const skipped = checkLibraries([{ label: 'libdvdi_runtime.so', file: RUNTIME }], hostSearchContext([lib])).findings;
    expect(skipped).toContainEqual({ verdict: 'ok', text: expect.stringMatching(/^libstdc\+\+\.so\.6 \(\/(usr\/)?lib\/x86_64-linux-gnu\/libstdc\+\+\.so\.6\)/) });
  });

  it('reads ld.so.conf with its includes, as ldconfig does', () => {
    const conf = path.join(dir, 'ld.so.conf');
    mkdirSync(path.join(dir, 'ld.so.conf.d'));
    writeFileSync(conf, '# comment\ninclude ld.so.conf.d/*.conf\n/opt/first\n');
    writeFileSync(path.join(dir, 'ld.so.conf.d', 'b.conf'), '/opt/b # trailing\n');
    writeFileSync(path.join(dir, 'ld.so.conf.d', 'a.conf'), '/opt/a\nrelative/ignored\n');
    writeFileSync(path.join(dir, 'ld.so.conf.d', 'skip.txt'), '/opt/not-included\n');
    expect(ldSoConfDirs(conf)).toEqual(['/opt/a', '/opt/b', '/opt/first']);
    expect(ldSoConfDirs(path.join(dir, 'absent.conf'))).toEqual([]);
    writeFileSync(path.join(dir, 'loop.conf'), 'include loop.conf\n/opt/loop\n');
    expect(ldSoConfDirs(path.join(dir, 'loop.conf'))).toContain('/opt/loop');
  });

  it('joins names as a sentence does', () => {
    expect([joinNames(['a']), joinNames(['a', 'b']), joinNames(['a', 'b', 'c'])]).toEqual(['a', 'a and b', 'a, b and c']);
  });
});
