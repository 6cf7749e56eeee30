import { chmod, lstat, mkdir, realpath, unlink } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../../core/ports.js';
import { LineLogger } from '../../log/logger.js';
import { PLUGIN_CONTENT_TYPE } from '../protocol.js';
import type { Backend } from './backend.js';
import { DirBackend } from './dir-backend.js';
import { handlers } from './handlers.js';
import { LoopBackend } from './loop-backend.js';
import { nameProblem } from './names.js';
import { VolumeStore, type BackendName } from './store.js';
import { VolumeService } from './volumes.js';

export interface PluginServerOptions {
  /** Plugin name, as Docker and dvdcli address it. */
  readonly name: string;
  readonly socketPath: string;
  /** Metadata, images and mountpoints live here. */
  readonly root: string;
  readonly backend: BackendName;
  /** Default: one timestamped line per event on stderr. */
  readonly logger?: Logger;
}

export interface PluginServer {
  readonly socketPath: string;
  /**
   * Stops accepting connections and waits for the calls in flight. Mounted
   * volumes stay mounted: containers may still use them, and the next server
   * on the same root picks them up again.
   */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const PROBE_TIMEOUT_MS = 2_000;

/** Whether a server accepts connections on the socket; a probe that hangs counts as alive. */
function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.connect(socketPath);
    const timer = setTimeout(() => {
      probe.destroy();
      resolve(true);
    }, PROBE_TIMEOUT_MS);
    probe.once('connect', () => {
      clearTimeout(timer);
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(false);
      else reject(new Error(`cannot probe ${socketPath}: ${error.message}`));
    });
  });
}

/** Removes a socket file a dead server left, refusing when a live one still serves it. */
async function clearStaleSocket(socketPath: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stats.isSocket()) throw new Error(`${socketPath} exists and is not a socket; it is left alone`);
  if (await socketAnswers(socketPath)) throw new Error(`another server is listening on ${socketPath}`);
  await unlink(socketPath);
}

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // An oversized body is read to its end but not kept, so the client still gets its answer.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.once('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`invalid JSON body: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Writes a JSON answer; `last` closes the connection after it (the server is stopping). */
function send(res: http.ServerResponse, status: number, body: Record<string, unknown>, last: boolean): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': PLUGIN_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(json),
    ...(last ? { Connection: 'close' } : {}),
  });
  res.end(json);
}

/**
 * Starts a Docker volume plugin (protocol v1) on a unix socket. Failures are
 * answered as HTTP 500 with `{"Err": "…"}` (as Docker's plugin helpers do),
 * unknown methods as 404, anything but POST as 405.
 */
export async function startPluginServer(opts: PluginServerOptions): Promise<PluginServer> {
  const problem = nameProblem(opts.name);
  if (problem !== undefined) throw new Error(`plugin ${problem}`);
  if (opts.backend !== 'loop' && opts.backend !== 'dir') throw new Error(`unknown backend ${JSON.stringify(opts.backend)}: loop or dir`);
  const logger =
    opts.logger ?? new LineLogger((level, line) => process.stderr.write(`${new Date().toISOString()} ${level} ${opts.name}: ${line}\n`));
  const socketPath = path.resolve(opts.socketPath);

  // Before recovery touches any mount: a live server on this socket owns them.
  await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o755 });
  await clearStaleSocket(socketPath);
  await mkdir(opts.root, { recursive: true, mode: 0o755 });
  // Mountpoints are compared with /proc/self/mountinfo, which shows resolved paths.
  const store = new VolumeStore(await realpath(opts.root));
  const backend: Backend = opts.backend === 'loop' ? await LoopBackend.create(store) : new DirBackend(store);
  const service = new VolumeService(store, backend, logger);
  await service.recover();
  const routes = handlers(service);
  let closing: Promise<void> | undefined;
  // Once stopping, answers close their connection so that close() need not wait out keep-alive.
  const reply = (res: http.ServerResponse, status: number, body: Record<string, unknown>): void =>
    send(res, status, body, closing !== undefined);

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = (req.url ?? '/').replace(/^\//, '').replace(/\?.*$/, '');
    if (req.method !== 'POST') {
      logger.warn('plugin call with a method other than POST', { method, verb: req.method });
      reply(res, 405, { Err: `method ${req.method ?? ''} not allowed; plugin calls are POST` });
      return;
    }
    const handler = routes.get(method);
    if (!handler) {
      logger.warn('unknown plugin method', { method });
      reply(res, 404, { Err: `unknown method ${JSON.stringify(method)}` });
      return;
    }
    const text = await readBody(req);
    if (text === undefined) {
      reply(res, 413, { Err: `request body larger than ${MAX_BODY_BYTES} bytes` });
      return;
    }
    let body: Record<string, unknown> = {};
    try {
      body = parseBody(text);
      const answer = await handler(body);
      logger.info(method, { ...answer.fields, result: 'ok' });
      reply(res, 200, answer.body);
    } catch (error) {
      const message = (error as Error).message;
      const volume = typeof body.Name === 'string' ? body.Name : undefined;
      logger.warn(method, { volume, result: 'error', err: message });
      reply(res, 500, { Err: message });
    }
  };

  const server = http.createServer((req, res) => {
    serve(req, res).catch((error: Error) => {
      logger.error('request failed', { reason: error.message });
      if (!res.headersSent) reply(res, 500, { Err: error.message });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  try {
    // Only the owner (root: the Docker daemon, the agent) may drive a plugin that mounts filesystems.
    await chmod(socketPath, 0o600);
  } catch (error) {
    server.close();
    throw error;
  }
  logger.info('plugin server listening', { plugin: opts.name, socket: socketPath, root: store.root, backend: backend.name });

  const close = (): Promise<void> => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await service.idle();
      logger.info('plugin server stopped; mounted volumes stay mounted', { plugin: opts.name, socket: socketPath });
    })();
    return closing;
  };
  return { socketPath, close };
}
