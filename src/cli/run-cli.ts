import { UsageError } from './args.js';
import type { Io } from './common.js';
import { runStateCommand, runStatus, STATE_COMMANDS } from './state-commands.js';
import { USAGE } from './usage.js';

/** The `dvdi` command line; returns the exit status. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'status') {
      await runStatus(rest, io);
      return 0;
    }
    if (Object.hasOwn(STATE_COMMANDS, command)) {
      await runStateCommand(command, rest, io);
      return 0;
    }
    // Loaded on demand: each command pulls in only what it uses.
    switch (command) {
      case 'volume':
        return await (await import('./volume.js')).runVolumeCommand([...rest], { ...io, env: process.env });
      case 'plugin':
        if (rest[0] !== 'serve') throw new UsageError('usage: dvdi plugin serve [options]');
        return await (await import('./plugin-serve.js')).runPluginServe(rest.slice(1), io);
      case 'doctor':
        return await (await import('./doctor.js')).runDoctor(rest, io);
      case 'demo':
        return await (await import('./demo.js')).runDemo(rest, io);
      case 'module-config':
        return (await import('./module-config.js')).runModuleConfig(rest, io);
      case 'agent-setup':
        return (await import('./agent-setup.js')).runAgentSetup(rest, io);
      case 'requirements':
        return (await import('./requirements.js')).runRequirements(rest, io);
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
