import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve('.');

/**
 * Runs `make deb`'s script for the release whose files `make isolator` left
 * in `dir`/mesos-`mesosVersion` (DVDI_MODULE_DIR); the package goes to `dir`.
 * Asynchronous: lintian keeps it busy long enough to starve the worker's event loop.
 * Returns what it printed.
 */
export async function buildDeb(dir: string, mesosVersion: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const built = await promisify(execFile)('sh', ['native/deb/build-deb.sh'], {
    cwd: ROOT,
    env: { ...process.env, MESOS_VERSION: mesosVersion, DVDI_MODULE_DIR: dir, ...env },
  });
  return built.stdout;
}

/** The package file `buildDeb` makes. */
export function debFile(dir: string, mesosVersion: string, version: string): string {
  return path.join(dir, `dvdi-mesos-${mesosVersion}_${version}_amd64.deb`);
}
