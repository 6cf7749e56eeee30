import { readFile } from 'node:fs/promises';
import { applyParameters, DEFAULT_SETTINGS, parametersFromJson, type Settings } from '../config/settings.js';
import type { Logger } from '../core/ports.js';
import { LineLogger } from '../log/logger.js';
import { one, type FlagSpec, type ParsedArgs } from './args.js';

/** Flags every state command takes, each the CLI spelling of a module parameter. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  config: { value: true },
  checkpoint: { value: true },
  dvdcli: { value: true },
  mounter: { value: true },
  'mount-timeout': { value: true },
  'unmount-timeout': { value: true },
  'plugin-dirs': { value: true },
  quiet: { value: false },
};

const FLAG_PARAMETERS: ReadonlyArray<readonly [string, string]> = [
  ['checkpoint', 'checkpoint'],
  ['dvdcli', 'dvdcli'],
  ['mounter', 'mounter'],
  ['mount-timeout', 'mount_timeout'],
  ['unmount-timeout', 'unmount_timeout'],
  ['plugin-dirs', 'plugin_dirs'],
];

/** Defaults, then the config file, then flags. */
export async function settingsFromArgs(args: ParsedArgs): Promise<Settings> {
  // Taking over docker/volume's checkpoint is the module's job when it replaces that isolator in an
  // agent; a command does it only when told to (a modules file, or the flag), so it never takes
  // the state of an agent that still runs docker/volume.
  let settings: Settings = { ...DEFAULT_SETTINGS, dockerVolumeCheckpointDir: '' };
  const config = one(args, 'config');
  if (config !== undefined) {
    settings = applyParameters(settings, parametersFromJson(await readFile(config, 'utf8'), config));
  }
  const params: Array<[string, string]> = [];
  for (const [flag, param] of FLAG_PARAMETERS) {
    const v = one(args, flag);
    if (v !== undefined) params.push([param, v]);
  }
  return applyParameters(settings, params);
}

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

export function cliLogger(io: Io, quiet: boolean): Logger {
  return new LineLogger((level, line) => {
    if (quiet && level === 'INFO') return;
    io.stderr(`${new Date().toISOString()} ${level.padEnd(5)} dvdi: ${line}\n`);
  });
}
