/**
 * A client for one Docker volume plugin (REFERENCE.md §5). Unlike dvdcli it
 * never waits silently: connection failures are retried with a short bounded
 * backoff, and every call has a time limit after which its socket is destroyed.
 * A plugin that accepted a request but does not answer is not asked again.
 */
import type { Agent } from 'node:http';
import { stat } from 'node:fs/promises';
import {
  Method,
  type ActivateResponse,
  type CapabilitiesResponse,
  type ErrResponse,
  type GetResponse,
  type ListResponse,
  type MethodName,
  type MountResponse,
  type PluginVolume,
} from './protocol.js';
import type { Logger } from '../core/ports.js';
import { describeAddress, type PluginLocation } from './address.js';
import { PluginError } from './errors.js';
import { AnswerError, ConnectFailure, createAgent, NotDelivered, postOnce, type RawResponse } from './http.js';
import { retryDelay, sleep } from './backoff.js';

export const DEFAULT_CONNECT_RETRY_MS = 3000;
export const DEFAULT_CALL_TIMEOUT_MS = 120_000;

export interface PluginClientOptions {
  /** Total time spent retrying a plugin that cannot be reached. */
  readonly connectRetryMs?: number;
  /** Time limit of a call that names none. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

export interface CallOptions {
  readonly timeoutMs?: number;
  /** Aborts the call; its reason's message ends up in the rejection. */
  readonly signal?: AbortSignal;
}

export type Capabilities = NonNullable<CapabilitiesResponse['Capabilities']>;

interface Activation {
  readonly implements: readonly string[];
  /** Identity of the unix socket file activated; a restarted plugin binds a new one. */
  readonly socketId: string | undefined;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

export class PluginClient {
  readonly name: string;
  private readonly connectRetryMs: number;
  private readonly timeoutMs: number;
  private readonly logger: Logger | undefined;
  private agent: Promise<Agent> | undefined;
  private activation: Activation | undefined;
  private closed = false;

  constructor(
    readonly location: PluginLocation,
    options: PluginClientOptions = {},
  ) {
    this.name = location.name;
    this.connectRetryMs = options.connectRetryMs ?? DEFAULT_CONNECT_RETRY_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.logger = options.logger;
  }

  /** `Plugin.Activate`, once per plugin instance; fails unless the plugin implements VolumeDriver. */
  async activate(options?: CallOptions): Promise<readonly string[]> {
    const socketId = await this.socketId();
    if (this.activation && this.activation.socketId === socketId) return this.activation.implements;
    this.activation = undefined;
    const res = await this.call<ActivateResponse>(Method.Activate, undefined, options);
    const list: unknown = res.Implements;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
      throw new PluginError(this.name, Method.Activate, 'protocol', 'the answer has no "Implements" list');
    }
    if (!list.includes('VolumeDriver')) {
      throw new PluginError(
        this.name,
        Method.Activate,
        'protocol',
        `not a volume plugin: it implements ${list.length ? list.join(', ') : 'nothing'}, not VolumeDriver`,
      );
    }
    this.activation = { implements: list, socketId };
    return list;
  }

  async create(name: string, opts: Readonly<Record<string, string>>, options?: CallOptions): Promise<void> {
    await this.call<ErrResponse>(Method.Create, { Name: name, Opts: opts }, options);
  }

  async remove(name: string, options?: CallOptions): Promise<void> {
    await this.call<ErrResponse>(Method.Remove, { Name: name }, options);
  }

  /** Resolves to the mountpoint exactly as the plugin gave it (possibly empty). */
  async mount(name: string, id: string, options?: CallOptions): Promise<string> {
    const res = await this.call<MountResponse>(Method.Mount, { Name: name, ID: id }, options);
    return this.mountpoint(Method.Mount, res.Mountpoint);
  }

  async unmount(name: string, id: string, options?: CallOptions): Promise<void> {
    await this.call<ErrResponse>(Method.Unmount, { Name: name, ID: id }, options);
  }

  /** The current mountpoint; empty when the plugin reports none. */
  async path(name: string, options?: CallOptions): Promise<string> {
    const res = await this.call<MountResponse>(Method.Path, { Name: name }, options);
    return this.mountpoint(Method.Path, res.Mountpoint);
  }

  async get(name: string, options?: CallOptions): Promise<PluginVolume> {
    const res = await this.call<GetResponse>(Method.Get, { Name: name }, options);
    const volume: unknown = res.Volume;
    if (!isObject(volume) || typeof volume.Name !== 'string') {
      throw new PluginError(this.name, Method.Get, 'protocol', 'the answer has no "Volume" with a "Name"');
    }
    return volume as unknown as PluginVolume;
  }

  async list(options?: CallOptions): Promise<PluginVolume[]> {
    const res = await this.call<ListResponse>(Method.List, {}, options);
    const volumes: unknown = res.Volumes ?? [];
    if (!Array.isArray(volumes) || !volumes.every((v) => isObject(v) && typeof v.Name === 'string')) {
      throw new PluginError(this.name, Method.List, 'protocol', '"Volumes" is not a list of volumes with a "Name"');
    }
    return volumes as PluginVolume[];
  }

  async capabilities(options?: CallOptions): Promise<Capabilities> {
    const res = await this.call<CapabilitiesResponse>(Method.Capabilities, {}, options);
    const caps: unknown = res.Capabilities ?? {};
    if (!isObject(caps)) {
      throw new PluginError(this.name, Method.Capabilities, 'protocol', '"Capabilities" is not an object');
    }
    return caps as Capabilities;
  }

  /** Destroys pooled connections; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    const agent = this.agent;
    this.agent = undefined;
    if (agent) {
      try {
        (await agent).destroy();
      } catch {
        // The agent was never created (unreadable TLS files): nothing to release.
      }
    }
  }

  private mountpoint(method: MethodName, value: unknown): string {
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') {
      throw new PluginError(this.name, method, 'protocol', '"Mountpoint" is not a string');
    }
    return value;
  }

  /** Inode numbers are reused at once on tmpfs, so the change time tells a new socket file apart too. */
  private async socketId(): Promise<string | undefined> {
    const { address } = this.location;
    if (address.kind !== 'unix') return undefined;
    try {
      const st = await stat(address.path, { bigint: true });
      return `${st.dev}:${st.ino}:${st.ctimeNs}`;
    } catch {
      return undefined;
    }
  }

  private getAgent(): Promise<Agent> {
    if (!this.agent) {
      const agent = createAgent(this.location.address);
      // A failed creation (unreadable TLS files) is retried on the next call.
      agent.catch(() => {
        if (this.agent === agent) this.agent = undefined;
      });
      this.agent = agent;
    }
    return this.agent;
  }

  private async call<T>(method: MethodName, body: object | undefined, options: CallOptions = {}): Promise<T> {
    if (this.closed) throw new PluginError(this.name, method, 'aborted', 'the plugin client is closed');
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort(
        new PluginError(this.name, method, 'timeout', `no answer within ${timeoutMs} ms from ${describeAddress(this.location.address)}`),
      );
    }, timeoutMs);
    const outer = options.signal;
    const onOuterAbort = () => {
      controller.abort(new PluginError(this.name, method, 'aborted', reasonText(outer?.reason)));
    };
    if (outer?.aborted) onOuterAbort();
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      const raw = await this.exchange(method, body === undefined ? '' : JSON.stringify(body), controller.signal);
      return this.interpret<T>(method, raw);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }

  private async exchange(method: MethodName, payload: string, signal: AbortSignal): Promise<RawResponse> {
    let agent: Agent;
    try {
      agent = await this.getAgent();
    } catch (err) {
      throw new PluginError(this.name, method, 'connect', reasonText(err));
    }
    const where = describeAddress(this.location.address);
    const start = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await postOnce(agent, this.location.address, method, payload, signal);
      } catch (err) {
        if (err instanceof PluginError) throw err;
        if (err instanceof AnswerError) throw new PluginError(this.name, method, 'protocol', err.message);
        if (err instanceof NotDelivered) {
          throw new PluginError(this.name, method, 'connect', `connection to ${where} failed: ${reasonText(err)}`);
        }
        if (!(err instanceof ConnectFailure)) {
          throw new PluginError(this.name, method, 'dropped', `connection to ${where} failed: ${reasonText(err)}`);
        }
        // Whatever answers next may be a restarted plugin that needs activating again.
        this.activation = undefined;
        const delay = retryDelay(attempt);
        const elapsed = Date.now() - start;
        if (elapsed + delay > this.connectRetryMs) {
          const tries = attempt === 0 ? '' : ` (${attempt + 1} attempts over ${elapsed} ms)`;
          throw new PluginError(this.name, method, 'connect', `cannot reach the plugin at ${where}: ${err.message}${tries}`);
        }
        this.logger?.warn('cannot reach volume plugin, retrying', {
          driver: this.name,
          method,
          address: where,
          error: err.message,
          retryInMs: delay,
        });
        await sleep(delay, signal);
      }
    }
  }

  private interpret<T>(method: MethodName, raw: RawResponse): T {
    let doc: unknown;
    let parsed = false;
    try {
      doc = JSON.parse(raw.body);
      parsed = true;
    } catch {
      // Reported below with the body's text.
    }
    const errText = parsed && isObject(doc) && typeof doc.Err === 'string' ? doc.Err : '';
    if (raw.status !== 200) {
      const text = errText || (raw.body.trim() ? `HTTP ${raw.status}: ${snippet(raw.body)}` : `HTTP ${raw.status}`);
      throw new PluginError(this.name, method, 'plugin', text, raw.status);
    }
    if (!parsed || !isObject(doc)) {
      const shown = raw.body.trim() ? snippet(raw.body) : '(empty)';
      throw new PluginError(this.name, method, 'protocol', `the answer is not a JSON object: ${shown}`, raw.status);
    }
    if (errText) throw new PluginError(this.name, method, 'plugin', errText, raw.status);
    return doc as T;
  }
}
