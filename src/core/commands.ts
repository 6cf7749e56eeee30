/** Quotes one word for a POSIX shell: nothing inside single quotes is special. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface Bind {
  readonly source: string;
  readonly target: string;
  /** The task must not write through this bind. */
  readonly readOnly?: boolean;
}

/**
 * Commands Mesos runs as root in the container's new mount namespace before
 * exec (they go through a shell, hence the quoting). Host mounts are usually
 * shared: without making `/` a slave first, the bind would propagate back to
 * the host and keep the volume busy when it is detached. Linux ignores
 * read-only on the mount(2) that creates a bind: a read-only bind is made,
 * then remounted read-only, which changes this bind alone (the volume stays
 * writable on the host and in other containers).
 */
export function bindCommands(binds: readonly Bind[]): string[] {
  if (binds.length === 0) return [];
  return [
    'mount --make-rslave /',
    ...binds.flatMap((b) => [
      `mount -n --rbind ${shellQuote(b.source)} ${shellQuote(b.target)}`,
      ...(b.readOnly ? [`mount -n -o remount,bind,ro ${shellQuote(b.target)}`] : []),
    ]),
  ];
}
