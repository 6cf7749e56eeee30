import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { ElfError, readElfVersions, type ElfVersions } from './elf-versions.js';
import { isFileSync } from '../util/path-exists.js';

/**
 * Finds a `DT_NEEDED` library as glibc's dynamic loader does: the
 * requester's `DT_RPATH` (only without a `DT_RUNPATH`), `LD_LIBRARY_PATH`,
 * its `DT_RUNPATH`, the directories of /etc/ld.so.conf (what ldconfig puts
 * in the cache), then the default directories. `$ORIGIN` is the requester's
 * directory. A file of another class or machine is passed over, as the
 * loader passes it over.
 */
export interface SearchContext {
  /** As `LD_LIBRARY_PATH`: searched before the requester's `DT_RUNPATH`. */
  readonly libraryPath: readonly string[];
  /** /etc/ld.so.conf's directories and the defaults. */
  readonly systemDirs: readonly string[];
}

export interface Requester {
  readonly file: string;
  readonly elf: ElfVersions;
}

export type Found =
  | { readonly kind: 'found'; readonly file: string; readonly elf: ElfVersions }
  | { readonly kind: 'unreadable'; readonly file: string; readonly error: string }
  | { readonly kind: 'missing'; readonly searched: readonly string[] };

const MULTIARCH: Readonly<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', ia32: 'i386-linux-gnu' };

/** The loader's built-in directories on this architecture (Debian's multiarch ones first). */
export function defaultDirs(arch: string = process.arch): string[] {
  const multiarch = MULTIARCH[arch];
  const dirs = multiarch ? [`/lib/${multiarch}`, `/usr/lib/${multiarch}`] : [];
  return [...dirs, '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
}

/** Directories named by an ld.so.conf and the files it includes (`include GLOB`); a missing file names none. */
export function ldSoConfDirs(file = '/etc/ld.so.conf', depth = 0): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '' || line.startsWith('hwcap ')) continue;
    const include = /^include\s+(.+)$/.exec(line);
    if (include) {
      if (depth > 8) continue;
      for (const pattern of include[1]!.trim().split(/\s+/)) {
        for (const f of expandGlob(path.resolve(path.dirname(file), pattern))) dirs.push(...ldSoConfDirs(f, depth + 1));
      }
    } else {
      dirs.push(...line.split(/[:,\s]+/).filter((d) => path.isAbsolute(d)));
    }
  }
  return dirs;
}

/** `*` and `?` in the last part of a path, as ld.so.conf's includes use them. */
function expandGlob(pattern: string): string[] {
  const base = path.basename(pattern);
  if (!/[*?]/.test(base)) return [pattern];
  const dir = path.dirname(pattern);
  const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  try {
    return readdirSync(dir).filter((n) => re.test(n)).sort().map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

/** This host's search context; `libraryPath` stands for the agent's `LD_LIBRARY_PATH`. */
export function hostSearchContext(libraryPath: readonly string[]): SearchContext {
  return { libraryPath, systemDirs: unique([...ldSoConfDirs(), ...defaultDirs()]) };
}

/** `DIR:DIR` as `LD_LIBRARY_PATH` spells it; empty parts dropped. */
export function splitPath(value: string | undefined): string[] {
  return (value ?? '').split(':').filter(Boolean);
}

function unique(dirs: readonly string[]): string[] {
  return [...new Set(dirs)];
}

function expandOrigin(dir: string, requester: string): string {
  let origin: string;
  try {
    origin = path.dirname(realpathSync(requester));
  } catch {
    origin = path.dirname(path.resolve(requester));
  }
  return dir.replace(/\$\{ORIGIN\}|\$ORIGIN/g, origin);
}

/** The directories searched for `requester`'s dependencies, in order. */
export function searchDirs(requester: Requester, context: SearchContext): string[] {
  const own = (value: string | undefined): string[] => splitPath(value).map((d) => expandOrigin(d, requester.file));
  return unique([
    ...(requester.elf.runpath === undefined ? own(requester.elf.rpath) : []),
    ...context.libraryPath,
    ...own(requester.elf.runpath),
    ...context.systemDirs,
  ]);
}

/** Where the loader would find `name` for `requester`. */
export function findLibrary(name: string, requester: Requester, context: SearchContext): Found {
  const candidates = name.includes('/') ? [path.resolve(name)] : searchDirs(requester, context).map((d) => path.join(d, name));
  for (const file of candidates) {
    if (!isFileSync(file)) continue;
    try {
      const elf = readElfVersions(file);
      if (elf.bits !== requester.elf.bits || elf.machine !== requester.elf.machine) continue;
      return { kind: 'found', file, elf };
    } catch (e) {
      return { kind: 'unreadable', file, error: e instanceof ElfError ? e.message : String(e) };
    }
  }
  return { kind: 'missing', searched: name.includes('/') ? candidates : searchDirs(requester, context) };
}
