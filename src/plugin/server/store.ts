import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { replaceFile, syncPath } from '../../util/durable-file.js';
import { nameProblem } from './names.js';

export type BackendName = 'loop' | 'dir';

export type Settings = Readonly<Record<string, string | number | boolean>>;

/** What `<root>/volumes/<name>/meta.json` holds. */
export interface VolumeMeta {
  readonly name: string;
  readonly backend: BackendName;
  readonly createdAt: string;
  /** The backend's resolved settings (size in bytes, fstype, …), fixed at Create. */
  readonly settings: Settings;
  /** Mount count per Docker mount `ID`; a volume is mounted while any is present. */
  readonly mounts: Readonly<Record<string, number>>;
  /** The host boot the mounts belong to; counts from an earlier boot are stale. */
  readonly bootId?: string;
}

const META_FILE = 'meta.json';
// Work directories start with a dot, which no volume name can; random suffixes keep them short.
const CREATING = '.creating-';
const REMOVING = '.removing-';

function parseMeta(name: string, text: string): VolumeMeta {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null) throw new Error('not a JSON object');
  const m = raw as Record<string, unknown>;
  if (m.name !== name) throw new Error(`names volume ${JSON.stringify(m.name)}, expected ${JSON.stringify(name)}`);
  if (m.backend !== 'loop' && m.backend !== 'dir') throw new Error(`unknown backend ${JSON.stringify(m.backend)}`);
  if (typeof m.createdAt !== 'string') throw new Error('createdAt missing');
  const settings = m.settings;
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) throw new Error('settings missing');
  for (const v of Object.values(settings)) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) throw new Error('settings hold a non-scalar value');
  }
  const mounts = m.mounts;
  if (typeof mounts !== 'object' || mounts === null || Array.isArray(mounts)) throw new Error('mounts missing');
  for (const n of Object.values(mounts)) {
    if (!Number.isSafeInteger(n) || (n as number) <= 0) throw new Error('mounts hold a count that is not a positive integer');
  }
  if (m.bootId !== undefined && typeof m.bootId !== 'string') throw new Error('bootId is not a string');
  return {
    name,
    backend: m.backend,
    createdAt: m.createdAt,
    settings: settings as Settings,
    mounts: mounts as Record<string, number>,
    ...(m.bootId === undefined ? {} : { bootId: m.bootId }),
  };
}

/** Writes a file so that readers see the old or the new content, never a part, even across a crash. */
function writeAtomically(file: string, content: string): Promise<void> {
  return replaceFile(file, `${file}.tmp-${randomBytes(6).toString('hex')}`, content);
}

export interface LoadResult {
  readonly volumes: VolumeMeta[];
  /** Volumes whose metadata could not be read, with the reason. */
  readonly unreadable: Array<{ name: string; reason: string }>;
}

/** The plugin's on-disk state under its root directory. */
export class VolumeStore {
  readonly volumesDir: string;
  readonly mountsDir: string;

  constructor(readonly root: string) {
    this.volumesDir = path.join(root, 'volumes');
    this.mountsDir = path.join(root, 'mounts');
  }

  volumeDir(name: string): string {
    return path.join(this.volumesDir, name);
  }

  mountDir(name: string): string {
    return path.join(this.mountsDir, name);
  }

  async init(): Promise<void> {
    // Traversable by all: a task may use a mountpoint on the host directly (no bind), as any user.
    await mkdir(this.volumesDir, { recursive: true, mode: 0o755 });
    await mkdir(this.mountsDir, { recursive: true, mode: 0o755 });
  }

  /** Reads every volume's metadata and deletes work directories a crash left behind. */
  async load(): Promise<LoadResult> {
    const volumes: VolumeMeta[] = [];
    const unreadable: Array<{ name: string; reason: string }> = [];
    for (const entry of await readdir(this.volumesDir, { withFileTypes: true })) {
      if (entry.name.startsWith(CREATING) || entry.name.startsWith(REMOVING)) {
        await rm(path.join(this.volumesDir, entry.name), { recursive: true, force: true });
        continue;
      }
      if (!entry.isDirectory() || nameProblem(entry.name) !== undefined) continue;
      try {
        const text = await readFile(path.join(this.volumesDir, entry.name, META_FILE), 'utf8');
        volumes.push(parseMeta(entry.name, text));
      } catch (error) {
        unreadable.push({ name: entry.name, reason: (error as Error).message });
      }
    }
    volumes.sort((a, b) => a.name.localeCompare(b.name));
    return { volumes, unreadable };
  }

  async save(meta: VolumeMeta): Promise<void> {
    await writeAtomically(path.join(this.volumeDir(meta.name), META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  }

  /**
   * Creates a volume directory all at once: `populate` fills a work directory,
   * which is then renamed into place, so a crash never leaves half a volume.
   */
  async create(meta: VolumeMeta, populate: (dir: string) => Promise<void>): Promise<void> {
    const work = path.join(this.volumesDir, `${CREATING}${randomBytes(8).toString('hex')}`);
    await mkdir(work, { mode: 0o755 });
    try {
      await populate(work);
      await writeAtomically(path.join(work, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
      await rename(work, this.volumeDir(meta.name));
      await syncPath(this.volumesDir);
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      throw error;
    }
  }

  /** Removes a volume directory: renamed away first, so a crash never leaves half a volume under its name. */
  async remove(name: string): Promise<void> {
    const doomed = path.join(this.volumesDir, `${REMOVING}${randomBytes(8).toString('hex')}`);
    await rename(this.volumeDir(name), doomed);
    await syncPath(this.volumesDir);
    await rm(doomed, { recursive: true, force: true });
  }
}
