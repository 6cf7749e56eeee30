import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { parametersFromJson } from '../config/settings.js';
import { checkLibraries, type Artifact, type LibraryFinding } from '../host/host-requirements.js';
import { hostSearchContext, splitPath } from '../host/library-search.js';
import { INSTALL_DIR, MODULE_NAME } from './module-config.js';

/**
 * Doctor's host-library check: which of dvdi's files the agent will load
 * (the module a modules file names and the runtime library beside it or
 * named by `runtime_library`; otherwise the install directory: the one
 * holding the running `dvdi` launcher, or /usr/lib/dvdi), then whether this
 * host's glibc, libstdc++, libgcc_s and libnode satisfy them.
 */
export interface HostLibrariesOptions {
  /** `--config`: a modules file or a flat parameter object. */
  readonly configFile?: string;
  /** As the agent's `LD_LIBRARY_PATH`. */
  readonly libraryPath: readonly string[];
  /** The running program: the `dvdi` launcher in an installation, `node` otherwise. */
  readonly execPath?: string;
}

export interface HostLibrariesResult {
  /** What was checked, for the report's heading. */
  readonly heading: string;
  readonly findings: readonly LibraryFinding[];
}

const RUNTIME_LIBRARY = 'libdvdi_runtime.so';
const LAUNCHER = 'dvdi';
const MODULE_FILE = /^libmesos_dvdi_isolator-.+\.so$/;
const LIBNODE = /^libnode\.so\b/;

interface Located {
  readonly artifacts: Artifact[];
  readonly problems: LibraryFinding[];
  readonly source: string;
}

const artifact = (file: string): Artifact => ({ label: path.basename(file), file });

/** The library entry of a modules file that loads dvdi's module, or undefined for a flat parameter file. */
function modulesEntry(doc: unknown): { file?: unknown; name?: unknown } | undefined {
  const libraries = (doc as { libraries?: unknown })?.libraries;
  if (!Array.isArray(libraries)) return undefined;
  const entries = libraries as Array<{ file?: unknown; name?: unknown; modules?: Array<{ name?: unknown }> }>;
  return entries.find((l) => l.modules?.some((m) => m?.name === MODULE_NAME)) ?? entries[0];
}

function fromConfig(configFile: string, libraryPath: readonly string[]): Located {
  const text = readFileSync(configFile, 'utf8');
  const runtimeParam = parametersFromJson(text, configFile).find(([k]) => k === 'runtime_library')?.[1];
  const entry = modulesEntry(JSON.parse(text));
  const artifacts: Artifact[] = [];
  const problems: LibraryFinding[] = [];
  let moduleDir: string | undefined;
  if (entry !== undefined) {
    let module: string | undefined;
    if (typeof entry.file === 'string') module = path.resolve(entry.file);
    else if (typeof entry.name === 'string') {
      // Mesos opens `lib<name>.so` through the loader's search.
      const name = `lib${entry.name}.so`;
      module = [...libraryPath, ...hostSearchContext([]).systemDirs].map((d) => path.join(d, name)).find((f) => existsSync(f)) ?? name;
    }
    if (module === undefined) problems.push({ verdict: 'fail', text: `${configFile} names no module library file` });
    else if (!existsSync(module)) problems.push({ verdict: 'fail', text: `the module ${module}, named by ${configFile}, is missing` });
    else {
      artifacts.push(artifact(module));
      moduleDir = path.dirname(module);
    }
  }
  const runtime = runtimeParam ?? (moduleDir === undefined ? undefined : path.join(moduleDir, RUNTIME_LIBRARY));
  if (runtime !== undefined) {
    if (existsSync(runtime)) artifacts.push(artifact(runtime));
    else problems.push({ verdict: 'fail', text: `the runtime library ${runtime} (${runtimeParam === undefined ? 'beside the module' : 'parameter runtime_library'}) is missing` });
  }
  return { artifacts, problems, source: configFile };
}

function fromInstallDir(dir: string): Located {
  const names = readdirSync(dir).sort();
  const files = [...names.filter((n) => MODULE_FILE.test(n)), ...[RUNTIME_LIBRARY, LAUNCHER].filter((n) => names.includes(n))];
  return { artifacts: files.map((n) => artifact(path.join(dir, n))), problems: [], source: dir };
}

/** The launcher's directory when this process is the installed `dvdi` launcher. */
export function launcherDir(execPath: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(execPath);
  } catch {
    return undefined;
  }
  return path.basename(real) === LAUNCHER ? path.dirname(real) : undefined;
}

export function checkHostLibraries(options: HostLibrariesOptions): HostLibrariesResult {
  const ownDir = launcherDir(options.execPath ?? process.execPath);
  let located: Located | undefined;
  if (options.configFile !== undefined) located = fromConfig(options.configFile, options.libraryPath);
  if (located === undefined || (located.artifacts.length === 0 && located.problems.length === 0)) {
    const dir = ownDir ?? (existsSync(INSTALL_DIR) ? INSTALL_DIR : undefined);
    if (dir !== undefined) located = fromInstallDir(dir);
  }
  if (located === undefined || (located.artifacts.length === 0 && located.problems.length === 0)) {
    return {
      heading: 'host libraries: nothing to check',
      findings: [{
        verdict: 'warn',
        text: `host libraries not checked: no dvdi module found (give --config the agent's modules file, or run the installed dvdi from ${INSTALL_DIR})`,
      }],
    };
  }
  const artifacts = [...located.artifacts];
  if (ownDir !== undefined && !artifacts.some((a) => a.file === path.join(ownDir, LAUNCHER))) artifacts.push(artifact(path.join(ownDir, LAUNCHER)));
  const context = hostSearchContext(options.libraryPath);
  const check = checkLibraries(artifacts, context, (name) => LIBNODE.test(name));
  const checked = check.checked.map((a) => a.file);
  const searched = options.libraryPath.length > 0 ? `, library path ${options.libraryPath.join(':')}` : '';
  return {
    heading: `host libraries for ${checked.length > 0 ? checked.join(', ') : 'nothing loadable'} (from ${located.source}${searched})`,
    findings: [...located.problems, ...check.findings],
  };
}

/** `--library-path` if given, else this process's `LD_LIBRARY_PATH` (the agent's is usually the same shell's). */
export function libraryPathOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  return splitPath(flag ?? env.LD_LIBRARY_PATH);
}
