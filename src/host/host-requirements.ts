import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { ElfError, readElfVersions, type ElfVersions } from './elf-versions.js';
import { findLibrary, searchDirs, type Found, type SearchContext } from './library-search.js';
import { compareFamilies, compareVersionNames, newest, newestPerFamily, parseVersionName } from './symbol-versions.js';

/**
 * Whether this host's libraries satisfy what a set of ELF files needs, as
 * the dynamic loader will judge when the agent loads the module: every
 * `DT_NEEDED` library found, and every symbol version each file is bound to
 * (`DT_VERNEED`) defined by the library the loader would pick (`DT_VERDEF`).
 * One finding a library, naming the newest missing version and who needs it.
 */
export interface Artifact {
  /** How findings name it: a file name. */
  readonly label: string;
  readonly file: string;
}

export interface LibraryFinding {
  readonly verdict: 'ok' | 'warn' | 'fail';
  readonly text: string;
}

export interface LibraryCheck {
  /** The files checked: the artifacts given, then the dependencies followed. */
  readonly checked: readonly Artifact[];
  readonly findings: readonly LibraryFinding[];
}

interface Need {
  readonly by: string;
  readonly version: string;
  readonly weak: boolean;
}

interface Library {
  readonly name: string;
  readonly found: Found;
  readonly neededBy: string[];
  readonly needs: Need[];
}

/** "a", "a and b", "a, b and c". */
export function joinNames(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

const verb = (names: readonly string[]): string => `${joinNames(names)} ${names.length === 1 ? 'needs' : 'need'}`;

function realOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * Checks `artifacts` against the libraries `context` finds; a dependency
 * `follow` accepts (libnode) is checked as an artifact in turn, found where
 * the loader would find it for the artifact that needs it.
 */
export function checkLibraries(artifacts: readonly Artifact[], context: SearchContext, follow: (name: string) => boolean = () => false): LibraryCheck {
  const findings: LibraryFinding[] = [];
  const loaded: Array<Artifact & { readonly elf: ElfVersions }> = [];
  const seen = new Set<string>();
  const add = (a: Artifact): void => {
    const real = realOr(a.file);
    if (seen.has(real)) return;
    seen.add(real);
    try {
      loaded.push({ ...a, elf: readElfVersions(a.file) });
    } catch (e) {
      findings.push({ verdict: 'fail', text: `${a.label} cannot be loaded: ${e instanceof ElfError ? e.message : String(e)}` });
    }
  };
  for (const a of artifacts) add(a);

  const libraries = new Map<string, Library>();
  const lookups = new Map<string, Found>();
  for (let i = 0; i < loaded.length; i++) {
    const artifact = loaded[i]!;
    const requester = { file: artifact.file, elf: artifact.elf };
    const dirs = searchDirs(requester, context).join(':');
    const names = [...new Set([...artifact.elf.needed, ...artifact.elf.needs.map((n) => n.file)])];
    for (const name of names) {
      const lookup = `${name}\0${dirs}`;
      let found = lookups.get(lookup);
      if (found === undefined) {
        found = findLibrary(name, requester, context);
        lookups.set(lookup, found);
      }
      if (found.kind === 'found' && follow(name)) add({ label: name, file: found.file });
      const key = found.kind === 'missing' ? `missing\0${name}` : realOr(found.file);
      const library = libraries.get(key) ?? { name, found, neededBy: [], needs: [] };
      libraries.set(key, library);
      if (!library.neededBy.includes(artifact.label)) library.neededBy.push(artifact.label);
      for (const v of artifact.elf.needs.find((n) => n.file === name)?.versions ?? []) {
        library.needs.push({ by: artifact.label, version: v.name, weak: v.weak });
      }
    }
  }
  for (const library of libraries.values()) {
    const finding = judge(library);
    if (finding) findings.push(finding);
  }
  return { checked: loaded.map(({ label, file }) => ({ label, file })), findings };
}

/** One library's finding; none for a library that is there and is asked for no versions. */
function judge(library: Library): LibraryFinding | undefined {
  const { name, found } = library;
  if (found.kind === 'missing') {
    return { verdict: 'fail', text: `${verb(library.neededBy)} ${name}, which is not found (searched ${found.searched.join(':')})` };
  }
  if (found.kind === 'unreadable') return { verdict: 'fail', text: `${verb(library.neededBy)} ${name}, which cannot be loaded: ${found.error}` };
  if (library.needs.length === 0) return undefined;
  const where = `${name} (${found.file})`;
  if (!found.elf.versioned) {
    return { verdict: 'warn', text: `${where} defines no symbol versions, so the versions ${verb(library.neededBy)} cannot be checked` };
  }
  const provided = new Set(found.elf.provides);
  const missing = library.needs.filter((n) => !provided.has(n.version));
  const hard = missing.filter((n) => !n.weak);
  if (hard.length === 0) {
    const text = `${where} has ${joinNames(newestPerFamily(library.needs.map((n) => n.version)))}, the newest that ${verb(library.neededBy)}`;
    if (missing.length === 0) return { verdict: 'ok', text };
    return { verdict: 'warn', text: `${text}; weak version(s) ${[...new Set(missing.map((n) => n.version))].join(', ')} are missing (the loader only warns)` };
  }
  // Per family: the newest missing version and who needs it, then what the other files miss of it.
  const families = [...new Set(hard.map((n) => parseVersionName(n.version).family))].sort(compareFamilies);
  const parts = families.map((family) => {
    const inFamily = hard.filter((n) => parseVersionName(n.version).family === family);
    const byNeeder = new Map<string, string>();
    for (const n of inFamily) byNeeder.set(n.by, newest([n.version, byNeeder.get(n.by) ?? n.version])!);
    const top = newest(byNeeder.values())!;
    const upTo = newest(found.elf.provides.filter((p) => parseVersionName(p).family === family));
    const has = upTo === undefined ? `no ${family} version` : `up to ${upTo}`;
    const others = newestPerVersion(byNeeder, top).map(([version, needers]) => `${verb(needers)} ${version}`);
    return { top, needers: [...byNeeder].filter(([, v]) => v === top).map(([by]) => by), has, others };
  });
  const [first, ...rest] = parts;
  const also = (others: string[]): string => (others.length > 0 ? ` (${others.join(', ')}, missing too)` : '');
  const head = `${verb(first!.needers)} ${first!.top} from ${name}; this host's (${found.file}) provides ${first!.has}${also(first!.others)}`;
  return { verdict: 'fail', text: head + rest.map((p) => `; ${verb(p.needers)} ${p.top} (it provides ${p.has})${also(p.others)}`).join('') };
}

/** The needers of versions other than `top`, grouped by version, newest first. */
function newestPerVersion(byNeeder: ReadonlyMap<string, string>, top: string): Array<[string, string[]]> {
  const groups = new Map<string, string[]>();
  for (const [by, version] of byNeeder) if (version !== top) groups.set(version, [...(groups.get(version) ?? []), by]);
  return [...groups].sort(([a], [b]) => compareVersionNames(b, a));

}
