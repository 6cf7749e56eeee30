import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../src/checkpoint/codec.js';
import { FileCheckpointStore } from '../src/checkpoint/file-store.js';
import type { LogFields, Logger, MountRecord } from '../src/core/ports.js';

interface Entry {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields | undefined;
}

class RecordingLogger implements Logger {
  readonly entries: Entry[] = [];
  info(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'error', message, fields });
  }
  at(level: Entry['level']): Entry[] {
    return this.entries.filter((e) => e.level === level);
  }
}

function record(containerId: string, name = 'vol'): MountRecord {
  return {
    containerId,
    driver: 'rexray',
    name,
    mountpoint: `/var/lib/rexray/volumes/${name}/data`,
    options: 'size=1',
    containerPath: '/data',
    dvdcliPath: '/usr/bin/dvdcli',
    explicitCreate: false,
    state: 'mounted',
    mountId: `id-${containerId}`,
    error: '',
  };
}

/** The pid of a process that has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}

let dir: string;
let path: string;
let logger: RecordingLogger;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dvdi-checkpoint-'));
  path = join(dir, 'dvdimounts.pb');
  logger = new RecordingLogger();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileCheckpointStore', () => {
  it('reports its path as its location', () => {
    expect(new FileCheckpointStore(path, logger).location).toBe(path);
  });

  it('loads a missing file, or a missing directory, as no records', async () => {
    expect(await new FileCheckpointStore(path, logger).load()).toEqual([]);
    expect(await new FileCheckpointStore(join(dir, 'absent', 'dvdimounts.pb'), logger).load()).toEqual([]);
    expect(existsSync(join(dir, 'absent'))).toBe(false);
    expect(logger.entries).toEqual([]);
  });

  it('loads an empty file as no records', async () => {
    await writeFile(path, '');
    expect(await new FileCheckpointStore(path, logger).load()).toEqual([]);
    expect(logger.entries).toEqual([]);
  });

  it('saves and loads records, in a file only root can read', async () => {
    const records = [record('c1', 'a'), { ...record('c2', 'b'), state: 'mounting' as const }];
    const store = new FileCheckpointStore(path, logger);
    await store.save(records);
    expect(await new FileCheckpointStore(path, logger).load()).toEqual(records);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['dvdimounts.pb']);
  });

  it('creates missing directories with mode 0700', async () => {
    const nested = join(dir, 'run', 'mesos', 'isolators', 'dvdimounts.pb');
    await new FileCheckpointStore(nested, logger).save([record('c1')]);
    for (const d of ['run', 'run/mesos', 'run/mesos/isolators']) {
      expect((await stat(join(dir, d))).mode & 0o777).toBe(0o700);
    }
    expect(await new FileCheckpointStore(nested, logger).load()).toEqual([record('c1')]);
  });

  it('reads a checkpoint of the original module in place', async () => {
    await writeFile(path, encodeCheckpoint([record('legacy')]));
    expect(await new FileCheckpointStore(path, logger).load()).toEqual([record('legacy')]);
  });

  it('moves a corrupt file aside, logs where to, and starts empty', async () => {
    const junk = Buffer.from([0x20, 0, 0, 0, 0x0a, 0x1e, 0x0a]);
    await writeFile(path, junk);
    const store = new FileCheckpointStore(path, logger);
    expect(await store.load()).toEqual([]);

    const [entry] = logger.at('error');
    const movedTo = entry!.fields!.movedTo as string;
    expect(movedTo).toMatch(new RegExp(`^${path}\\.corrupt-\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z$`));
    expect(entry!.message).toContain(movedTo);
    expect(entry!.message).toMatch(/checkpoint is corrupt \(7 bytes\)/);
    expect(readFileSync(movedTo)).toEqual(junk);
    expect(existsSync(path)).toBe(false);

    await store.save([record('c1')]);
    expect(await store.load()).toEqual([record('c1')]);
  });

  it('never overwrites an earlier corrupt copy', async () => {
    const store = new FileCheckpointStore(path, logger);
    await writeFile(path, 'first junk');
    await store.load();
    await writeFile(path, 'second junk');
    await store.load();
    const moved = logger.at('error').map((e) => e.fields!.movedTo as string);
    expect(new Set(moved).size).toBe(2);
    expect(moved.map((m) => readFileSync(m, 'utf8')).sort()).toEqual(['first junk', 'second junk']);
  });

  it('fails, without moving it, when the checkpoint cannot be read', async () => {
    await mkdir(path);
    await expect(new FileCheckpointStore(path, logger).load()).rejects.toThrow(
      new RegExp(`cannot read checkpoint ${path}: .*EISDIR`),
    );
    expect((await stat(path)).isDirectory()).toBe(true);
  });

  it('removes temp files left by a crashed save and logs them', async () => {
    const leftovers = [`dvdimounts.pb.tmp-${await deadPid()}-0a1b2c`, `dvdimounts.pb.tmp-${process.pid}-ffee00`];
    for (const name of leftovers) await writeFile(join(dir, name), 'partial');
    await writeFile(path, encodeCheckpoint([record('c1')]));

    expect(await new FileCheckpointStore(path, logger).load()).toEqual([record('c1')]);
    expect(await readdir(dir)).toEqual(['dvdimounts.pb']);
    const warned = logger.at('warn').map((e) => e.fields!.path);
    expect(warned.sort()).toEqual(leftovers.map((n) => join(dir, n)).sort());
  });

  it("leaves alone the temp file of another live process's save, and files not its own", async () => {
    const others = [
      `dvdimounts.pb.tmp-${process.ppid}-0a1b2c`,
      'dvdimounts.pb.tmp-by-hand',
      'other.pb.tmp-1-00',
      'dvdimounts.pb.bak',
    ];
    for (const name of others) await writeFile(join(dir, name), 'x');
    await new FileCheckpointStore(path, logger).load();
    expect((await readdir(dir)).sort()).toEqual([...others].sort());
    expect(logger.entries).toEqual([]);
  });

  it('runs concurrent saves one at a time, each writing the snapshot it was given', async () => {
    const store = new FileCheckpointStore(path, logger);
    const live: MountRecord[] = [];
    const seen: number[][] = [];
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 25; i++) {
      live.push(record(`c${i}`));
      // Read when this save settles: the next save has not replaced the file yet.
      saves.push(
        store.save(live).then(() => {
          seen.push(decodeCheckpoint(readFileSync(path)).map((r) => Number(r.containerId.slice(1))));
        }),
      );
    }
    live.length = 0;
    await Promise.all(saves);
    expect(seen.map((ids) => ids.length)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await store.load()).toEqual(Array.from({ length: 25 }, (_, i) => record(`c${i}`)));
    expect(await readdir(dir)).toEqual(['dvdimounts.pb']);
  });

  it('reports a failed save clearly, leaves no temp file, and keeps serving later saves', async () => {
    const blocked = join(dir, 'blocked');
    await writeFile(blocked, 'a file where the directory should be');
    const store = new FileCheckpointStore(join(blocked, 'dvdimounts.pb'), logger);
    const failing = store.save([record('c1')]);
    const next = store.save([record('c2')]);
    await expect(failing).rejects.toThrow(new RegExp(`cannot create checkpoint directory ${blocked}: .*(EEXIST|ENOTDIR)`));
    await expect(next).rejects.toThrow(/cannot create checkpoint directory/);

    await rm(blocked);
    await store.save([record('c3')]);
    expect(await store.load()).toEqual([record('c3')]);
    expect(await readdir(blocked)).toEqual(['dvdimounts.pb']);
  });

  it('removes its temp file when the rename fails, leaving other checkpoints alone', async () => {
    const store = new FileCheckpointStore(path, logger);
    await store.save([record('old')]);
    const target = join(dir, 'as-directory.pb');
    await mkdir(join(target, 'occupied'), { recursive: true });
    const blockedStore = new FileCheckpointStore(target, logger);
    await expect(blockedStore.save([record('new')])).rejects.toThrow(new RegExp(`cannot write checkpoint ${target}: `));
    expect((await readdir(dir)).sort()).toEqual(['as-directory.pb', 'dvdimounts.pb']);
    expect(decodeCheckpoint(await readFile(path))).toEqual([record('old')]);
  });
});
