import { UsageError } from './args.js';
import type { Io } from './common.js';
import { runPluginServe } from './plugin-serve.js';
import { runStateCommand, STATE_COMMANDS } from './state-commands.js';
import { USAGE } from './usage.js';
import { runVolumeCommand } from './volume.js';
import { runDoctor } from './doctor.js';
import { runDemo } from './demo.js';

/** The `dvdi` command line; returns the exit status. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command in STATE_COMMANDS) {
      await runStateCommand(command, rest, io);
      return 0;
    }
    switch (command) {
      case 'volume':
        return await runVolumeCommand([...rest], { ...io, env: process.env });
      case 'plugin':
        if (rest[0] !== 'serve') throw new UsageError('usage: dvdi plugin serve [options]');
        return await runPluginServe(rest.slice(1), io);
      case 'doctor':
        return await runDoctor(rest, io);
      case 'demo':
        return await runDemo(rest, io);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`dvdi: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (e instanceof UsageError) {
      io.stderr('run `dvdi help` for usage\n');
      return 2;
    }
    return 1;
  }
}
