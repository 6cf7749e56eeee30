/**
 * `make soak` (npm run soak): a long run of the embedded runtime through
 * native/bench's host against dvdi's own dir plugin, printing the host
 * process's figures per window and whether they stayed flat. See
 * bench/README.md ("Soak").
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startWorkspaceDirPlugin } from '../processes.js';
import { createWorkspace } from '../workspace.js';
import { runHost } from '../runtime/host.js';
import { judge, windowLine, WINDOW_HEADER } from './verdict.js';

const DRIVER = 'soakdir';
const BUNDLE = fileURLToPath(new URL('./soak-bundle.cjs', import.meta.url));
const DEFAULTS = { threads: 4, windows: 20, 'window-calls': 10000, 'warmup-calls': 10000, 'settle-ms': 6000 };
/** On tmpfs the run is not bound by the disk's fsyncs: what is watched here is what stays behind, not I/O. */
const DEFAULT_DIR = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const USAGE = `usage: npm run soak -- [--threads=N] [--windows=N] [--window-calls=N] [--warmup-calls=N] [--settle-ms=N] [--dir=DIR]
  --threads       host threads making calls (default 4)
  --windows       measured windows (default 20)
  --window-calls  prepare and cleanup calls a window (default 10000: 5000 pairs)
  --warmup-calls  calls before the first window (default 10000)
  --settle-ms     wait after a window before its figures are taken (default 6000)
  --dir           where the run's temp directory goes (default ${DEFAULT_DIR})
`;

/** The options as numbers, or null for --help. */
function readOptions(args) {
  const spec = Object.fromEntries(Object.keys(DEFAULTS).map((name) => [name, { type: 'string' }]));
  const { values } = parseArgs({ args, options: { ...spec, dir: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) return null;
  const numbers = Object.fromEntries(
    Object.entries(DEFAULTS).map(([name, fallback]) => {
      const value = Number(values[name] ?? fallback);
      if (!Number.isInteger(value) || value < 0 || (value === 0 && name !== 'settle-ms')) {
        throw new Error(`--${name} must be a ${name === 'settle-ms' ? 'whole number' : 'positive integer'}\n${USAGE}`);
      }
      return [name, value];
    }),
  );
  return { numbers, dir: values.dir ?? DEFAULT_DIR };
}

async function main() {
  let options;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`soak: ${error.message}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { numbers, dir } = options;
  console.log(
    `dvdi soak ${new Date().toISOString()}: ${numbers.threads} threads, ${numbers.windows} windows of ${numbers['window-calls']} calls ` +
      `after ${numbers['warmup-calls']} warm-up calls, each container a private volume and the shared one, in ${dir}; ` +
      `${os.availableParallelism()} CPUs, load average ${os.loadavg()[0].toFixed(1)}`,
  );
  const workspace = await createWorkspace(dir);
  const plugin = await startWorkspaceDirPlugin(workspace, DRIVER);
  try {
    const params = {
      bundle: BUNDLE,
      checkpoint: await workspace.checkpointFile('soak'),
      mounter: 'plugin',
      plugin_dirs: workspace.socketDir,
    };
    console.log(WINDOW_HEADER);
    let first;
    const { window: windows } = await runHost('soak', {
      params,
      options: { ...numbers, driver: DRIVER, sandboxes: await workspace.dir('sandboxes') },
      onEvent: (event) => {
        if (event.event !== 'window') return;
        event.load = os.loadavg()[0];
        console.log(windowLine(event));
        first ??= event.index === 1 ? event : undefined;
        if (first && event.fds !== first.fds) console.log(`  open files by kind: ${JSON.stringify(event.fd_kinds)} (window 1: ${JSON.stringify(first.fd_kinds)})`);
      },
    });
    console.log(judge(windows[1], windows.at(-1)));
  } finally {
    await plugin.stop();
    await workspace.remove();
  }
  return 0;
}

process.exitCode = await main();
