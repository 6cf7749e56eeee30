/**
 * The ELF reader against an independent one: binutils' `objdump -p` (the
 * dynamic section, version definitions and references) and `objdump -T` (the
 * version of every dynamic symbol), on real files of this machine. Then
 * broken input: every kind gives an ElfError, never another exception.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, ElfError, parseElfVersions, readElfVersions, type ElfVersions } from '../src/host/elf-versions.js';
import { compareVersionNames, minimumOf, newest, newestPerFamily, parseVersionName } from '../src/host/symbol-versions.js';
import { tempRoot } from './helpers/harness.js';

const ROOT = path.resolve('.');
const LIBDIR = '/lib/x86_64-linux-gnu';
const LIBNODE = path.join(ROOT, '.deps/libnode/usr/lib/x86_64-linux-gnu/libnode.so.108');
const FILES = [
  path.join(ROOT, 'build/native/libdvdi_runtime.so'),
  path.join(ROOT, 'build/native/dvdi'),
  path.join(LIBDIR, 'libc.so.6'),
  path.join(LIBDIR, 'libstdc++.so.6'),
  path.join(LIBDIR, 'libgcc_s.so.1'),
  path.join(LIBDIR, 'libm.so.6'),
  ...(existsSync(LIBNODE) ? [LIBNODE] : [path.join(LIBDIR, 'libnode.so.108')]),
];

interface Objdump {
  needed: string[];
  soname?: string;
  runpath?: string;
  rpath?: string;
  needs: Map<string, Array<{ name: string; weak: boolean }>>;
  provides: string[];
  base: string[];
}

/** `objdump -p`'s dynamic section and version information. */
function objdumpP(file: string): Objdump {
  const r = spawnSync('objdump', ['-p', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  const out: Objdump = { needed: [], needs: new Map(), provides: [], base: [] };
  let part = '';
  let from = '';
  for (const line of r.stdout.split('\n')) {
    if (/^(Dynamic Section|Version definitions|Version References):$/.test(line)) {
      part = line;
      continue;
    }
    if (line.trim() === '') {
      part = '';
      continue;
    }
    if (part === 'Dynamic Section:') {
      const [tag, value] = line.trim().split(/\s+/);
      if (tag === 'NEEDED') out.needed.push(value!);
      if (tag === 'SONAME') out.soname = value!;
      if (tag === 'RUNPATH') out.runpath = value!;
      if (tag === 'RPATH') out.rpath = value!;
    } else if (part === 'Version definitions:') {
      const m = /^\d+ 0x([0-9a-f]+) 0x[0-9a-f]+ (\S+)$/.exec(line);
      if (m) (parseInt(m[1]!, 16) & 1 ? out.base : out.provides).push(m[2]!);
    } else if (part === 'Version References:') {
      const file = /^\s+required from (\S+):$/.exec(line);
      if (file) {
        from = file[1]!;
        out.needs.set(from, []);
      }
      const m = /^\s+0x[0-9a-f]+ 0x([0-9a-f]+) \d+ (\S+)$/.exec(line);
      if (m) out.needs.get(from)!.push({ name: m[2]!, weak: (parseInt(m[1]!, 16) & 2) !== 0 });
    }
  }
  return out;
}

/** `objdump -T`: the version names of the undefined and of the defined dynamic symbols. */
function objdumpT(file: string): { undefined: Set<string>; defined: Set<string> } {
  const r = spawnSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  expect(r.status, r.stderr).toBe(0);
  const out = { undefined: new Set<string>(), defined: new Set<string>() };
  for (const line of r.stdout.split('\n')) {
    const m = /^[0-9a-f]{16} .{7} (\S+)\s*\t[0-9a-f]+\s+\(?([A-Za-z][\w.]*)\)?\s+\S/.exec(line);
    if (!m || m[2] === 'Base') continue;
    (m[1] === '*UND*' ? out.undefined : out.defined).add(m[2]!);
  }
  return out;
}

describe('reading ELF symbol versions, checked against objdump', () => {
  for (const file of FILES) {
    it(`reads ${file} as objdump does`, () => {
      if (!existsSync(file)) throw new Error(`${file} is missing: build first (npm run build), and install libnode (make deps)`);
      const elf = readElfVersions(file);
      const ref = objdumpP(file);
      expect(elf.dynamic).toBe(true);
      expect([elf.bits, elf.machine]).toEqual([64, 62]);
      expect(elf.needed).toEqual(ref.needed);
      expect(elf.soname).toBe(ref.soname);
      expect(elf.runpath).toBe(ref.runpath);
      expect(elf.rpath).toBe(ref.rpath);
      expect(new Map(elf.needs.map((n) => [n.file, n.versions]))).toEqual(ref.needs);
      expect(elf.provides).toEqual(ref.provides);
      expect(elf.versioned).toBe(ref.base.length > 0);

      // Every version a dynamic symbol is bound to is one the reader found
      // (an executable's copy-relocated data, such as stderr, is defined with a needed version).
      const symbols = objdumpT(file);
      const needed = elf.needs.flatMap((n) => n.versions.map((v) => v.name));
      for (const v of symbols.undefined) expect(needed, `${v} (undefined symbol)`).toContain(v);
      for (const v of symbols.defined) expect([...elf.provides, ...needed, elf.soname], `${v} (defined symbol)`).toContain(v);
    });
  }

  it('finds what this build needs: glibc 2.34 and GCC 12 libstdc++ for the runtime library', () => {
    const minimum = minimumOf(readElfVersions(path.join(ROOT, 'build/native/libdvdi_runtime.so')).needs).map((m) => m.version);
    expect(minimum).toEqual(expect.arrayContaining(['GLIBC_2.34', 'GLIBCXX_3.4.30']));
    const libstdcxx = readElfVersions(path.join(LIBDIR, 'libstdc++.so.6'));
    expect(libstdcxx.soname).toBe('libstdc++.so.6');
    expect(newest(libstdcxx.provides.filter((v) => v.startsWith('GLIBCXX_')))).toMatch(/^GLIBCXX_3\.4\.(3\d)$/);
  });
});

describe('symbol version names', () => {
  it('compare by their numeric parts', () => {
    expect(compareVersionNames('GLIBC_2.34', 'GLIBC_2.4')).toBeGreaterThan(0);
    expect(compareVersionNames('GLIBC_2.2.5', 'GLIBC_2.2')).toBeGreaterThan(0);
    expect(compareVersionNames('GLIBCXX_3.4.9', 'GLIBCXX_3.4.30')).toBeLessThan(0);
    expect(compareVersionNames('GLIBC_2.34', 'GLIBC_2.34')).toBe(0);
    expect(parseVersionName('CXXABI_TM_1')).toEqual({ family: 'CXXABI_TM', numbers: [1] });
    expect(parseVersionName('GLIBC_PRIVATE')).toEqual({ family: 'GLIBC_PRIVATE', numbers: [] });
    expect(newestPerFamily(['GCC_3.0', 'GLIBCXX_3.4.9', 'GLIBC_2.4', 'GLIBCXX_3.4.30', 'GLIBC_2.34', 'CXXABI_1.3.9', 'GLIBC_2.2.5'])).toEqual([
      'GLIBC_2.34', 'GLIBCXX_3.4.30', 'CXXABI_1.3.9', 'GCC_3.0',
    ]);
  });
});

describe('broken input', () => {
  let dir: string;
  let good: Buffer;
  beforeAll(() => {
    dir = tempRoot('dvdi-elf-');
    good = readFileSync(path.join(ROOT, 'build/native/libdvdi_runtime.so'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const parse = (bytes: Buffer): ElfVersions => parseElfVersions(bufferSource(bytes));
  const elfError = (bytes: Buffer): string => {
    try {
      parse(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ElfError);
      return (e as Error).message;
    }
    throw new Error('parsed without complaint');
  };

  it('names what is wrong with a file that is not ELF', () => {
    expect(elfError(Buffer.alloc(0))).toMatch(/not an ELF file: no \\x7fELF magic/);
    expect(elfError(Buffer.from('#!/bin/sh\necho this is a script\n'))).toMatch(/not an ELF file: no \\x7fELF magic/);
    const wrongClass = Buffer.from(good.subarray(0, 64));
    wrongClass[4] = 7;
    expect(elfError(wrongClass)).toMatch(/unknown ELF class 7/);
    const file = path.join(dir, 'libfake.so');
    writeFileSync(file, 'INPUT(-lc)\n');
    expect(() => readElfVersions(file)).toThrow(new ElfError(`${file}: not an ELF file: no \\x7fELF magic`));
    expect(() => readElfVersions(path.join(dir, 'absent.so'))).toThrow(/absent\.so: ENOENT/);
  });

  it('says truncated for a file cut short anywhere, and never throws anything but ElfError', () => {
    expect(elfError(good.subarray(0, 20))).toMatch(/truncated/);
    for (const size of [64, 200, 0x1000, 0x2000, 0x3000, good.length >> 1]) {
      const cut = good.subarray(0, size);
      try {
        parse(cut);
      } catch (e) {
        expect(e, `cut at ${size}`).toBeInstanceOf(ElfError);
      }
    }
  });

  it('survives corrupt bytes anywhere in the headers and tables (a seeded fuzz)', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    // The headers, program headers and the version and string tables live in
    // the first 0x5000 bytes; the dynamic segment is where objdump says.
    const dynamic = /DYNAMIC off\s+0x([0-9a-f]+)/.exec(spawnSync('objdump', ['-p', path.join(ROOT, 'build/native/libdvdi_runtime.so')], { encoding: 'utf8' }).stdout);
    const dynamicAt = parseInt(dynamic![1]!, 16);
    for (let round = 0; round < 600; round++) {
      const bytes = Buffer.from(good);
      for (let k = 0; k < 1 + random(8); k++) {
        bytes[round % 3 === 0 ? dynamicAt + random(0x200) : random(0x5000)] = random(256);
      }
      try {
        parse(bytes);
      } catch (e) {
        expect(e, `round ${round}`).toBeInstanceOf(ElfError);
      }
    }
  });

  it('reads a static executable as having nothing to load', () => {
    const source = path.join(dir, 'static.c');
    writeFileSync(source, 'int main(void) { return 0; }\n');
    const out = path.join(dir, 'static');
    const cc = spawnSync('gcc', ['-static', '-o', out, source], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    expect(readElfVersions(out)).toMatchObject({ dynamic: false, needed: [], needs: [], provides: [] });
  });
});
