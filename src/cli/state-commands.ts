import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { decodeCheckpoint } from '../checkpoint/codec.js';
import { readCheckpointBytes } from '../checkpoint/file-store.js';
import { messageOf, PrepareError } from '../core/errors.js';
import type { Isolator, Release } from '../core/isolator.js';
import { summarise } from '../core/records.js';
import { statusJson } from '../core/status-json.js';
import { describeVolume } from '../core/volume.js';
import { decodeContainerRequest } from '../mesos/decode.js';
import { openEngine } from '../runtime/engine.js';
import { showValue } from '../spec/display.js';
import { acquireStateLock } from '../state/lock.js';
import { all, one, parseArgs, required, UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import { cliLogger, COMMON_FLAGS, settingsFromArgs, type Io } from './common.js';
import { readEnvironment } from './env-input.js';
import { statusTable } from './status-table.js';

type Action = (isolator: Isolator, args: ParsedArgs, io: Io) => Promise<void>;

interface StateCommand {
  readonly flags: Record<string, FlagSpec>;
  readonly action: Action;
}

function json(io: Io, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export const STATE_COMMANDS: Record<string, StateCommand> = {
  prepare: {
    flags: {
      'container-id': { value: true },
      directory: { value: true },
      user: { value: true },
      env: { value: true, repeat: true },
      'env-file': { value: true, repeat: true },
      'container-config': { value: true },
    },
    action: async (isolator, args, io) => {
      const containerId = required(args, 'container-id');
      // As the agent sends it (0.27+): its variables come first, its sandbox and user unless given.
      const configFile = one(args, 'container-config');
      const config = configFile === undefined ? undefined : decodeContainerRequest(await readFile(configFile));
      const request = {
        containerId,
        environment: [...(config?.environment ?? []), ...(await readEnvironment(all(args, 'env-file'), all(args, 'env')))],
        dockerVolumes: config?.dockerVolumes ?? [],
        directory: path.resolve(one(args, 'directory') ?? config?.directory ?? process.cwd()),
        user: one(args, 'user') ?? (config?.user || undefined),
      };
      let result;
      try {
        result = await isolator.prepare(request);
      } catch (e) {
        // No background outlives the CLI: it undoes what the failed prepare mounted before it exits.
        throw await undoFailedPrepare(isolator, containerId, e);
      }
      json(io, result);
    },
  },
  cleanup: {
    flags: { 'container-id': { value: true } },
    action: async (isolator, args, io) => {
      const containerId = required(args, 'container-id');
      // Earlier pending unmounts are carried out alongside; they never touch this container's volumes.
      const [own] = await Promise.allSettled([isolator.cleanup(containerId), isolator.retryPending()]);
      if (own.status === 'rejected') throw own.reason;
      json(io, {
        containerId,
        released: own.value.map((r) => ({ driver: r.volume.driver, name: r.volume.name, unmounted: r.unmounted })),
      });
    },
  },
  recover: {
    flags: { alive: { value: true, repeat: true }, orphan: { value: true, repeat: true } },
    action: async (isolator, args, io) => {
      const report = await isolator.recover(all(args, 'alive'), all(args, 'orphan'));
      // The agent's runtime answers before unmounting; the CLI waits and says what it did.
      const retried = await isolator.retryPending();
      json(io, {
        kept: report.kept,
        unmounted: describe(retried.filter((r) => r.unmounted)),
        pending: isolator.status().filter((v) => v.state === 'unmount-pending').map(describeVolume),
      });
    },
  },
  forget: {
    flags: { driver: { value: true }, name: { value: true } },
    action: async (isolator, args, io) => {
      const volume = { driver: one(args, 'driver') ?? 'rexray', name: required(args, 'name') };
      json(io, { ...volume, forgotten: await isolator.forget(volume) });
    },
  },
};

/** Undoes a failed prepare; the error says, on one line, what failed, what was undone and what stays pending. */
async function undoFailedPrepare(isolator: Isolator, containerId: string, failure: unknown): Promise<unknown> {
  // A PrepareError's reason leaves out the engine's "unmounting … after the call": here it is done now.
  const failed = failure instanceof PrepareError ? `prepare of container ${showValue(containerId)} failed: ${failure.reason}` : messageOf(failure);
  let releases: Release[];
  try {
    releases = await isolator.undoPrepare(containerId);
  } catch (e) {
    return new Error(`${failed}; undoing it failed, what it mounted stays pending (see \`dvdi status\`): ${messageOf(e)}`);
  }
  const undone = releases.filter((r) => r.unmounted).map((r) => `${describeVolume(r.volume)} (${r.nothingMounted ? 'was not mounted' : 'unmounted'})`);
  const pending = releases.filter((r) => r.error !== undefined).map((r) => `${describeVolume(r.volume)}: ${r.error}`);
  const parts = [failed];
  if (undone.length > 0) parts.push(`undone: ${undone.join(', ')}`);
  if (pending.length > 0) parts.push(`still pending (retried by the next cleanup or recover): ${pending.join('; ')}`);
  if (parts.length > 1) return new Error(parts.join('; '));
  // Refused before mounting anything (bad input, a second prepare): the engine's message stands.
  return failure instanceof PrepareError ? new Error(`${failed}; nothing was undone: nothing had been mounted`) : failure;
}

function describe(releases: readonly Release[]): string[] {
  return releases.map((r) => describeVolume(r.volume));
}

const STATUS_FLAGS: Record<string, FlagSpec> = { json: { value: false } };

/**
 * `dvdi status`: reads the checkpoint without the lock and without changing
 * anything, so it works while an agent's runtime owns the state.
 */
export async function runStatus(argv: readonly string[], io: Io): Promise<void> {
  const args = parseArgs(argv, { ...COMMON_FLAGS, ...STATUS_FLAGS });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const settings = await settingsFromArgs(args);
  const bytes = await readCheckpointBytes(settings.checkpointFile);
  let volumes;
  try {
    volumes = summarise(bytes ? decodeCheckpoint(bytes) : []);
  } catch (e) {
    throw new Error(`checkpoint ${settings.checkpointFile} is unreadable (recovery will move it aside): ${messageOf(e)}`);
  }
  if (one(args, 'json')) io.stdout(statusJson(volumes));
  else io.stdout(statusTable(volumes));
}

/** Runs one command against the checkpointed state, holding the state lock throughout. */
export async function runStateCommand(name: string, argv: readonly string[], io: Io): Promise<void> {
  const command = STATE_COMMANDS[name]!;
  const args = parseArgs(argv, { ...COMMON_FLAGS, ...command.flags });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const settings = await settingsFromArgs(args);
  const logger = cliLogger(io, one(args, 'quiet') !== undefined);
  // A holder is another dvdi command, bounded by the mount and unmount timeouts.
  const lock = await acquireStateLock(settings.checkpointFile, `dvdi ${name}`, settings.mountTimeoutMs + settings.unmountTimeoutMs);
  try {
    const { isolator, mounter } = await openEngine(settings, logger);
    try {
      await command.action(isolator, args, io);
    } finally {
      // Kills any dvdcli still running (a deferred unmount is left pending for the next command).
      await mounter.close();
    }
  } finally {
    await lock.release();
  }
}
