import { existsSync, readdirSync } from 'node:fs';
import { launcherDir } from './doctor-libraries.js';
import { INSTALL_DIR, MODULE_NAME } from './module-config.js';
import { one, parseArgs, UsageError } from './args.js';
import type { Io } from './common.js';

/** Where the Debian package keeps the modules file (a conffile), as Mesos packages keep agent settings. */
export const MODULES_FILE = '/etc/mesos-slave/dvdi-mod.json';

const MODULE_FILE = /^libmesos_dvdi_isolator-(\d+\.\d+\.\d+)\.so$/;

export const AGENT_SETUP_USAGE = 'usage: dvdi agent-setup [--mesos-version V]';

/** The release of the module installed beside the running launcher (or in /usr/lib/dvdi). */
function installedRelease(execPath: string): string {
  const dir = launcherDir(execPath) ?? INSTALL_DIR;
  const releases = existsSync(dir) ? readdirSync(dir).flatMap((n) => MODULE_FILE.exec(n)?.[1] ?? []) : [];
  if (releases.length !== 1) {
    throw new Error(`expected one libmesos_dvdi_isolator-<release>.so in ${dir}, found ${releases.length}: give --mesos-version`);
  }
  return releases[0]!;
}

/**
 * The agent settings that load the module, which installing it never
 * changes: the Debian package's README.Debian states the same text (its
 * build runs this command). 1.x agents take the module beside
 * filesystem/linux.
 */
export function agentSetupText(release: string): string {
  const modern = Number(release.split('.')[0]) >= 1;
  const isolation = `${modern ? 'filesystem/linux,' : ''}posix/cpu,posix/mem,${MODULE_NAME}`;
  return [
    `The dvdi module for Mesos ${release} agents is in ${INSTALL_DIR}. The agent loads it`,
    'only once two of its settings name it; installing dvdi changes neither.',
    'As root, set them, check, and restart the agent once doctor says ready:',
    '',
    `  echo file://${MODULES_FILE} > /etc/mesos-slave/modules`,
    `  echo ${isolation} > /etc/mesos-slave/isolation`,
    `  dvdi doctor --config ${MODULES_FILE}`,
    '',
    "The first is the agent's --modules flag: where the agent already loads",
    `other modules, add the library entry of ${MODULES_FILE} to its`,
    "modules file instead. The second is the agent's --isolation flag: where it",
    `already names isolators, keep them and add ${MODULE_NAME}`,
    ...(modern ? ['beside filesystem/linux (with the Linux launcher, the default for an agent run as root)'] : []),
    'and remove docker/volume if it is there (dvdi takes over its volumes).',
    '',
  ].join('\n');
}

/** `dvdi agent-setup`: prints the two agent settings for the installed module's release. */
export function runAgentSetup(argv: readonly string[], io: Io, execPath = process.execPath): number {
  const args = parseArgs(argv, { 'mesos-version': { value: true } });
  if (args.positionals.length > 0) throw new UsageError(AGENT_SETUP_USAGE);
  const release = one(args, 'mesos-version') ?? installedRelease(execPath);
  if (!/^\d+\.\d+\.\d+$/.test(release)) {
    throw new UsageError(`--mesos-version: expected an exact release such as 0.27.2, got ${JSON.stringify(release)}`);
  }
  io.stdout(agentSetupText(release));
  return 0;
}
