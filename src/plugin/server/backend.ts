import type { MountInfoEntry } from './mountinfo.js';
import type { BackendName, Settings, VolumeMeta } from './store.js';

/** Where and how volumes keep their data: a loop-mounted image or a plain directory. */
export interface Backend {
  readonly name: BackendName;
  /** The Create options this backend accepts. */
  readonly optionNames: readonly string[];
  /** Validates Create options and resolves them into the settings kept in the metadata. */
  settingsFor(opts: Readonly<Record<string, string>>): Promise<Settings>;
  /** Fills the directory of a new volume. */
  populate(dir: string, settings: Settings): Promise<void>;
  /** The path containers use while the volume is mounted. */
  mountpoint(meta: VolumeMeta): string;
  /** Makes the volume usable at its mountpoint; does nothing when it already is. */
  attach(meta: VolumeMeta): Promise<string>;
  /** Undoes `attach`, including leftovers of an interrupted one; does nothing when there is nothing to undo. */
  detach(meta: VolumeMeta): Promise<void>;
  /** Whether the mount table shows the volume attached; undefined when this backend cannot tell. */
  isAttached(meta: VolumeMeta, mounts: readonly MountInfoEntry[]): boolean | undefined;
  /** Backend fields for the Status of Get and List. */
  status(meta: VolumeMeta): Record<string, string | number | boolean>;
}
