/**
 * Finds Docker volume plugins by driver name the way Docker's v1 plugin
 * registry does (REFERENCE.md §5): in each socket directory `NAME.sock`, then
 * `NAME/NAME.sock`; then in each spec directory `NAME.spec`, `NAME/NAME.spec`,
 * `NAME.json`, `NAME/NAME.json`. The first existing candidate wins, and a spec
 * file that cannot be read or parsed is an error rather than skipped, as in
 * Docker. Names are used whole (`rexray/ebs:latest` looks in a `rexray/`
 * folder), but a name that would leave the directories is refused.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { DEFAULT_SOCKET_DIRS, DEFAULT_SPEC_DIRS } from './protocol.js';
import { parsePluginUrl, type PluginLocation, type TlsSettings } from './address.js';

export interface PluginDirs {
  readonly socketDirs: readonly string[];
  readonly specDirs: readonly string[];
}

export const DEFAULT_PLUGIN_DIRS: PluginDirs = {
  socketDirs: DEFAULT_SOCKET_DIRS,
  specDirs: DEFAULT_SPEC_DIRS,
};

export class PluginNotFoundError extends Error {
  constructor(
    readonly pluginName: string,
    readonly lookedIn: readonly string[],
  ) {
    super(`plugin "${pluginName}" not found (looked in ${lookedIn.join(', ') || 'no directories'})`);
    this.name = 'PluginNotFoundError';
  }
}

/** Driver names become path components; refuse any that could point outside the plugin directories. */
export function validatePluginName(name: string): void {
  const problem =
    name === ''
      ? 'it is empty'
      : name.includes('\0')
        ? 'it contains a NUL character'
        : name.split('/').some((part) => part === '' || part === '.' || part === '..')
          ? 'it has an empty, "." or ".." path component'
          : '';
  if (problem) {
    throw new Error(`invalid plugin name ${JSON.stringify(name)}: ${problem}`);
  }
}

function candidates(base: string, name: string, ext: string): string[] {
  return [join(base, name + ext), join(base, name, name + ext)].filter((p) => {
    const rel = relative(base, p);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  });
}

type Probe = { found: true; socket: boolean; file: boolean } | { found: false; problem?: string };

async function probe(path: string): Promise<Probe> {
  try {
    const st = await stat(path);
    return { found: true, socket: st.isSocket(), file: st.isFile() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { found: false };
    return { found: false, problem: `${path}: ${(err as Error).message}` };
  }
}

function optionalString(value: unknown, field: string, source: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`${source}: TLSConfig.${field} must be a string`);
  return value;
}

function parseJsonSpec(name: string, source: string, text: string): PluginLocation {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: invalid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error(`${source}: expected a JSON object with "Addr"`);
  }
  const spec = doc as Record<string, unknown>;
  if (typeof spec.Addr !== 'string' || spec.Addr.trim() === '') {
    throw new Error(`${source}: "Addr" must be a non-empty string`);
  }
  let tls: TlsSettings | undefined;
  if (spec.TLSConfig !== undefined && spec.TLSConfig !== null) {
    if (typeof spec.TLSConfig !== 'object' || Array.isArray(spec.TLSConfig)) {
      throw new Error(`${source}: "TLSConfig" must be an object`);
    }
    const t = spec.TLSConfig as Record<string, unknown>;
    const caFile = optionalString(t.CAFile, 'CAFile', source);
    const certFile = optionalString(t.CertFile, 'CertFile', source);
    const keyFile = optionalString(t.KeyFile, 'KeyFile', source);
    if ((certFile === undefined) !== (keyFile === undefined)) {
      throw new Error(`${source}: TLSConfig needs both CertFile and KeyFile, or neither`);
    }
    // As Docker: without a CA file the certificate is not verified.
    tls = {
      insecureSkipVerify: t.InsecureSkipVerify === true || caFile === undefined,
      ...(caFile !== undefined && { caFile }),
      ...(certFile !== undefined && { certFile }),
      ...(keyFile !== undefined && { keyFile }),
    };
  }
  try {
    return { name, address: parsePluginUrl(spec.Addr, tls), source };
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}

async function readSpec(name: string, source: string): Promise<PluginLocation> {
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    throw new Error(`cannot read plugin spec ${source}: ${(err as Error).message}`);
  }
  if (source.endsWith('.json')) return parseJsonSpec(name, source, text);
  try {
    return { name, address: parsePluginUrl(text), source };
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}

/** Resolves a driver name to its plugin's address; rejects with PluginNotFoundError when nothing matches. */
export async function findPlugin(name: string, dirs: PluginDirs = DEFAULT_PLUGIN_DIRS): Promise<PluginLocation> {
  validatePluginName(name);
  const lookedIn: string[] = [];
  for (const dir of dirs.socketDirs) {
    for (const path of candidates(dir, name, '.sock')) {
      const p = await probe(path);
      if (p.found && p.socket) return { name, address: { kind: 'unix', path }, source: path };
      lookedIn.push(p.found || !p.problem ? path : p.problem);
    }
  }
  for (const dir of dirs.specDirs) {
    for (const path of [...candidates(dir, name, '.spec'), ...candidates(dir, name, '.json')]) {
      const p = await probe(path);
      if (p.found && p.file) return readSpec(name, path);
      lookedIn.push(p.found || !p.problem ? path : p.problem);
    }
  }
  throw new PluginNotFoundError(name, lookedIn);
}

export interface PluginListing {
  /** Every name that resolves, with the location a lookup by that name uses. */
  readonly plugins: PluginLocation[];
  /** Files that look like plugin entries but do not resolve (unreadable or invalid specs, bad names). */
  readonly problems: Array<{ readonly source: string; readonly error: string }>;
}

/** Walks a directory tree without following symbolic links to directories. */
async function walk(dir: string, visit: (path: string) => Promise<void>, depth = 0): Promise<void> {
  if (depth > 16) return;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, visit, depth + 1);
    else await visit(path);
  }
}

/** `NAME/NAME` (Docker's per-plugin folder) names NAME; anything else is the relative path itself. */
function nameFromRelative(rel: string, ext: string): string {
  const bare = rel.slice(0, -ext.length);
  const half = (bare.length - 1) / 2;
  if (Number.isInteger(half) && bare[half] === '/' && bare.slice(0, half) === bare.slice(half + 1)) {
    return bare.slice(0, half);
  }
  return bare;
}

/** Every plugin the directories hold, for diagnostics (`dvdi doctor`). */
export async function listPlugins(dirs: PluginDirs = DEFAULT_PLUGIN_DIRS): Promise<PluginListing> {
  const seen = new Map<string, string>();
  const collect = (base: string, exts: readonly string[], wantSocket: boolean) => async (path: string) => {
    const ext = exts.find((e) => path.endsWith(e));
    if (!ext) return;
    const p = await probe(path);
    if (!p.found || (wantSocket ? !p.socket : !p.file)) return;
    const name = nameFromRelative(relative(base, path), ext);
    if (!seen.has(name)) seen.set(name, path);
  };
  for (const dir of dirs.socketDirs) await walk(dir, collect(dir, ['.sock'], true));
  for (const dir of dirs.specDirs) await walk(dir, collect(dir, ['.spec', '.json'], false));

  const plugins: PluginLocation[] = [];
  const problems: Array<{ source: string; error: string }> = [];
  for (const [name, source] of [...seen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    try {
      plugins.push(await findPlugin(name, dirs));
    } catch (err) {
      problems.push({ source, error: (err as Error).message });
    }
  }
  return { plugins, problems };
}
