/**
 * A plain Debian 12 system in a directory, made by mmdebstrap from Debian's
 * own archive, and a session in it: one mount namespace of its own
 * (private: nothing shows on the host, and everything in it is unmounted
 * once its last process ends) with /proc, /dev and /sys mounted, where
 * every command runs chrooted, so commands see each other's mounts (a
 * plugin's volumes, an agent's binds) as on a host.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { mountsUnder as entriesUnder, parseMountInfo } from '../../src/plugin/server/mountinfo.js';
import { waitFor } from './cli.js';
import { exited, stopChild } from './process.js';
import { mountsUnder, unmountAllUnder } from './mounts.js';

const SOURCES = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

/**
 * Run as `sh -c SESSION ROOT N BIND... `: makes ROOT a mount point, as a
 * host's / is (a task's bind commands begin with `mount --make-rslave /`),
 * mounts what programs expect and the N host directories BIND at the same
 * paths in ROOT, says so, then waits chrooted in ROOT.
 */
const SESSION = `root=$0; n=$1; shift
mount --bind "$root" "$root" || exit 1
mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && mount --rbind /sys "$root/sys" || exit 1
while [ "$n" -gt 0 ]; do mkdir -p "$root$1" && mount --bind "$1" "$root$1" || exit 1; n=$((n - 1)); shift; done
echo ready
exec chroot "$root" sleep infinity`;
/** A root login's environment, none of this process's (its Node options, its certificate paths). */
const ENV = ['env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', 'DEBIAN_FRONTEND=noninteractive'];

export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function collect(child: ChildProcess): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const { code } = await exited(child);
  return { status: code, stdout, stderr };
}

/** Processes whose root directory is `dir`. */
function processesIn(dir: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
    try {
      return readlinkSync(`/proc/${p}/root`) === dir ? [Number(p)] : [];
    } catch {
      return [];
    }
  });
}

export class DebianRoot {
  private session: ChildProcess | undefined;

  constructor(readonly dir: string) {}

  /** The essential packages and apt (mmdebstrap's `apt` variant): the least a Debian 12 host has. */
  make(): Promise<Ran> {
    return collect(spawn('mmdebstrap', ['--variant=apt', '--quiet', 'bookworm', this.dir, ...SOURCES], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Starts the session, with the host directories `binds` at the same paths inside. */
  async open(binds: readonly string[] = []): Promise<void> {
    const session = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', SESSION, this.dir, String(binds.length), ...binds], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.session = session;
    let said = '';
    session.stdout!.setEncoding('utf8').on('data', (d: string) => (said += d));
    void exited(session).catch(() => undefined);
    await waitFor(() => said.includes('ready') || session.exitCode !== null, 'the Debian root\'s session', 30_000);
    if (!said.includes('ready')) throw new Error(`the session in ${this.dir} did not start (exit ${session.exitCode})`);
  }

  /** Starts `args` in the session; stdin is /dev/null, as for an unattended apt-get. */
  start(args: readonly string[], stdio: StdioOptions = ['ignore', 'pipe', 'pipe']): ChildProcess {
    if (this.session?.pid === undefined) throw new Error('the Debian root has no session: open() it first');
    const child = spawn('nsenter', ['-t', String(this.session.pid), '-m', '-r', '-w', ...ENV, ...args], { stdio });
    void exited(child).catch(() => undefined);
    return child;
  }

  /** Runs `args` in the session to its end. */
  run(args: readonly string[]): Promise<Ran> {
    return collect(this.start(args));
  }

  /** Mount points at or below `dir` (a path inside the root), as the session sees them. */
  mountsUnder(dir: string): string[] {
    const info = readFileSync(`/proc/${this.session!.pid!}/mountinfo`, 'utf8');
    return entriesUnder(parseMountInfo(info), dir).map((e) => e.mountPoint);
  }

  /** Ends every process in the root, the session last: everything mounted in it goes with it. */
  async close(): Promise<void> {
    for (const pid of processesIn(this.dir)) {
      try {
        if (pid !== this.session?.pid) process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await waitFor(() => processesIn(this.dir).every((p) => p === this.session?.pid), `the processes in ${this.dir} to end`, 30_000);
    if (this.session !== undefined) await stopChild(this.session, 'SIGKILL');
  }

  /** Closes the session, then removes the root. */
  async remove(): Promise<void> {
    await this.close();
    // Nothing of the session shows here; whatever else might (a leftover bind of /dev) must go before rm.
    if (mountsUnder(this.dir).length > 0) unmountAllUnder(this.dir);
    if (mountsUnder(this.dir).length > 0) throw new Error(`${this.dir} still has mounts: ${mountsUnder(this.dir).join(', ')}`);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
