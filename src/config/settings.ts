import * as path from 'node:path';
import { DEFAULT_SOCKET_DIRS, DEFAULT_SPEC_DIRS } from '../plugin/protocol.js';
import { secondsToMs } from '../util/seconds.js';

export type MounterKind = 'dvdcli' | 'plugin';

/** Everything an operator can set: module parameters, `--config` files and CLI flags share these. */
export interface Settings {
  readonly checkpointFile: string;
  /** The original module's checkpoint (`<work_dir>/meta/dvdimounts.pb`), imported once; '' for none. */
  readonly legacyCheckpointFile: string;
  /** Mesos' docker/volume isolator's checkpoint directory (`<dir>/<container>/volumes`), taken over when the engine opens; '' for none. */
  readonly dockerVolumeCheckpointDir: string;
  readonly dvdcli: string;
  readonly mounter: MounterKind;
  readonly mountTimeoutMs: number;
  readonly unmountTimeoutMs: number;
  readonly socketDirs: readonly string[];
  readonly specDirs: readonly string[];
  readonly connectRetryMs: number;
  /** Most volumes one task may ask for. */
  readonly maxVolumes: number;
  /** Deadline of every call into the embedded runtime; 0 derives one per call from the mount and unmount timeouts. */
  readonly callTimeoutMs: number;
}

export const CHECKPOINT_DIR = '/var/run/mesos/isolators/mesos-module-dvdi';
export const CHECKPOINT_NAME = 'dvdimounts.pb';
/** The agent's default `--docker_volume_checkpoint_dir` (Mesos 1.0-1.11). */
export const DOCKER_VOLUME_CHECKPOINT_DIR = '/var/run/mesos/isolators/docker/volume';

export const DEFAULT_SETTINGS: Settings = {
  checkpointFile: path.join(CHECKPOINT_DIR, CHECKPOINT_NAME),
  legacyCheckpointFile: '',
  dockerVolumeCheckpointDir: DOCKER_VOLUME_CHECKPOINT_DIR,
  dvdcli: '/usr/bin/dvdcli',
  mounter: 'dvdcli',
  mountTimeoutMs: 120_000,
  unmountTimeoutMs: 600_000,
  socketDirs: DEFAULT_SOCKET_DIRS,
  specDirs: DEFAULT_SPEC_DIRS,
  connectRetryMs: 3_000,
  maxVolumes: 64,
  callTimeoutMs: 0,
};

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** Parameter names, as written in dvdi-mod.json and config files. */
export const PARAMETERS = {
  work_dir: 'the agent\'s work directory, as given to the original module; its checkpoint there is imported once',
  checkpoint: 'checkpoint file path',
  docker_volume_checkpoint_dir:
    "the checkpoint directory of Mesos' docker/volume isolator (the agent's --docker_volume_checkpoint_dir), whose live mounts are taken over; empty: none",
  dvdcli: 'absolute path of the dvdcli-compatible binary',
  mounter: '`dvdcli` (default) or `plugin`',
  mount_timeout: 'seconds a mount may take',
  unmount_timeout: 'seconds an unmount may take',
  plugin_dirs: 'colon-separated directories searched for plugin sockets and spec files',
  plugin_socket_dirs: 'colon-separated directories searched for plugin sockets',
  plugin_spec_dirs: 'colon-separated directories searched for .spec/.json files',
  plugin_retry: 'seconds to keep retrying a plugin that refuses connections',
  max_volumes: 'most volumes one task may ask for (default 64)',
  call_timeout: 'seconds any call into the embedded runtime may take (default: the mount or unmount timeout plus 5)',
  runtime_library: 'the Mesos module only: path of libdvdi_runtime.so (default: next to the module)',
  bundle: 'the Mesos module only: path of the JavaScript bundle (default: next to the runtime library)',
  heap_limit: 'the Mesos module only: MB of JavaScript heap before the runtime restarts (default 256)',
  watchdog_timeout: 'the Mesos module only: seconds the JavaScript event loop may stay unresponsive before the runtime restarts it (default 10)',
  start_timeout: 'the Mesos module only: seconds the runtime may take to become ready at start (default 60)',
  namespaces: 'the Mesos module on 0.23/0.24 only: `true` (default) asks for a mount namespace for every container',
} as const;

export type ParameterName = keyof typeof PARAMETERS;

function seconds(key: string, value: string): number {
  const ms = secondsToMs(value);
  if (ms === undefined || Number(value) > 86_400) {
    throw new SettingsError(`parameter ${key}: expected seconds between 0 and 86400, got ${JSON.stringify(value)}`);
  }
  return ms;
}

function integer(key: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new SettingsError(`parameter ${key}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function absoluteDirs(key: string, value: string): string[] {
  const dirs = value.split(':').filter(Boolean);
  for (const d of dirs) {
    if (!path.isAbsolute(d)) throw new SettingsError(`parameter ${key}: ${JSON.stringify(d)} is not an absolute path`);
  }
  return dirs;
}

function absolute(key: string, value: string): string {
  if (!path.isAbsolute(value) || path.normalize(value) !== value) {
    throw new SettingsError(`parameter ${key}: expected a normalised absolute path, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Applies parameters over a base; an unknown name is an error, since a typo would silently keep a default. */
export function applyParameters(base: Settings, params: Iterable<readonly [string, string]>): Settings {
  const s: { -readonly [K in keyof Settings]: Settings[K] } = { ...base };
  for (const [key, value] of params) {
    switch (key as ParameterName) {
      case 'work_dir':
        // The original module kept its checkpoint in the agent's meta directory.
        s.legacyCheckpointFile = path.join(absolute(key, value), 'meta', CHECKPOINT_NAME);
        break;
      case 'checkpoint':
        s.checkpointFile = absolute(key, value);
        break;
      case 'docker_volume_checkpoint_dir':
        // Empty turns the take-over off.
        s.dockerVolumeCheckpointDir = value === '' ? '' : absolute(key, value);
        break;
      case 'dvdcli':
        s.dvdcli = absolute(key, value);
        break;
      case 'mounter':
        if (value !== 'dvdcli' && value !== 'plugin') {
          throw new SettingsError(`parameter mounter: expected dvdcli or plugin, got ${JSON.stringify(value)}`);
        }
        s.mounter = value;
        break;
      case 'mount_timeout':
        s.mountTimeoutMs = seconds(key, value);
        break;
      case 'unmount_timeout':
        s.unmountTimeoutMs = seconds(key, value);
        break;
      case 'plugin_dirs':
        s.socketDirs = absoluteDirs(key, value);
        s.specDirs = s.socketDirs;
        break;
      case 'plugin_socket_dirs':
        s.socketDirs = absoluteDirs(key, value);
        break;
      case 'plugin_spec_dirs':
        s.specDirs = absoluteDirs(key, value);
        break;
      case 'plugin_retry':
        s.connectRetryMs = seconds(key, value);
        break;
      case 'max_volumes':
        s.maxVolumes = integer(key, value, 1, 1000);
        break;
      case 'call_timeout':
        s.callTimeoutMs = seconds(key, value);
        break;
      // Read by the native side; checked here so `dvdi --config dvdi-mod.json` and doctor catch typos.
      case 'runtime_library':
      case 'bundle':
        absolute(key, value);
        break;
      case 'heap_limit':
        integer(key, value, 16, 16384);
        break;
      case 'watchdog_timeout':
      case 'start_timeout':
        integer(key, value, 1, 3600);
        break;
      case 'namespaces':
        if (value !== 'true' && value !== 'false') {
          throw new SettingsError(`parameter namespaces: expected true or false, got ${JSON.stringify(value)}`);
        }
        break;
      default:
        throw new SettingsError(`unknown parameter ${JSON.stringify(key)}; known: ${Object.keys(PARAMETERS).join(', ')}`);
    }
  }
  return s;
}

/**
 * A config file: either a flat JSON object of parameters, or a modules file
 * (`dvdi-mod.json`) whose first dvdi module's parameters are used.
 */
export function parametersFromJson(text: string, source: string): Array<[string, string]> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SettingsError(`${source}: not JSON: ${(e as Error).message}`);
  }
  const modules = (doc as { libraries?: Array<{ modules?: Array<{ parameters?: unknown }> }> })?.libraries;
  const params = modules ? modules.flatMap((l) => l.modules ?? [])[0]?.parameters ?? [] : doc;
  if (Array.isArray(params)) {
    return params.map((p: unknown) => {
      const { key, value } = (p ?? {}) as { key?: unknown; value?: unknown };
      if (typeof key !== 'string' || typeof value !== 'string') {
        throw new SettingsError(`${source}: each parameter needs string "key" and "value"`);
      }
      return [key, value];
    });
  }
  if (params === null || typeof params !== 'object') throw new SettingsError(`${source}: expected an object of parameters`);
  return Object.entries(params as Record<string, unknown>).map(([k, v]) => {
    if (typeof v !== 'string' && typeof v !== 'number') throw new SettingsError(`${source}: parameter ${k} must be a string`);
    return [k, String(v)];
  });
}
