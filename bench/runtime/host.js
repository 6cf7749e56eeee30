import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILD = new URL('../../build/native/', import.meta.url);
export const HOST = fileURLToPath(new URL('dvdi-runtime-bench', BUILD));
export const LIBRARY = fileURLToPath(new URL('libdvdi_runtime.so', BUILD));
export const REAL_BUNDLE = fileURLToPath(new URL('../../dist/dvdi-runtime.cjs', import.meta.url));
export const ECHO_BUNDLE = fileURLToPath(new URL('./echo-bundle.cjs', import.meta.url));

/**
 * Runs native/bench's host in one mode (a new process each time, since Node
 * starts once per process) and returns its JSON lines by event; onEvent, if
 * given, sees each as it arrives. The runtime's warnings go to its stderr,
 * shown only when the host fails: the restarts it is asked for log one each.
 */
export function runHost(mode, { params, options = {}, environment = [], onEvent = () => {} }) {
  const args = [`--library=${LIBRARY}`, `--mode=${mode}`];
  for (const [key, value] of Object.entries(options)) args.push(`--${key}=${value}`);
  for (const [key, value] of Object.entries(params)) args.push(`--param=${key}=${value}`);
  for (const [name, value] of environment) args.push(`--env=${name}=${value}`);
  const child = spawn(HOST, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const events = {};
  let partial = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop();
    for (const line of lines.filter(Boolean)) {
      const event = JSON.parse(line);
      (events[event.event] ??= []).push(event);
      onEvent(event);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${HOST} --mode=${mode} ended with ${signal ?? `exit code ${code}`}:\n${stderr.slice(-2000)}`));
        return;
      }
      resolve(events);
    });
  });
}
