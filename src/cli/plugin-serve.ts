import path from 'node:path';
import { startPluginServer } from '../plugin/server/server.js';
import { DEFAULT_SOCKET_DIRS } from '../plugin/protocol.js';
import { one, parseArgs, UsageError } from './args.js';
import { cliLogger, type Io } from './common.js';

export const PLUGIN_SERVE_USAGE = `Usage: dvdi plugin serve [--name NAME] [--socket PATH] [--root DIR] [--backend loop|dir]

Serves a Docker volume plugin (protocol v1) on a unix socket until SIGINT or
SIGTERM (a second signal while it stops ends it at once). Volumes stay mounted
when it stops; the next start on the same root takes them over.

  --name NAME        plugin name (default dvdi)
  --socket PATH      socket path (default /run/docker/plugins/NAME.sock)
  --root DIR         metadata, images and mountpoints (default /var/lib/dvdi/plugin/NAME)
  --backend loop|dir loop: an ext4/xfs image per volume on a loop device (default as root);
                     dir: a plain directory per volume (default otherwise)

Create options (loop): size=N[K|M|G|T|Ki|Mi|Gi|Ti] (a plain number is GiB; default 1Gi),
newfstype=ext4|xfs (default ext4), overwritefs=true|false (true formats the image
on every first mount: scratch data only). The dir backend takes no options.
`;

const FLAGS = {
  name: { value: true },
  socket: { value: true },
  root: { value: true },
  backend: { value: true },
  help: { value: false },
} as const;

/** `dvdi plugin serve`: runs the plugin server until SIGINT/SIGTERM; resolves with the exit code. */
export async function runPluginServe(argv: string[], io: Io): Promise<number> {
  let options;
  try {
    const args = parseArgs(argv, FLAGS);
    if (one(args, 'help') !== undefined) {
      io.stdout(PLUGIN_SERVE_USAGE);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const name = one(args, 'name') ?? 'dvdi';
    const backend = one(args, 'backend') ?? (process.getuid?.() === 0 ? 'loop' : 'dir');
    if (backend !== 'loop' && backend !== 'dir') throw new UsageError(`--backend must be loop or dir, not ${backend}`);
    options = {
      name,
      backend,
      socketPath: one(args, 'socket') ?? path.join(DEFAULT_SOCKET_DIRS[0]!, `${name}.sock`),
      root: one(args, 'root') ?? path.join('/var/lib/dvdi/plugin', name),
    } as const;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`dvdi plugin serve: ${error.message}\n${PLUGIN_SERVE_USAGE}`);
    return 2;
  }

  const logger = cliLogger(io, false);
  let server;
  try {
    server = await startPluginServer({ ...options, logger });
  } catch (error) {
    logger.error('plugin server did not start', { reason: (error as Error).message });
    return 1;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (received: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(received);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  logger.info('stopping plugin server', { signal });
  await server.close();
  return 0;
}
