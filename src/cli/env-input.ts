import { readFile } from 'node:fs/promises';
import { UsageError } from './args.js';

function splitAssignment(text: string, where: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`${where}: expected NAME=VALUE, got ${JSON.stringify(text)}`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/**
 * The task environment from `--env-file` files (NAME=VALUE lines; blank lines
 * and `#` comments skipped) then `--env` flags, in order. Values are taken
 * literally: no quotes, no expansion.
 */
export async function readEnvironment(files: readonly string[], assignments: readonly string[]): Promise<Array<[string, string]>> {
  const env: Array<[string, string]> = [];
  for (const file of files) {
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '' || line.trimStart().startsWith('#')) return;
      env.push(splitAssignment(line, `${file}:${i + 1}`));
    });
  }
  for (const a of assignments) env.push(splitAssignment(a, '--env'));
  return env;
}
