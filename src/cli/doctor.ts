import { constants } from 'node:fs';
import { access, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { decodeCheckpoint } from '../checkpoint/codec.js';
import { readCheckpointBytes } from '../checkpoint/file-store.js';
import type { Settings } from '../config/settings.js';
import { messageOf } from '../core/errors.js';
import { PluginClient } from '../plugin/client.js';
import { listPlugins } from '../plugin/discovery.js';
import { pathExists } from '../util/path-exists.js';
import { runProgram } from '../util/run-program.js';
import { one, parseArgs, UsageError } from './args.js';
import { COMMON_FLAGS, settingsFromArgs, type Io } from './common.js';
import { checkHostLibraries, libraryPathOf } from './doctor-libraries.js';

/** `fail`: the configured setup cannot work; `warn`: worth a look, but not fatal. */
type Verdict = 'ok' | 'warn' | 'fail';

interface Finding {
  readonly verdict: Verdict;
  readonly text: string;
}

const PROBE_TIMEOUT_MS = 10_000;

const ok = (text: string): Finding => ({ verdict: 'ok', text });
const warn = (text: string): Finding => ({ verdict: 'warn', text });
const fail = (text: string): Finding => ({ verdict: 'fail', text });

function checkRoot(): Finding {
  const uid = process.getuid?.();
  return uid === 0 ? ok('running as root') : fail(`running as uid ${uid}: mounting volumes needs root`);
}

async function checkNamespaces(): Promise<Finding> {
  try {
    const r = await runProgram('unshare', ['--mount', '--propagation', 'unchanged', '--', 'true'], { timeoutMs: PROBE_TIMEOUT_MS });
    return r.code === 0 ? ok('mount namespaces can be created') : fail(`cannot create a mount namespace: ${r.stderr.trim() || `exit ${r.code}`}`);
  } catch (e) {
    return fail(`cannot create a mount namespace: ${messageOf(e)}`);
  }
}

/** Writes and removes a probe file where the checkpoint lives, without creating anything else. */
async function checkCheckpointDir(file: string): Promise<Finding> {
  const dir = path.dirname(file);
  if (!(await pathExists(dir))) {
    let parent = path.dirname(dir);
    while (!(await pathExists(parent))) parent = path.dirname(parent);
    try {
      await access(parent, constants.W_OK);
      return ok(`checkpoint directory ${dir} will be created on first use (${parent} is writable)`);
    } catch {
      return fail(`checkpoint directory ${dir} is missing and ${parent} is not writable`);
    }
  }
  const probe = path.join(dir, `.dvdi-doctor-${process.pid}`);
  try {
    await writeFile(probe, '');
    await unlink(probe);
    return ok(`checkpoint directory ${dir} is writable`);
  } catch (e) {
    return fail(`checkpoint directory ${dir} is not writable: ${messageOf(e)}`);
  }
}

async function checkCheckpoint(file: string): Promise<Finding> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readCheckpointBytes(file);
  } catch (e) {
    return fail(messageOf(e));
  }
  if (bytes === undefined) return ok(`no checkpoint yet at ${file}`);
  try {
    const records = decodeCheckpoint(bytes);
    const pending = records.filter((r) => r.state === 'unmount-pending').length;
    const text = `checkpoint ${file} holds ${records.length} record(s)`;
    return pending > 0 ? warn(`${text}, ${pending} unmount(s) pending: see \`dvdi status\``) : ok(text);
  } catch (e) {
    return warn(`checkpoint ${file} is corrupt (recovery will move it aside and start empty): ${messageOf(e)}`);
  }
}

async function checkDvdcli(binary: string): Promise<Finding> {
  try {
    await access(binary, constants.X_OK);
  } catch {
    return fail(`dvdcli binary ${binary} is missing or not executable (parameter dvdcli)`);
  }
  try {
    const r = await runProgram(binary, ['version'], { timeoutMs: PROBE_TIMEOUT_MS });
    if (r.code !== 0) return fail(`${binary} version: ${r.timedOut ? 'timed out' : `exit ${r.code}`}: ${r.stderr.trim()}`);
    return ok(`dvdcli ${binary} runs: ${r.stdout.trim().split('\n')[0] ?? ''}`);
  } catch (e) {
    return fail(messageOf(e));
  }
}

async function checkPlugins(settings: Settings): Promise<Finding[]> {
  const dirs = [...new Set([...settings.socketDirs, ...settings.specDirs])];
  const present = [];
  for (const d of dirs) if (await pathExists(d)) present.push(d);
  const findings: Finding[] = [];
  const needed = settings.mounter === 'plugin';
  if (present.length === 0) {
    const text = `no plugin directory exists (${dirs.join(', ')})`;
    return [needed ? fail(text) : warn(text)];
  }
  findings.push(ok(`plugin directories present: ${present.join(', ')}`));
  const listing = await listPlugins({ socketDirs: settings.socketDirs, specDirs: settings.specDirs });
  for (const p of listing.problems) findings.push(warn(`plugin entry ${p.source}: ${p.error}`));
  let working = 0;
  for (const location of listing.plugins) {
    const client = new PluginClient(location, { connectRetryMs: 0, timeoutMs: PROBE_TIMEOUT_MS });
    try {
      await client.activate();
      const volumes = await client.list();
      working++;
      findings.push(ok(`plugin ${location.name} (${location.source}): activated, ${volumes.length} volume(s)`));
    } catch (e) {
      findings.push(warn(`plugin ${location.name} (${location.source}): ${messageOf(e)}`));
    } finally {
      await client.close();
    }
  }
  if (listing.plugins.length === 0) findings.push(needed ? fail('no volume plugin found') : warn('no volume plugin found'));
  else if (needed && working === 0) findings.push(fail('no volume plugin answers'));
  return findings;
}

/** The common flags, and `--library-path DIR[:DIR]`: the agent's `LD_LIBRARY_PATH` (default: doctor's own). */
const DOCTOR_FLAGS = { ...COMMON_FLAGS, 'library-path': { value: true } };

/** `dvdi doctor`: one line a check, then a verdict; exit 1 when the configured setup cannot work. */
export async function runDoctor(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, DOCTOR_FLAGS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const settings = await settingsFromArgs(args);
  const config = one(args, 'config');
  const libraries = checkHostLibraries({
    ...(config !== undefined && { configFile: config }),
    libraryPath: libraryPathOf(one(args, 'library-path')),
  });
  io.stdout(`dvdi doctor: mounter ${settings.mounter}, checkpoint ${settings.checkpointFile}\n`);
  io.stdout(`dvdi doctor: ${libraries.heading}\n`);
  const findings: Finding[] = [
    ...libraries.findings,
    checkRoot(),
    await checkNamespaces(),
    await checkCheckpointDir(settings.checkpointFile),
    await checkCheckpoint(settings.checkpointFile),
    ...(settings.mounter === 'dvdcli' ? [await checkDvdcli(settings.dvdcli)] : []),
    ...(await checkPlugins(settings)),
  ];
  const label: Record<Verdict, string> = { ok: ' ok ', warn: 'warn', fail: 'FAIL' };
  for (const f of findings) io.stdout(`[${label[f.verdict]}] ${f.text}\n`);
  const failures = findings.filter((f) => f.verdict === 'fail').length;
  const warnings = findings.filter((f) => f.verdict === 'warn').length;
  io.stdout(
    failures > 0
      ? `verdict: NOT ready: ${failures} problem(s) stop the configured setup from working\n`
      : `verdict: ready${warnings > 0 ? ` (${warnings} warning(s))` : ''}\n`,
  );
  if (one(args, 'quiet') === undefined && failures > 0) io.stderr(`dvdi doctor: ${failures} check(s) failed\n`);
  return failures > 0 ? 1 : 0;
}
