import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const STARTUP_LIMIT_MS = 10_000;
const LOG_TAIL_CHARS = 2_000;

export const DVDI_MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
export const DVDCLI = fileURLToPath(new URL('../dist/cli/dvdcli.js', import.meta.url));

/**
 * Runs a plugin as its own process, as a real plugin daemon is, with its log
 * lines in `logFile`; resolves once its socket accepts connections.
 */
export async function startPluginProcess({ label, args, socketPath, logFile }) {
  const log = await open(logFile, 'a');
  const child = spawn(process.execPath, args, { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  let exited;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (error) => {
      exited = { code: null, signal: null, error: error.message };
      resolve();
    });
  });
  const plugin = {
    label,
    socketPath,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
  const failure = async (why) => {
    await plugin.stop();
    const text = await readFile(logFile, 'utf8').catch((e) => `(log unreadable: ${e.message})`);
    return new Error(`${label} ${why}; its log (${logFile}) ends with:\n${text.slice(-LOG_TAIL_CHARS)}`);
  };
  const started = performance.now();
  while (!(await answers(socketPath))) {
    if (exited) throw await failure(exited.error ? `could not start: ${exited.error}` : `exited before serving (code ${exited.code}, signal ${exited.signal})`);
    if (performance.now() - started > STARTUP_LIMIT_MS) throw await failure(`did not serve ${socketPath} within ${STARTUP_LIMIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return plugin;
}

/** The real dir-backed plugin server (startPluginServer), through `dvdi plugin serve`. */
export function startDirPlugin({ name, socketPath, root, logFile }) {
  return startPluginProcess({
    label: `dir plugin ${name}`,
    args: [DVDI_MAIN, 'plugin', 'serve', '--backend', 'dir', '--name', name, '--socket', socketPath, '--root', root],
    socketPath,
    logFile,
  });
}

/** A dir plugin serving the workspace's plugin directory, with its root and log in the workspace. */
export async function startWorkspaceDirPlugin(workspace, name) {
  return startDirPlugin({
    name,
    socketPath: path.join(workspace.socketDir, `${name}.sock`),
    root: await workspace.dir('plugins', name),
    logFile: path.join(workspace.logDir, `${name}.log`),
  });
}

function answers(socketPath) {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
