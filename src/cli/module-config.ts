import * as path from 'node:path';
import { applyParameters, DEFAULT_SETTINGS, type ParameterName } from '../config/settings.js';
import { all, one, parseArgs, UsageError } from './args.js';
import type { Io } from './common.js';

/** The module's symbol: the original module's, so existing dvdi-mod.json files and isolation flags keep working. */
export const MODULE_NAME = 'com_emccode_mesos_DockerVolumeDriverIsolator';

/** Where the install notes put the module, the runtime library and the bundle, side by side. */
export const INSTALL_DIR = '/usr/lib/dvdi';

/** Parameters whose default is derived or absent, so no value can stand for it: left out unless given. */
export const WITHOUT_DEFAULT: readonly ParameterName[] = ['work_dir', 'plugin_dirs', 'call_timeout'];

/** Every other parameter at its default, for a module installed in `dir`. */
export function defaultParameters(dir: string): Array<[ParameterName, string]> {
  const s = DEFAULT_SETTINGS;
  const seconds = (ms: number): string => String(ms / 1000);
  return [
    ['checkpoint', s.checkpointFile],
    ['docker_volume_checkpoint_dir', s.dockerVolumeCheckpointDir],
    ['mounter', s.mounter],
    ['dvdcli', s.dvdcli],
    ['mount_timeout', seconds(s.mountTimeoutMs)],
    ['unmount_timeout', seconds(s.unmountTimeoutMs)],
    ['plugin_socket_dirs', s.socketDirs.join(':')],
    ['plugin_spec_dirs', s.specDirs.join(':')],
    ['plugin_retry', seconds(s.connectRetryMs)],
    ['max_volumes', String(s.maxVolumes)],
    ['runtime_library', path.join(dir, 'libdvdi_runtime.so')],
    ['bundle', path.join(dir, 'dvdi-runtime.cjs')],
    // The runtime's and the module's own defaults (native/runtime/params.h, native/mesos/plan.h).
    ['heap_limit', '256'],
    ['watchdog_timeout', '10'],
    ['start_timeout', '60'],
    ['namespaces', 'true'],
  ];
}

/** The module file's name for an exact Mesos release. */
export function moduleFileName(mesosVersion: string): string {
  return `libmesos_dvdi_isolator-${mesosVersion}.so`;
}

/** A Mesos `--modules` file loading the isolator from `library` with these parameters. */
export function modulesJson(library: string, parameters: ReadonlyArray<readonly [string, string]>): string {
  const doc = {
    libraries: [
      {
        file: library,
        modules: [{ name: MODULE_NAME, parameters: parameters.map(([key, value]) => ({ key, value })) }],
      },
    ],
  };
  // One parameter a line, as operators write these files.
  const text = JSON.stringify(doc, null, 2).replace(/\{\s+("key": .*),\s+("value": .*)\s+\}/g, '{ $1, $2 }');
  return `${text}\n`;
}

const FLAGS = {
  'mesos-version': { value: true },
  library: { value: true },
  param: { value: true, repeat: true },
} as const;

export const MODULE_CONFIG_USAGE =
  'usage: dvdi module-config (--mesos-version V | --library PATH) [--param KEY=VALUE]...';

/**
 * `dvdi module-config`: prints a dvdi-mod.json with every parameter at its
 * default (the runtime library and bundle beside the module), `--param`
 * values replacing defaults or added after them. Values are checked as the
 * module will check them.
 */
export function runModuleConfig(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, FLAGS);
  if (args.positionals.length > 0) throw new UsageError(MODULE_CONFIG_USAGE);
  const version = one(args, 'mesos-version');
  const given = one(args, 'library');
  if ((version === undefined) === (given === undefined)) throw new UsageError(MODULE_CONFIG_USAGE);
  if (version !== undefined && !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new UsageError(`--mesos-version: expected an exact release such as 0.27.2, got ${JSON.stringify(version)}`);
  }
  const library = given ?? path.join(INSTALL_DIR, moduleFileName(version!));
  if (!path.isAbsolute(library)) throw new UsageError(`--library: expected an absolute path, got ${JSON.stringify(library)}`);

  const parameters = new Map<string, string>(defaultParameters(path.dirname(library)));
  for (const pair of all(args, 'param')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param: expected KEY=VALUE, got ${JSON.stringify(pair)}`);
    parameters.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  applyParameters(DEFAULT_SETTINGS, parameters);
  io.stdout(modulesJson(library, [...parameters]));
  return 0;
}
