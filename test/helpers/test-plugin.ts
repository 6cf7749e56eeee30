/**
 * A real Docker volume plugin for tests: an HTTP server on a unix socket (or
 * on TCP, optionally with TLS), in this process, whose answers can be
 * scripted per method. Volumes are directories under a temporary root.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Method } from '../../src/plugin/protocol.js';

export type Behaviour =
  | { readonly kind: 'normal' }
  | { readonly kind: 'slow'; readonly ms: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'error500'; readonly err: string }
  | { readonly kind: 'error200'; readonly err: string }
  | { readonly kind: 'raw'; readonly status: number; readonly body: string }
  | { readonly kind: 'notVolumeDriver' }
  | { readonly kind: 'destroy' };

export interface RecordedCall {
  readonly method: string;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  /** Server-side number of the connection the call came on. */
  readonly connection: number;
}

export type ListenTarget =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly tls?: { readonly key: string; readonly cert: string } };

interface VolumeState {
  readonly opts: Record<string, string>;
  readonly mountIds: string[];
}

export class TestPlugin {
  readonly calls: RecordedCall[] = [];
  /** Connections accepted, over every incarnation of the server. */
  connections = 0;
  private server: http.Server | undefined;
  private readonly scripts = new Map<string, Behaviour[]>();
  private readonly volumes = new Map<string, VolumeState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly socketNumbers = new WeakMap<net.Socket, number>();

  /** The TCP port, once listening on TCP; kept across restarts. */
  port = 0;

  private constructor(
    readonly target: ListenTarget,
    readonly root: string,
  ) {}

  static async start(socketPath: string, root: string): Promise<TestPlugin> {
    return TestPlugin.listenOn({ kind: 'unix', path: socketPath }, root);
  }

  static async listenOn(target: ListenTarget, root: string): Promise<TestPlugin> {
    const plugin = new TestPlugin(target, root);
    await plugin.listen();
    return plugin;
  }

  /** Queues behaviours for the next calls of `method`, one per call; then calls behave normally. */
  script(method: string, ...behaviours: Behaviour[]): void {
    this.scripts.set(method, [...(this.scripts.get(method) ?? []), ...behaviours]);
  }

  /** Drops what is still queued for `method`: its next calls behave normally. */
  unscript(method: string): void {
    this.scripts.delete(method);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  bodiesOf(method: string): unknown[] {
    return this.callsOf(method).map((c) => JSON.parse(c.body) as unknown);
  }

  /** IDs the volume is currently mounted for, as a counting plugin tracks them. */
  mountIds(name: string): readonly string[] {
    return this.volumes.get(name)?.mountIds ?? [];
  }

  mountpointOf(name: string): string {
    return join(this.root, 'mnt', encodeURIComponent(name));
  }

  async addVolume(name: string, opts: Record<string, string> = {}): Promise<void> {
    await mkdir(join(this.root, 'volumes', encodeURIComponent(name)), { recursive: true });
    this.volumes.set(name, { opts, mountIds: [] });
  }

  hasVolume(name: string): boolean {
    return this.volumes.has(name);
  }

  /** Stops and starts again on the same path: a new socket inode, all connections dropped. */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async listen(): Promise<void> {
    const { target } = this;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    const tls = target.kind === 'tcp' ? target.tls : undefined;
    const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    server.keepAliveTimeout = 60_000;
    server.on(tls ? 'secureConnection' : 'connection', (socket: net.Socket) => {
      this.connections++;
      this.socketNumbers.set(socket, this.connections);
    });
    if (target.kind === 'unix') await rm(target.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const listening = () => {
        server.off('error', reject);
        resolve();
      };
      if (target.kind === 'unix') server.listen(target.path, listening);
      else server.listen(this.port, '127.0.0.1', listening);
    });
    if (target.kind === 'tcp') this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\//, '');
      const body = Buffer.concat(chunks).toString('utf8');
      this.calls.push({ method, body, headers: req.headers, connection: this.socketNumbers.get(req.socket) ?? 0 });
      const behaviour = this.scripts.get(method)?.shift() ?? { kind: 'normal' };
      this.behave(behaviour, method, body, req, res);
    });
  }

  private behave(b: Behaviour, method: string, body: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (status: number, payload: string) => {
      res.writeHead(status, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
      res.end(payload);
    };
    switch (b.kind) {
      case 'hang':
        return;
      case 'destroy':
        req.socket.destroy();
        return;
      case 'error500':
        send(500, JSON.stringify({ Err: b.err }));
        return;
      case 'error200':
        send(200, JSON.stringify({ Err: b.err }));
        return;
      case 'raw':
        send(b.status, b.body);
        return;
      case 'notVolumeDriver':
        send(200, JSON.stringify({ Implements: ['NetworkDriver'] }));
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!res.destroyed) void this.answer(method, body).then(([s, p]) => send(s, p));
        }, b.ms);
        this.timers.add(timer);
        return;
      }
      case 'normal':
        void this.answer(method, body).then(([s, p]) => send(s, p));
    }
  }

  /** The behaviour of a simple local-directory plugin that counts mounts per ID. */
  private async answer(method: string, body: string): Promise<[number, string]> {
    const ok = (value: object): [number, string] => [200, JSON.stringify({ Err: '', ...value })];
    const fail = (err: string): [number, string] => [500, JSON.stringify({ Err: err })];
    const req = (method === Method.Activate ? {} : JSON.parse(body)) as { Name?: string; ID?: string; Opts?: Record<string, string> };
    const name = req.Name ?? '';
    const volume = this.volumes.get(name);
    switch (method) {
      case Method.Activate:
        return [200, JSON.stringify({ Implements: ['VolumeDriver'] })];
      case Method.Capabilities:
        return ok({ Capabilities: { Scope: 'local' } });
      case Method.Create:
        if (!volume) await this.addVolume(name, req.Opts ?? {});
        return ok({});
      case Method.Remove:
        if (!volume) return fail(`volume ${name} not found`);
        if (volume.mountIds.length > 0) return fail(`volume ${name} is in use`);
        this.volumes.delete(name);
        await rm(join(this.root, 'volumes', encodeURIComponent(name)), { recursive: true, force: true });
        return ok({});
      case Method.Get:
        if (!volume) return fail(`volume ${name} not found`);
        return ok({ Volume: { Name: name, Mountpoint: volume.mountIds.length ? this.mountpointOf(name) : '', Status: { opts: volume.opts } } });
      case Method.List:
        return ok({ Volumes: [...this.volumes.keys()].map((n) => ({ Name: n })) });
      case Method.Path:
        if (!volume) return fail(`volume ${name} not found`);
        return ok({ Mountpoint: volume.mountIds.length ? this.mountpointOf(name) : '' });
      case Method.Mount:
        if (!volume) return fail(`volume ${name} not found`);
        await mkdir(this.mountpointOf(name), { recursive: true });
        volume.mountIds.push(req.ID ?? '');
        return ok({ Mountpoint: this.mountpointOf(name) });
      case Method.Unmount: {
        if (!volume) return fail(`volume ${name} not found`);
        const at = volume.mountIds.indexOf(req.ID ?? '');
        if (at < 0) return fail(`volume ${name} is not mounted for ID ${req.ID ?? ''}`);
        volume.mountIds.splice(at, 1);
        return ok({});
      }
      default:
        return [404, '404 page not found\n'];
    }
  }
}

/**
 * Leaves a unix socket file nobody listens on (a crashed plugin): connecting
 * to it fails with ECONNREFUSED. The server listens elsewhere and the file is
 * moved into place, so closing it does not remove the file.
 */
export async function makeStaleSocket(path: string): Promise<void> {
  const server = net.createServer();
  const temporary = `${path}.stale`;
  await new Promise<void>((resolve) => server.listen(temporary, resolve));
  await rename(temporary, path);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!(await stat(path)).isSocket()) throw new Error(`${path} is not a socket`);
}
