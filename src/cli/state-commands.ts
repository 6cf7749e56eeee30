import * as path from 'node:path';
import type { Isolator } from '../core/isolator.js';
import { openEngine } from '../runtime/engine.js';
import { all, one, parseArgs, required, UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import { cliLogger, COMMON_FLAGS, settingsFromArgs, type Io } from './common.js';
import { readEnvironment } from './env-input.js';
import { withLockFile } from './lock.js';
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
      const released = await isolator.cleanup(containerId);
      json(io, {
        containerId,
        released: released.map((r) => ({ driver: r.volume.driver, name: r.volume.name, unmounted: r.unmounted })),
      });
    },
  },
  recover: {
    flags: { alive: { value: true, repeat: true }, orphan: { value: true, repeat: true } },
    action: async (isolator, args, io) => {
      json(io, await isolator.recover(all(args, 'alive'), all(args, 'orphan')));
    },
  },
  forget: {
    flags: { driver: { value: true }, name: { value: true } },
    action: async (isolator, args, io) => {
      const volume = { driver: one(args, 'driver') ?? 'rexray', name: required(args, 'name') };
      json(io, { ...volume, forgotten: await isolator.forget(volume) });
    },
  },
  status: {
    flags: { json: { value: false } },
    action: async (isolator, args, io) => {
      const volumes = isolator.status();
      if (one(args, 'json')) json(io, volumes);
      else io.stdout(statusTable(volumes));
    },
  },
};

/** Runs one command against the checkpointed state, holding the state lock throughout. */
export async function runStateCommand(name: string, argv: readonly string[], io: Io): Promise<void> {
  const command = STATE_COMMANDS[name]!;
  const args = parseArgs(argv, { ...COMMON_FLAGS, ...command.flags });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const settings = await settingsFromArgs(args);
  const logger = cliLogger(io, one(args, 'quiet') !== undefined);
  await withLockFile(`${settings.checkpointFile}.lock`, settings.mountTimeoutMs + settings.unmountTimeoutMs, async () => {
    const { isolator, mounter } = await openEngine(settings, logger);
    try {
      await command.action(isolator, args, io);
    } finally {
      await mounter.close();
    }
  });
}
