import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../src/checkpoint/codec.js';
import type { MountRecord } from '../src/core/ports.js';
import { Harness, env } from './helpers/harness.js';
import { isMountpoint } from './helpers/mounts.js';
import { concat, messageField, stringField } from './helpers/wire.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
  mkdirSync(path.dirname(h.checkpoint), { recursive: true });
});
afterEach(() => h.dispose());

/** Mounts a volume the way an earlier agent would have, outside the isolator under test. */
function mountOutside(name: string): string {
  return execFileSync(h.dvdcli.binary, ['mount', '--volumedriver=rexray', `--volumename=${name}`], { encoding: 'utf8' }).trim();
}

/** The original module's file: a 4-byte little-endian length, then ExternalMountList, no dvdi fields. */
function writeLegacyCheckpoint(entries: Array<{ container: string; name: string; mountpoint: string }>): void {
  const list = concat(
    ...entries.map((e) =>
      messageField(
        1,
        stringField(1, e.container),
        stringField(2, 'rexray'),
        stringField(3, e.name),
        stringField(4, e.mountpoint),
        stringField(5, ''),
      ),
    ),
  );
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(list.length);
  writeFileSync(h.checkpoint, concat(prefix, list));
}

function record(partial: Partial<MountRecord> & Pick<MountRecord, 'containerId' | 'name' | 'state'>): MountRecord {
  return {
    driver: 'rexray',
    mountpoint: '',
    options: '',
    containerPath: '',
    dvdcliPath: h.dvdcli.binary,
    explicitCreate: false,
    mountId: partial.containerId,
    error: '',
    ...partial,
  };
}

describe('recover', () => {
  it('recovers a checkpoint of the original module: keeps the live container, unmounts the gone one', async () => {
    const kept = mountOutside('kept');
    const lost = mountOutside('lost');
    writeLegacyCheckpoint([
      { container: 'alive', name: 'kept', mountpoint: kept },
      { container: 'gone', name: 'lost', mountpoint: lost },
    ]);
    const iso = await h.open();
    const report = await iso.recover(['alive'], []);
    // Recovery answers first; the gone container's volume is unmounted after it.
    expect(report).toEqual({ kept: ['alive'], releasing: ['rexray/lost'], pending: ['rexray/lost'] });
    await iso.settle();
    expect(iso.status().map((v) => v.name)).toEqual(['kept']);
    expect(isMountpoint(kept)).toBe(true);
    expect(isMountpoint(lost)).toBe(false);

    await iso.cleanup('alive');
    expect(isMountpoint(kept)).toBe(false);
    expect(iso.status()).toEqual([]);
  });

  it('keeps the volumes of known orphans; their later cleanup unmounts them', async () => {
    const mp = mountOutside('orphaned');
    writeFileSync(h.checkpoint, encodeCheckpoint([record({ containerId: 'orphan', name: 'orphaned', state: 'mounted', mountpoint: mp })]));
    const iso = await h.open();
    expect(await iso.recover([], ['orphan'])).toEqual({ kept: ['orphan'], releasing: [], pending: [] });
    await iso.settle();
    expect(isMountpoint(mp)).toBe(true);
    await iso.cleanup('orphan');
    expect(isMountpoint(mp)).toBe(false);
  });

  it('keeps a shared volume while one of its holders is alive', async () => {
    const mp = mountOutside('shared');
    writeFileSync(
      h.checkpoint,
      encodeCheckpoint([
        record({ containerId: 'gone', name: 'shared', state: 'mounted', mountpoint: mp }),
        record({ containerId: 'alive', name: 'shared', state: 'mounted', mountpoint: mp, mountId: 'gone' }),
      ]),
    );
    const iso = await h.open();
    await iso.recover(['alive'], []);
    await iso.settle();
    expect(isMountpoint(mp)).toBe(true);
    expect(iso.status()).toMatchObject([{ name: 'shared', holders: ['alive'] }]);
    expect(h.logged('container is gone')[0]!.line).toMatch(/containerId=gone driver=rexray volume=shared/);
  });

  it('unmounts interrupted mount intents even of containers it is told about', async () => {
    const mp = mountOutside('half');
    writeFileSync(h.checkpoint, encodeCheckpoint([record({ containerId: 'c', name: 'half', state: 'mounting' })]));
    const iso = await h.open();
    expect(await iso.recover(['c'], [])).toMatchObject({ releasing: ['rexray/half'] });
    await iso.settle();
    expect(isMountpoint(mp)).toBe(false);
    expect(iso.status()).toEqual([]);
  });

  it('never fails recovery because an unmount fails: the volume stays pending and is retried', async () => {
    const mp = mountOutside('stuck');
    writeFileSync(h.checkpoint, encodeCheckpoint([record({ containerId: 'gone', name: 'stuck', state: 'mounted', mountpoint: mp })]));
    h.dvdcli.behave({ unmount: 'fail' });
    const iso = await h.open();
    expect(await iso.recover([], [])).toEqual({ kept: [], releasing: ['rexray/stuck'], pending: ['rexray/stuck'] });
    await iso.settle();
    expect(h.logged('unmount failed; kept pending')).toHaveLength(1);
    expect(iso.status()).toMatchObject([{ name: 'stuck', state: 'unmount-pending' }]);
    await iso.close();

    h.dvdcli.behave({});
    const again = await h.open();
    await again.settle();
    expect(again.status()).toEqual([]);
    expect(isMountpoint(mp)).toBe(false);
  });

  it('treats a corrupt checkpoint as empty, keeps it aside, and goes on', async () => {
    writeFileSync(h.checkpoint, Buffer.from('this is not a checkpoint at all'));
    const iso = await h.open();
    expect(await iso.recover([], [])).toEqual({ kept: [], releasing: [], pending: [] });
    expect(h.logs.some((l) => l.level === 'ERROR' && /corrupt/i.test(l.line))).toBe(true);
    await iso.prepare({ containerId: 'c', environment: env({ DVDI_VOLUME_NAME: 'fresh' }), directory: h.sandbox });
    expect(iso.status()).toHaveLength(1);
  });
});
