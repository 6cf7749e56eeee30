import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireStateLock, lockHolder, RUNTIME_ROLE } from '../src/state/lock.js';
import { dvdi, dvdiAsync, startDvdi, waitFor } from './helpers/cli.js';
import { Harness } from './helpers/harness.js';
import { killAndWait } from './helpers/process.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => {
  for (const c of h.dvdcli.calls()) {
    try {
      process.kill(c.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  h.dispose();
});

/** A seeded generator, so a failing round can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('the state lock', () => {
  it('ignores the empty lock file an older dvdi could leave behind', () => {
    mkdirSync(path.dirname(h.checkpoint), { recursive: true });
    writeFileSync(`${h.checkpoint}.lock`, '');
    const r = dvdi(['recover', ...h.cliFlags]);
    expect(r.status).toBe(0);
  });

  it('is released the instant its holder is killed, at any moment', async () => {
    const seed = Date.now() % 100_000;
    const next = random(seed);
    h.dvdcli.behave({ mount: 'slow:200' });
    for (let round = 0; round < 8; round++) {
      const child = startDvdi(['prepare', ...h.cliFlags, '--container-id', `c${round}`, '--directory', h.sandbox, '--env', `DVDI_VOLUME_NAME=v${round}`]);
      await new Promise((r) => setTimeout(r, Math.floor(next() * 600)));
      // The command may have finished before the kill.
      await killAndWait(child);
      expect(await lockHolder(h.checkpoint), `seed ${seed} round ${round}`).toBeUndefined();
    }
    const r = await dvdiAsync(['recover', ...h.cliFlags]);
    expect(r.status, `seed ${seed}: ${r.stderr}`).toBe(0);
    expect(JSON.parse(dvdi(['status', ...h.cliFlags, '--json']).stdout)).toEqual([]);
  });

  it('lets concurrent commands take turns without losing an update', async () => {
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        dvdiAsync(['prepare', ...h.cliFlags, '--container-id', `c${i}`, '--directory', h.sandbox, '--env', `DVDI_VOLUME_NAME=v${i}`]),
      ),
    );
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const volumes = JSON.parse(dvdi(['status', ...h.cliFlags, '--json']).stdout) as Array<{ name: string }>;
    expect(volumes.map((v) => v.name).sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    for (let i = 0; i < 6; i++) expect(dvdi(['cleanup', ...h.cliFlags, '--container-id', `c${i}`]).status).toBe(0);
  });

  it('refuses state changes at once while an agent runtime owns the checkpoint; status still reads it', async () => {
    const lock = await acquireStateLock(h.checkpoint, RUNTIME_ROLE, 0);
    try {
      for (const command of [['prepare', '--container-id', 'c', '--env', 'DVDI_VOLUME_NAME=v'], ['cleanup', '--container-id', 'c'], ['recover'], ['forget', '--name', 'v']]) {
        const r = await dvdiAsync([...command, ...h.cliFlags]);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`belongs to the Mesos agent's dvdi runtime \\(process ${process.pid}`));
      }
      expect((await dvdiAsync(['status', ...h.cliFlags])).status).toBe(0);
      expect(h.dvdcli.calls()).toEqual([]);
    } finally {
      await lock.release();
    }
    expect(await lockHolder(h.checkpoint)).toBeUndefined();
  });

  it('names the holder while another command has it', async () => {
    h.dvdcli.behave({ mount: 'hang' });
    const child = startDvdi(['prepare', ...h.cliFlags, '--container-id', 'c', '--directory', h.sandbox, '--env', 'DVDI_VOLUME_NAME=v']);
    await waitFor(() => h.dvdcli.calls().length > 0, 'the mount to start');
    expect(await lockHolder(h.checkpoint)).toMatchObject({ pid: child.pid, role: 'dvdi prepare' });
    await killAndWait(child);
  });
});
