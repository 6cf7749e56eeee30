import type { VersionNeed } from './elf-versions.js';

/**
 * Symbol version names (`GLIBC_2.34`, `GLIBCXX_3.4.30`, `CXXABI_1.3.9`):
 * a family and a dotted number. A library providing a family's newest
 * version provides the older ones too, so the newest needed version of each
 * family is the minimum a host must have. Names without a number
 * (`GLIBC_PRIVATE`, `GLIBC_ABI_DT_RELR`) are families of their own.
 */
export interface VersionName {
  readonly family: string;
  readonly numbers: readonly number[];
}

export function parseVersionName(name: string): VersionName {
  const m = /^(.+?)_(\d+(?:\.\d+)*)$/.exec(name);
  return m ? { family: m[1]!, numbers: m[2]!.split('.').map(Number) } : { family: name, numbers: [] };
}

/** Orders by the numeric parts (GLIBC_2.34 after GLIBC_2.4); names of different families by family. */
export function compareVersionNames(a: string, b: string): number {
  const x = parseVersionName(a);
  const y = parseVersionName(b);
  if (x.family !== y.family) return x.family < y.family ? -1 : 1;
  for (let i = 0; i < Math.max(x.numbers.length, y.numbers.length); i++) {
    const d = (x.numbers[i] ?? -1) - (y.numbers[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest of several names of one family. */
export function newest(names: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const n of names) if (best === undefined || compareVersionNames(n, best) > 0) best = n;
  return best;
}

/** The newest name of each family, families in `compareFamilies` order. */
export function newestPerFamily(names: Iterable<string>): string[] {
  const byFamily = new Map<string, string>();
  for (const n of names) {
    const family = parseVersionName(n).family;
    const held = byFamily.get(family);
    if (held === undefined || compareVersionNames(n, held) > 0) byFamily.set(family, n);
  }
  return [...byFamily.entries()].sort(([a], [b]) => compareFamilies(a, b)).map(([, n]) => n);
}

/** Who provides a family, as operators know it. */
export type Provider = 'glibc' | 'libstdc++' | 'libgcc_s' | 'other';

export function providerOf(family: string): Provider {
  if (family === 'GLIBC' || family.startsWith('GLIBC_')) return 'glibc';
  if (family === 'GLIBCXX' || family === 'CXXABI') return 'libstdc++';
  if (family === 'GCC') return 'libgcc_s';
  return 'other';
}

const FAMILY_ORDER = ['GLIBC', 'GLIBCXX', 'CXXABI', 'GCC'];

/** Orders families as operators read them: GLIBC, GLIBCXX, CXXABI, GCC, then the others by name. */
export function compareFamilies(a: string, b: string): number {
  const rank = (f: string): number => (FAMILY_ORDER.includes(f) ? FAMILY_ORDER.indexOf(f) : FAMILY_ORDER.length);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** One artifact's minimum: the newest version of each family it needs, with the library files that provide it. */
export interface Minimum {
  readonly version: string;
  readonly files: readonly string[];
}

export function minimumOf(needs: readonly VersionNeed[]): Minimum[] {
  const files = new Map<string, Set<string>>();
  for (const need of needs) {
    for (const v of need.versions) {
      const list = files.get(v.name) ?? new Set<string>();
      list.add(need.file);
      files.set(v.name, list);
    }
  }
  return newestPerFamily(files.keys()).map((version) => ({ version, files: [...files.get(version)!] }));
}
