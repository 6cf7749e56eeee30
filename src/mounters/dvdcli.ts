import * as path from 'node:path';
import {
  MounterError,
  type CallLimit,
  type MountRequest,
  type Mounter,
  type ProbeRequest,
  type UnmountRequest,
  type VolumePresence,
} from '../core/ports.js';
import { describeVolume, type VolumeId } from '../core/volume.js';
import { runProgram, type RunResult } from '../util/run-program.js';
import { mountedAnswer, presenceFrom, unknownPresence } from './presence.js';

/** How dvdcli-compatible tools say a volume does not exist (dvdi volume says "no such volume"). */
const NO_VOLUME = /no such volume|not found|does not exist|doesn't exist/i;
/** dvdcli's stderr can be large; a failure carries its start. */
const MAX_DETAIL = 2000;

export interface DvdcliSettings {
  /** Absolute path of the dvdcli-compatible binary, chosen by the operator. */
  readonly binary: string;
  readonly mountTimeoutMs: number;
  readonly unmountTimeoutMs: number;
}

/**
 * Mounts through a dvdcli-compatible binary (the original module's way).
 * dvdcli exits 0 even on its own parse errors, so success is exit 0 and
 * exactly one absolute path on stdout. dvdcli does not forward an ID to the
 * plugin, so `mountId` is not used here.
 */
export class DvdcliMounter implements Mounter {
  readonly kind = 'dvdcli';
  /** Aborted by close: no dvdcli run outlives the mounter. */
  private readonly closing = new AbortController();

  constructor(private readonly settings: DvdcliSettings) {}

  async mount(req: MountRequest, limit?: CallLimit): Promise<string> {
    const args = [
      'mount',
      `--volumedriver=${req.driver}`,
      `--volumename=${req.name}`,
      ...req.options.map(([k, v]) => `--volumeopts=${k}=${v}`),
      ...(req.explicitCreate ? ['--explicitcreate=true'] : []),
    ];
    const result = await this.run(args, this.settings.mountTimeoutMs, req, limit);
    const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
    const mountpoint = lines.length === 1 ? lines[0]!.trim() : '';
    if (result.code !== 0 || !path.isAbsolute(mountpoint)) {
      throw failure('mount', req, result, lines.length === 1 ? 'did not print an absolute mountpoint' : `printed ${lines.length} lines instead of one mountpoint`);
    }
    return mountpoint;
  }

  async unmount(req: UnmountRequest, limit?: CallLimit): Promise<void> {
    const args = ['unmount', `--volumedriver=${req.driver}`, `--volumename=${req.name}`];
    const result = await this.run(args, this.settings.unmountTimeoutMs, req, limit);
    if (result.code !== 0) throw failure('unmount', req, result, '');
  }

  /**
   * `dvdcli path` with explicit create (so a missing volume is not created):
   * a "no such volume" error means absent; one printed path is checked
   * against the mount table. Old dvdcli releases without the flag print
   * their usage, which settles nothing.
   */
  async probe(req: ProbeRequest, limit?: CallLimit): Promise<VolumePresence> {
    const args = ['path', `--volumedriver=${req.driver}`, `--volumename=${req.name}`, '--explicitcreate=true'];
    let result: RunResult;
    try {
      result = await this.run(args, this.settings.unmountTimeoutMs, req, limit);
    } catch (e) {
      return unknownPresence((e as Error).message);
    }
    const said = oneLine(result);
    if (result.timedOut || result.code !== 0) {
      return result.code === 1 && NO_VOLUME.test(said)
        ? { state: 'absent', detail: `dvdcli path: ${said}` }
        : unknownPresence(`dvdcli path ${result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`}: ${said}`);
    }
    const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > 1 || (lines.length === 1 && !path.isAbsolute(lines[0]!.trim()))) {
      return unknownPresence(`dvdcli path printed no usable path: ${said}`);
    }
    return presenceFrom([lines[0]?.trim() ?? ''], req.mountpoint);
  }

  /** `dvdcli path` (with explicit create, so nothing is created): one absolute path, mounted on the host. */
  async locate(req: VolumeId, limit?: CallLimit): Promise<string> {
    const args = ['path', `--volumedriver=${req.driver}`, `--volumename=${req.name}`, '--explicitcreate=true'];
    const result = await this.run(args, this.settings.mountTimeoutMs, req, limit);
    const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
    if (result.timedOut || result.code !== 0 || lines.length > 1) throw failure('path', req, result, `printed ${lines.length} lines instead of one mountpoint`);
    try {
      return await mountedAnswer(lines.map((l) => l.trim()));
    } catch (e) {
      throw new MounterError(`dvdcli path of ${describeVolume(req)}`, (e as Error).message);
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  private async run(args: string[], timeoutMs: number, req: { driver: string; name: string }, limit?: CallLimit): Promise<RunResult> {
    const signal = limit?.signal ? AbortSignal.any([this.closing.signal, limit.signal]) : this.closing.signal;
    try {
      return await runProgram(this.settings.binary, args, { timeoutMs, signal });
    } catch (e) {
      throw new MounterError(`dvdcli cannot ${args[0]} ${describeVolume(req)}`, (e as Error).message);
    }
  }
}

function failure(op: string, req: { driver: string; name: string }, r: RunResult, why: string): MounterError {
  const how = r.timedOut
    ? 'timed out and was killed'
    : r.signal
      ? `was killed by ${r.signal}`
      : r.code !== 0
        ? `exited with status ${r.code}`
        : why;
  const text = oneLine(r);
  // Killed, or exit 0 with output that is not a mountpoint: the mount may have happened.
  const uncertain = r.timedOut || r.signal !== null || r.code === 0;
  // dvdcli exits 1 on errors it handled, such as the plugin's own refusal.
  const refused = !uncertain && r.code === 1;
  return new MounterError(`dvdcli ${op} of ${describeVolume(req)} ${how}`, text, uncertain, refused);
}

/** dvdcli's error text (stderr, else stdout) on one line, cut to a readable length. */
function oneLine(r: RunResult): string {
  const text = (r.stderr.trim() || r.stdout.trim()).replace(/\s*\n\s*/g, ' | ');
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}
