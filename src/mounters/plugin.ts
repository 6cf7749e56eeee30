/**
 * Mounts by talking to Docker volume plugins directly, without dvdcli.
 *
 * Mount IDs: the isolator core reference-counts containers itself. It calls
 * `mount` once per volume, with the ID of the first container that needs it
 * (recorded in the checkpoint as `mountId`), and `unmount` once after the
 * last user is gone, with that same ID. A plugin that counts mounts per ID
 * (Docker sends one Mount and one Unmount per container) therefore sees
 * exactly one Mount/Unmount pair per volume use, whatever the number of
 * containers sharing it.
 *
 * Sequences, as dvdcli's: mount is Activate, Get, Create (only when Get fails
 * and explicit create is off), Mount; unmount is Activate, Unmount. A Mount
 * that fails without a plugin error (timeout, dropped connection, unusable
 * answer) is reported as uncertain, so the core unmounts to be sure. The mount (unmount)
 * timeout bounds the whole sequence, not each call. Connections are pooled
 * per plugin: no process is started per call.
 */
import { isAbsolute } from 'node:path';
import {
  MounterError,
  type CallLimit,
  type Logger,
  type Mounter,
  type MountRequest,
  type ProbeRequest,
  type UnmountRequest,
  type VolumePresence,
} from '../core/ports.js';
import { describeVolume, type VolumeId } from '../core/volume.js';
import { addressKey } from '../plugin/address.js';
import { PluginClient, DEFAULT_CONNECT_RETRY_MS, type CallOptions } from '../plugin/client.js';
import { DEFAULT_PLUGIN_DIRS, PluginNotFoundError, findPlugin, type PluginDirs } from '../plugin/discovery.js';
import { PluginError } from '../plugin/errors.js';
import type { PluginVolume } from '../plugin/protocol.js';
import { retryDelay, sleep } from '../plugin/backoff.js';
import { mountedAnswer, presenceFrom, unknownPresence } from './presence.js';

export interface PluginMounterSettings {
  readonly socketDirs?: readonly string[];
  readonly specDirs?: readonly string[];
  readonly mountTimeoutMs: number;
  readonly unmountTimeoutMs: number;
  /** Budget for reaching a plugin that is missing or refuses connections (a restart). */
  readonly connectRetryMs?: number;
  readonly logger?: Logger;
}

export class PluginMounter implements Mounter {
  readonly kind = 'plugin';
  private readonly dirs: PluginDirs;
  private readonly connectRetryMs: number;
  private readonly clients = new Map<string, PluginClient>();
  private closed = false;

  constructor(private readonly settings: PluginMounterSettings) {
    this.dirs = {
      socketDirs: settings.socketDirs ?? DEFAULT_PLUGIN_DIRS.socketDirs,
      specDirs: settings.specDirs ?? DEFAULT_PLUGIN_DIRS.specDirs,
    };
    this.connectRetryMs = settings.connectRetryMs ?? DEFAULT_CONNECT_RETRY_MS;
  }

  mount(req: MountRequest, limit?: CallLimit): Promise<string> {
    return this.sequence('mount', req, this.settings.mountTimeoutMs, limit, async (client, call) => {
      await client.activate(call);
      // As dvdcli: with explicit create the volume must exist already, and Mount is what says so.
      if ((await this.lookup(client, req.name, call)) && !req.explicitCreate) {
        this.settings.logger?.info('creating volume', { driver: req.driver, volume: req.name });
        await client.create(req.name, Object.fromEntries(req.options), call);
      }
      let mountpoint: string;
      try {
        mountpoint = await client.mount(req.name, req.mountId, call);
      } catch (err) {
        // Unless the plugin answered with an error or never got the call, it may have mounted.
        const certain = err instanceof PluginError && (err.kind === 'plugin' || err.kind === 'connect');
        throw new MounterError(`cannot mount ${describeVolume(req)}`, (err as Error).message, !certain);
      }
      if (mountpoint === '' || !isAbsolute(mountpoint)) {
        await this.release(client, req, call);
        const what = mountpoint === '' ? 'no mountpoint' : `a relative mountpoint ${JSON.stringify(mountpoint)}`;
        throw new MounterError(`cannot mount ${describeVolume(req)}`, `plugin "${client.name}" VolumeDriver.Mount returned ${what}`);
      }
      return mountpoint;
    });
  }

  unmount(req: UnmountRequest, limit?: CallLimit): Promise<void> {
    return this.sequence('unmount', req, this.settings.unmountTimeoutMs, limit, async (client, call) => {
      await client.activate(call);
      await client.unmount(req.name, req.mountId, call);
    });
  }

  /**
   * Get, then: refused and not in List → absent; otherwise Get's and Path's
   * mountpoints (two answers, since REX-Ray's Path is '' even while mounted)
   * and the recorded one, checked against the mount table.
   */
  async probe(req: ProbeRequest, limit?: CallLimit): Promise<VolumePresence> {
    try {
      return await this.sequence('check', req, this.settings.unmountTimeoutMs, limit, async (client, call) => {
        await client.activate(call);
        let volume: PluginVolume;
        try {
          volume = await client.get(req.name, call);
        } catch (err) {
          if (!(err instanceof PluginError && err.kind === 'plugin')) throw err;
          const listed = (await client.list(call)).some((v) => v.Name === req.name);
          return listed
            ? unknownPresence(`Get failed (${err.detail}) although List has the volume`)
            : { state: 'absent', detail: `Get: ${err.detail}; List does not have it` };
        }
        const path = await client.path(req.name, call);
        return presenceFrom([volume.Mountpoint ?? '', path], req.mountpoint);
      });
    } catch (err) {
      return unknownPresence((err as Error).message);
    }
  }

  /** Get's mountpoint, then Path's (REX-Ray answers Path with '' even while mounted): the first mounted on the host. */
  locate(req: VolumeId, limit?: CallLimit): Promise<string> {
    return this.sequence('locate', req, this.settings.mountTimeoutMs, limit, async (client, call) => {
      await client.activate(call);
      const volume = await client.get(req.name, call);
      const answers = [volume.Mountpoint ?? '', await client.path(req.name, call)];
      try {
        return await mountedAnswer(answers);
      } catch (e) {
        throw new MounterError(`cannot locate ${describeVolume(req)}`, (e as Error).message);
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.close()));
  }

  /** Runs one sequence under its overall time limit, turning every failure into a MounterError. */
  private async sequence<T>(
    op: 'mount' | 'unmount' | 'check' | 'locate',
    volume: VolumeId,
    timeoutMs: number,
    limit: CallLimit | undefined,
    work: (client: PluginClient, call: CallOptions) => Promise<T>,
  ): Promise<T> {
    if (this.closed) throw new MounterError(`cannot ${op} ${describeVolume(volume)}`, 'the plugin mounter is closed');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`the ${op} timeout of ${timeoutMs} ms expired`)), timeoutMs);
    const stop = () => controller.abort(limit?.signal?.reason ?? new Error(`the ${op} was stopped`));
    if (limit?.signal?.aborted) stop();
    limit?.signal?.addEventListener('abort', stop, { once: true });
    const call: CallOptions = { signal: controller.signal, timeoutMs };
    try {
      const client = await this.clientFor(volume.driver, controller.signal);
      return await work(client, call);
    } catch (err) {
      if (err instanceof MounterError) throw err;
      const refused = err instanceof PluginError && err.kind === 'plugin';
      throw new MounterError(`cannot ${op} ${describeVolume(volume)}`, (err as Error).message, false, refused);
    } finally {
      clearTimeout(timer);
      limit?.signal?.removeEventListener('abort', stop);
    }
  }

  /** Resolves to the Get failure when the plugin says the volume is unknown, undefined when it exists. */
  private async lookup(client: PluginClient, name: string, call: CallOptions): Promise<PluginError | undefined> {
    try {
      await client.get(name, call);
      return undefined;
    } catch (err) {
      // Only an answer from the plugin means "unknown"; timeouts and unreachable plugins end the sequence.
      if (err instanceof PluginError && (err.kind === 'plugin' || err.kind === 'protocol')) return err;
      throw err;
    }
  }

  /** Undoes a Mount whose answer cannot be used, so a counting plugin is not left with an extra mount. */
  private async release(client: PluginClient, req: MountRequest, call: CallOptions): Promise<void> {
    try {
      await client.unmount(req.name, req.mountId, call);
    } catch (err) {
      this.settings.logger?.warn('could not undo a mount with an unusable mountpoint', {
        driver: req.driver,
        volume: req.name,
        error: (err as Error).message,
      });
    }
  }

  /** Discovers the plugin (retrying briefly while it is missing, as during a restart) and returns its pooled client. */
  private async clientFor(driver: string, signal: AbortSignal): Promise<PluginClient> {
    const start = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const location = await findPlugin(driver, this.dirs);
        const existing = this.clients.get(driver);
        if (existing && addressKey(existing.location.address) === addressKey(location.address)) return existing;
        const client = new PluginClient(location, {
          connectRetryMs: this.connectRetryMs,
          ...(this.settings.logger && { logger: this.settings.logger }),
        });
        this.clients.set(driver, client);
        // The driver's spec now points elsewhere: the old pool is of no further use.
        if (existing) await existing.close();
        return client;
      } catch (err) {
        const delay = retryDelay(attempt);
        if (!(err instanceof PluginNotFoundError) || Date.now() - start + delay > this.connectRetryMs) throw err;
        await sleep(delay, signal);
      }
    }
  }
}
