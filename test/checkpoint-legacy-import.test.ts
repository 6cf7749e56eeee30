import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../src/checkpoint/codec.js';
import type { MountRecord } from '../src/core/ports.js';
import { dvdi } from './helpers/cli.js';
import { Harness } from './helpers/harness.js';
import { isMountpoint } from './helpers/mounts.js';

let h: Harness;
let workDir: string;
let legacy: string;
beforeEach(() => {
  h = new Harness();
  workDir = path.join(h.root, 'agent-work');
  legacy = path.join(workDir, 'meta', 'dvdimounts.pb');
  mkdirSync(path.dirname(legacy), { recursive: true });
});
afterEach(() => h.dispose());

function legacyRecord(containerId: string, name: string, mountpoint: string): MountRecord {
  return { containerId, driver: 'rexray', name, mountpoint, options: '', containerPath: '', dvdcliPath: '', explicitCreate: false, state: 'mounted', mountId: '', error: '' };
}

describe("importing the original module's checkpoint from <work_dir>/meta", () => {
  it('takes it over once, recovers its live mounts, and keeps the old file renamed', () => {
    const mp = execFileSync(h.dvdcli.binary, ['mount', '--volumedriver=rexray', '--volumename=old'], { encoding: 'utf8' }).trim();
    const gone = execFileSync(h.dvdcli.binary, ['mount', '--volumedriver=rexray', '--volumename=gone'], { encoding: 'utf8' }).trim();
    writeFileSync(legacy, encodeCheckpoint([legacyRecord('alive', 'old', mp), legacyRecord('dead', 'gone', gone)]));
    const config = path.join(h.root, 'dvdi.json');
    writeFileSync(config, JSON.stringify({ work_dir: workDir, checkpoint: h.checkpoint, dvdcli: h.dvdcli.binary }));

    const r = dvdi(['recover', '--config', config, '--alive', 'alive']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/imported 2 mount record\(s\) of the original module from .*agent-work\/meta\/dvdimounts\.pb/);
    expect(JSON.parse(r.stdout)).toEqual({ kept: ['alive'], unmounted: ['rexray/gone'], pending: [] });
    expect(isMountpoint(mp)).toBe(true);
    expect(isMountpoint(gone)).toBe(false);
    expect(existsSync(legacy)).toBe(false);
    expect(existsSync(`${legacy}.imported-by-dvdi`)).toBe(true);

    // Emptied by cleanups, dvdi's own checkpoint still exists: nothing is imported again.
    writeFileSync(legacy, encodeCheckpoint([legacyRecord('stale', 'stale', '/nowhere')]));
    expect(dvdi(['cleanup', '--config', config, '--container-id', 'alive']).status).toBe(0);
    const status = dvdi(['status', '--config', config, '--json']);
    expect(status.stderr).not.toMatch(/imported/);
    expect(JSON.parse(status.stdout)).toEqual([]);
  });
});
