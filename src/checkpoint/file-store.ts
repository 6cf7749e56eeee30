import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { messageOf } from '../core/errors.js';
import type { CheckpointStore, Logger, MountRecord } from '../core/ports.js';
import { replaceFile } from '../util/durable-file.js';
import { decodeCheckpoint, encodeCheckpoint } from './codec.js';
import { pathExists } from '../util/path-exists.js';
import { processAlive } from '../util/process-alive.js';

/**
 * Temp files this JavaScript realm is writing right now. A restarted embedded
 * environment keeps the process id but starts with an empty set, so it removes
 * what a stopped predecessor left behind without touching live writes.
 */
const tempsInFlight = new Set<string>();

/** The checkpoint's bytes, undefined while there is none; reads only, changes nothing. */
export async function readCheckpointBytes(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw new Error(`cannot read checkpoint ${file}: ${messageOf(err)}`);
  }
}

/**
 * The checkpoint as one file, replaced atomically: a complete temp file is
 * fsynced, renamed over the target and the directory fsynced, so a crash at
 * any point leaves either the old or the new checkpoint.
 */
export class FileCheckpointStore implements CheckpointStore {
  private readonly directory: string;
  private readonly tempPrefix: string;
  /** Saves and loads run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly location: string,
    private readonly logger: Logger,
  ) {
    this.directory = dirname(location);
    this.tempPrefix = `${basename(location)}.tmp-`;
  }

  load(): Promise<MountRecord[]> {
    return this.enqueue(() => this.loadNow());
  }

  save(records: readonly MountRecord[]): Promise<void> {
    // Encoded at call time: the snapshot is the caller's records as they are now.
    let bytes: Uint8Array;
    try {
      bytes = encodeCheckpoint(records);
    } catch (err) {
      return Promise.reject(new Error(`cannot encode checkpoint ${this.location}: ${messageOf(err)}`));
    }
    return this.enqueue(() => this.write(bytes));
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async loadNow(): Promise<MountRecord[]> {
    await this.removeLeftoverTemps();
    const bytes = await readCheckpointBytes(this.location);
    if (bytes === undefined) return [];
    try {
      return decodeCheckpoint(bytes);
    } catch (err) {
      const movedTo = await this.moveAside();
      this.logger.error(
        `checkpoint ${this.location} is unreadable and was moved to ${movedTo}; ` +
          `starting with no recorded mounts, volumes it listed must be checked by hand: ${messageOf(err)}`,
        { path: this.location, movedTo },
      );
      return [];
    }
  }

  private async moveAside(): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (let n = 0; ; n++) {
      const target = `${this.location}.corrupt-${stamp}${n === 0 ? '' : `-${n}`}`;
      if (await pathExists(target)) continue;
      try {
        await rename(this.location, target);
        return target;
      } catch (err) {
        throw new Error(`checkpoint ${this.location} is corrupt and could not be moved to ${target}: ${messageOf(err)}`);
      }
    }
  }

  private async write(bytes: Uint8Array): Promise<void> {
    try {
      await mkdir(this.directory, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new Error(`cannot create checkpoint directory ${this.directory}: ${messageOf(err)}`);
    }
    const temp = join(this.directory, `${this.tempPrefix}${process.pid}-${randomBytes(6).toString('hex')}`);
    tempsInFlight.add(temp);
    try {
      await replaceFile(this.location, temp, bytes);
    } catch (err) {
      throw new Error(`cannot write checkpoint ${this.location}: ${messageOf(err)}`);
    } finally {
      tempsInFlight.delete(temp);
    }
  }

  /** Temp files of a save that crashed never replaced the checkpoint: they are garbage. */
  private async removeLeftoverTemps(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return;
      throw new Error(`cannot list checkpoint directory ${this.directory}: ${messageOf(err)}`);
    }
    for (const name of names) {
      const pid = this.tempOwner(name);
      if (pid === undefined) continue;
      const path = join(this.directory, name);
      if (pid === process.pid ? tempsInFlight.has(path) : processAlive(pid)) continue;
      try {
        await rm(path, { force: true });
        this.logger.warn(`removed ${path}, left by a checkpoint save that did not finish`, { path });
      } catch (err) {
        this.logger.warn(`cannot remove ${path}, left by a checkpoint save that did not finish: ${messageOf(err)}`, {
          path,
        });
      }
    }
  }

  /** The writer's pid if `name` is one of our temp files. */
  private tempOwner(name: string): number | undefined {
    if (!name.startsWith(this.tempPrefix)) return undefined;
    const match = /^(\d+)-[0-9a-f]+$/.exec(name.slice(this.tempPrefix.length));
    return match ? Number(match[1]) : undefined;
  }
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
