import * as path from 'node:path';
import { MounterError, type MountRequest, type Mounter, type UnmountRequest } from '../core/ports.js';
import { describeVolume } from '../core/volume.js';
import { runProgram, type RunResult } from '../util/run-program.js';

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

  constructor(private readonly settings: DvdcliSettings) {}

  async mount(req: MountRequest): Promise<string> {
    const args = [
      'mount',
      `--volumedriver=${req.driver}`,
      `--volumename=${req.name}`,
      ...req.options.map(([k, v]) => `--volumeopts=${k}=${v}`),
      ...(req.explicitCreate ? ['--explicitcreate=true'] : []),
    ];
    const result = await this.run(args, this.settings.mountTimeoutMs, req);
    const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
    const mountpoint = lines.length === 1 ? lines[0]!.trim() : '';
    if (result.code !== 0 || !path.isAbsolute(mountpoint)) {
      throw failure('mount', req, result, lines.length === 1 ? 'did not print an absolute mountpoint' : `printed ${lines.length} lines instead of one mountpoint`);
    }
    return mountpoint;
  }

  async unmount(req: UnmountRequest): Promise<void> {
    const args = ['unmount', `--volumedriver=${req.driver}`, `--volumename=${req.name}`];
    const result = await this.run(args, this.settings.unmountTimeoutMs, req);
    if (result.code !== 0) throw failure('unmount', req, result, '');
  }

  async close(): Promise<void> {}

  private async run(args: string[], timeoutMs: number, req: { driver: string; name: string }): Promise<RunResult> {
    try {
      return await runProgram(this.settings.binary, args, { timeoutMs });
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
  const text = (r.stderr.trim() || r.stdout.trim()).replace(/\s*\n\s*/g, ' | ');
  // Killed, or exit 0 with output that is not a mountpoint: the mount may have happened.
  const uncertain = r.timedOut || r.signal !== null || r.code === 0;
  return new MounterError(`dvdcli ${op} of ${describeVolume(req)} ${how}`, text, uncertain);
}
