/**
 * `dvdi volume` (also run as `dvdcli`): dvdcli's command line on top of the
 * plugin client, for the dvdcli mounter and for operators.
 *
 * Kept from dvdcli: subcommands, the lower-case flags, `mount` and `path`
 * printing the mountpoint alone on stdout, `--volumeopts` values also split
 * on `,`. Changed: every error (unknown flag or subcommand, bad value, plugin
 * failure) exits 1 with one line on stderr; plugins that are missing or
 * refuse connections are retried only briefly; every call has a time limit.
 *
 * Mount ID: dvdcli callers pass none, so `mount` and `unmount` send the
 * constant ID `dvdcli`; a plugin that counts mounts per ID then sees matching
 * pairs. `--id=ID` overrides it, for example to release a mount the plugin
 * mounter made with a container's ID.
 *
 * Configuration beyond dvdcli's flags comes from options or, because the
 * dvdcli mounter passes only dvdcli's flags, from the environment:
 * `--socket-dirs`/`DVDI_PLUGIN_SOCKET_DIRS`, `--spec-dirs`/`DVDI_PLUGIN_SPEC_DIRS`
 * (colon-separated; `--plugin-dirs` sets both), `--mount-timeout`/`DVDI_MOUNT_TIMEOUT`
 * and `--unmount-timeout`/`DVDI_UNMOUNT_TIMEOUT` (seconds).
 */
import { VERSION } from '../version.js';
import { PluginMounter } from '../mounters/plugin.js';
import { PluginClient } from '../plugin/client.js';
import { DEFAULT_PLUGIN_DIRS, findPlugin, type PluginDirs } from '../plugin/discovery.js';
import { own } from '../util/own.js';
import { secondsToMs } from '../util/seconds.js';

export interface VolumeCommandIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** The ID sent with Mount and Unmount when `--id` is not given. */
export const DVDCLI_MOUNT_ID = 'dvdcli';
export const DEFAULT_DRIVER = 'rexray';
/** Docker allows a plugin two minutes for Create and Mount. */
export const DEFAULT_TIMEOUT_SECONDS = 120;

const SUBCOMMANDS = ['mount', 'unmount', 'path', 'get', 'list', 'create', 'remove', 'version'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

type FlagKind = 'string' | 'list' | 'bool';
const FLAGS: Record<string, { kind: FlagKind; only?: readonly Subcommand[] }> = {
  volumedriver: { kind: 'string' },
  volumename: { kind: 'string' },
  volumeopts: { kind: 'list', only: ['mount', 'create'] },
  explicitcreate: { kind: 'bool', only: ['mount', 'path', 'unmount'] },
  id: { kind: 'string', only: ['mount', 'unmount'] },
  'plugin-dirs': { kind: 'string' },
  'socket-dirs': { kind: 'string' },
  'spec-dirs': { kind: 'string' },
  'mount-timeout': { kind: 'string' },
  'unmount-timeout': { kind: 'string' },
};

const USAGE = `usage: dvdi volume <${SUBCOMMANDS.join('|')}> [flags]
  --volumedriver=NAME     plugin name (default ${DEFAULT_DRIVER})
  --volumename=NAME       volume name (all but list and version)
  --volumeopts=K=V        volume option, repeatable (mount, create)
  --explicitcreate[=BOOL] do not create a missing volume (mount; path and unmount never create)
  --id=ID                 mount ID sent to the plugin (mount, unmount; default ${DVDCLI_MOUNT_ID})
  --plugin-dirs=D1:D2     socket and spec directories
  --socket-dirs=D1:D2     socket directories (env DVDI_PLUGIN_SOCKET_DIRS)
  --spec-dirs=D1:D2       spec directories (env DVDI_PLUGIN_SPEC_DIRS)
  --mount-timeout=SEC     limit for mount, create, path, get, list (env DVDI_MOUNT_TIMEOUT)
  --unmount-timeout=SEC   limit for unmount, remove (env DVDI_UNMOUNT_TIMEOUT)
`;

class UsageError extends Error {}

interface Parsed {
  readonly subcommand: Subcommand | 'help';
  readonly strings: Map<string, string>;
  readonly lists: Map<string, string[]>;
  readonly bools: Map<string, boolean>;
}

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

function parseBool(flag: string, value: string): boolean {
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new UsageError(`invalid value ${JSON.stringify(value)} for --${flag}: expected true or false`);
}

function parseArgs(argv: readonly string[]): Parsed {
  const strings = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const bools = new Map<string, boolean>();
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown flag ${arg}`);
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const spec = own(FLAGS, flag);
    if (!spec) {
      const lower = flag.toLowerCase();
      const hint = own(FLAGS, lower) ? ` (flags are lower case: --${lower})` : '';
      throw new UsageError(`unknown flag --${flag}${hint}`);
    }
    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else if (spec.kind === 'bool') {
      const next = argv[i + 1];
      value = next !== undefined && (TRUE.has(next) || FALSE.has(next)) ? argv[++i]! : 'true';
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`flag --${flag} needs a value`);
      value = next;
      i++;
    }
    if (spec.kind === 'bool') bools.set(flag, parseBool(flag, value));
    else if (spec.kind === 'list') lists.set(flag, [...(lists.get(flag) ?? []), value]);
    else strings.set(flag, value);
  }
  if (help || positional[0] === 'help') return { subcommand: 'help', strings, lists, bools };
  if (positional.length === 0) throw new UsageError(`missing subcommand (${SUBCOMMANDS.join('|')})`);
  const [first, ...rest] = positional;
  const subcommand = SUBCOMMANDS.find((s) => s === first);
  if (!subcommand) throw new UsageError(`unknown subcommand ${JSON.stringify(first)} (${SUBCOMMANDS.join('|')})`);
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  for (const flag of [...strings.keys(), ...lists.keys(), ...bools.keys()]) {
    const only = FLAGS[flag]!.only;
    if (only && !only.includes(subcommand)) throw new UsageError(`flag --${flag} is not valid for ${subcommand}`);
  }
  return { subcommand, strings, lists, bools };
}

/** dvdcli splits each `--volumeopts` value on `,`; every piece must be `key=value`. */
function parseOptions(values: readonly string[]): Array<[string, string]> {
  return values.flatMap((value) =>
    value.split(',').map((piece): [string, string] => {
      const eq = piece.indexOf('=');
      if (eq <= 0) throw new UsageError(`invalid --volumeopts ${JSON.stringify(piece)}: expected key=value`);
      return [piece.slice(0, eq), piece.slice(eq + 1)];
    }),
  );
}

function dirList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const dirs = value.split(':').filter((d) => d !== '');
  return dirs.length > 0 ? dirs : undefined;
}

function pluginDirs(p: Parsed, env: NodeJS.ProcessEnv): PluginDirs {
  const both = dirList(p.strings.get('plugin-dirs'));
  return {
    socketDirs:
      dirList(p.strings.get('socket-dirs')) ?? both ?? dirList(env.DVDI_PLUGIN_SOCKET_DIRS) ?? DEFAULT_PLUGIN_DIRS.socketDirs,
    specDirs: dirList(p.strings.get('spec-dirs')) ?? both ?? dirList(env.DVDI_PLUGIN_SPEC_DIRS) ?? DEFAULT_PLUGIN_DIRS.specDirs,
  };
}

function timeoutMs(flag: string, flagValue: string | undefined, envName: string, env: NodeJS.ProcessEnv): number {
  const [source, text] =
    flagValue !== undefined ? [`--${flag}`, flagValue] : env[envName] ? [envName, env[envName]!] : ['', undefined];
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
  const ms = secondsToMs(text);
  if (ms === undefined) throw new UsageError(`invalid ${source} ${JSON.stringify(text)}: expected a positive number of seconds`);
  return ms;
}

async function execute(p: Parsed & { subcommand: Subcommand }, io: VolumeCommandIo): Promise<void> {
  const { subcommand } = p;
  if (subcommand === 'version') {
    io.stdout(`dvdi ${VERSION} (dvdcli-compatible volume command)\n`);
    return;
  }
  const driver = p.strings.get('volumedriver') || DEFAULT_DRIVER;
  const name = p.strings.get('volumename') ?? '';
  if (subcommand !== 'list' && name === '') throw new UsageError(`--volumename is required for ${subcommand}`);
  const options = parseOptions(p.lists.get('volumeopts') ?? []);
  const dirs = pluginDirs(p, io.env);
  const mountTimeoutMs = timeoutMs('mount-timeout', p.strings.get('mount-timeout'), 'DVDI_MOUNT_TIMEOUT', io.env);
  const unmountTimeoutMs = timeoutMs('unmount-timeout', p.strings.get('unmount-timeout'), 'DVDI_UNMOUNT_TIMEOUT', io.env);
  const mountId = p.strings.get('id') || DVDCLI_MOUNT_ID;

  if (subcommand === 'mount' || subcommand === 'unmount') {
    const mounter = new PluginMounter({ ...dirs, mountTimeoutMs, unmountTimeoutMs });
    try {
      if (subcommand === 'mount') {
        const explicitCreate = p.bools.get('explicitcreate') ?? false;
        io.stdout(`${await mounter.mount({ driver, name, options, explicitCreate, mountId })}\n`);
      } else {
        await mounter.unmount({ driver, name, mountId });
      }
    } finally {
      await mounter.close();
    }
    return;
  }

  const long = subcommand === 'remove' ? unmountTimeoutMs : mountTimeoutMs;
  const client = new PluginClient(await findPlugin(driver, dirs), { timeoutMs: long });
  try {
    await client.activate();
    switch (subcommand) {
      case 'path': {
        // As dvdcli: an unmounted volume has no path and prints nothing.
        const mountpoint = await client.path(name);
        if (mountpoint !== '') io.stdout(`${mountpoint}\n`);
        break;
      }
      case 'get':
        io.stdout(`${JSON.stringify(await client.get(name), null, 2)}\n`);
        break;
      case 'list':
        io.stdout(`${JSON.stringify(await client.list(), null, 2)}\n`);
        break;
      case 'create':
        await client.create(name, Object.fromEntries(options));
        break;
      case 'remove':
        await client.remove(name);
        break;
    }
  } finally {
    await client.close();
  }
}

export async function runVolumeCommand(argv: string[], io: VolumeCommandIo): Promise<number> {
  let parsed: Parsed | undefined;
  try {
    parsed = parseArgs(argv);
    const { subcommand } = parsed;
    if (subcommand === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    await execute({ ...parsed, subcommand }, io);
    return 0;
  } catch (err) {
    const where = parsed && parsed.subcommand !== 'help' ? `dvdi volume ${parsed.subcommand}` : 'dvdi volume';
    const text = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' | ');
    io.stderr(`${where}: ${text}\n`);
    return 1;
  }
}
