import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockHolder } from '../src/state/lock.js';
import { dvdi, startDvdi, waitFor } from './helpers/cli.js';
import { Harness } from './helpers/harness.js';
import { isMountpoint } from './helpers/mounts.js';
import { exited } from './helpers/process.js';

let h: Harness;
let common: string[];
beforeEach(() => {
  h = new Harness();
  common = h.cliFlags;
});
function killFakes(): void {
  for (const c of h.dvdcli.calls()) {
    try {
      process.kill(c.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

afterEach(() => {
  killFakes();
  h.dispose();
});

/** Kills the CLI (and the dvdcli it is waiting for) the way a power cut would. */
async function crashDuringMount(behaviour: string, crashPoint: () => boolean): Promise<void> {
  h.dvdcli.behave({ mount: behaviour });
  const child = startDvdi(['prepare', ...common, '--container-id', 'victim', '--directory', h.sandbox, '--env', 'DVDI_VOLUME_NAME=v']);
  await waitFor(crashPoint, 'the crash point');
  const exit = exited(child);
  child.kill('SIGKILL');
  killFakes();
  await exit;
  h.dvdcli.behave({});
}

describe('a crash during prepare converges after recover', () => {
  it('between recording the intent and mounting', async () => {
    await crashDuringMount('hang', () => h.dvdcli.calls().length > 0);
    expect(JSON.parse(dvdi(['status', ...common, '--json']).stdout)).toMatchObject([{ name: 'v', state: 'mounting' }]);
    const r = dvdi(['recover', ...common]);
    expect(JSON.parse(r.stdout)).toEqual({ kept: [], unmounted: ['rexray/v'], pending: [] });
    expect(dvdi(['status', ...common]).stdout).toBe('no volumes\n');
    // The killed prepare left the state unlocked (the lock file itself may stay: it holds no lock).
    expect(await lockHolder(h.checkpoint)).toBeUndefined();
  });

  it('between mounting and checkpointing the mountpoint', async () => {
    const mp = h.dvdcli.mountpoint('rexray', 'v');
    await crashDuringMount('mount-then-hang', () => isMountpoint(mp));
    expect(isMountpoint(mp)).toBe(true);
    const r = dvdi(['recover', ...common]);
    expect(JSON.parse(r.stdout)).toMatchObject({ unmounted: ['rexray/v'], pending: [] });
    expect(isMountpoint(mp)).toBe(false);
    expect(dvdi(['status', ...common]).stdout).toBe('no volumes\n');
  });

  it('after the mount was checkpointed: a live container keeps its volume', async () => {
    const ok = dvdi(['prepare', ...common, '--container-id', 'survivor', '--directory', h.sandbox, '--env', 'DVDI_VOLUME_NAME=kept']);
    expect(ok.status).toBe(0);
    await crashDuringMount('hang', () => h.dvdcli.calls().some((c) => c.volumename === 'v'));
    const r = dvdi(['recover', ...common, '--alive', 'survivor']);
    expect(JSON.parse(r.stdout)).toEqual({ kept: ['survivor'], unmounted: ['rexray/v'], pending: [] });
    expect(isMountpoint(h.dvdcli.mountpoint('rexray', 'kept'))).toBe(true);
  });
});
