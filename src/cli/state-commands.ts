import * as path from 'node:path';
import { decodeCheckpoint } from '../checkpoint/codec.js';
import { readCheckpointBytes } from '../checkpoint/file-store.js';
import { messageOf } from '../core/errors.js';
import type { Isolator, Release } from '../core/isolator.js';
import { summarise } from '../core/records.js';
import { describeVolume } from '../core/volume.js';
import { openEngine } from '../runtime/engine.js';
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
    },
    action: async (isolator, args, io) => {
      const result = await isolator.prepare({
        containerId: required(args, 'container-id'),
        environment: await readEnvironment(all(args, 'env-file'), all(args, 'env')),
        directory: path.resolve(one(args, 'directory') ?? process.cwd()),
        user: one(args, 'user'),
      });
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
  if (one(args, 'json')) json(io, volumes);
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
