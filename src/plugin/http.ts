/** One plugin HTTP exchange: POST a body, collect the whole answer. */
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { Method, PLUGIN_CONTENT_TYPE } from './protocol.js';
import type { PluginAddress } from './address.js';

/** Largest answer accepted; a volume list is small, anything beyond this is a broken plugin. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface RawResponse {
  readonly status: number;
  readonly body: string;
}

// EAGAIN: a unix socket whose listen backlog is full.
/** The plugin never saw the request: safe to send again. */
const CONNECT_ERRORS = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);
/**
 * A dropped connection is retried only on a reused keep-alive socket, which the
 * plugin may have closed while idle, and only for calls that change nothing:
 * the plugin may have acted on the request, and a second Mount would count twice.
 */
const DROPPED_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const READ_ONLY = new Set<string>([Method.Activate, Method.Get, Method.Path, Method.List, Method.Capabilities]);

/** The plugin's answer is unusable (too large): not a connection problem, not retried. */
export class AnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnswerError';
  }
}

/** The request never got an answer because the connection failed or was dropped: safe to retry. */
export class ConnectFailure extends Error {
  constructor(readonly cause: Error) {
    super(cause.message);
    this.name = 'ConnectFailure';
  }
}

/** The request failed before it was fully written (a TLS handshake refused, say): not retried, but never seen. */
export class NotDelivered extends Error {
  constructor(readonly cause: Error) {
    super(cause.message);
    this.name = 'NotDelivered';
  }
}

export async function createAgent(address: PluginAddress): Promise<http.Agent> {
  const common = { keepAlive: true, scheduling: 'lifo' as const };
  if (address.kind === 'tcp' && address.tls) {
    const { tls } = address;
    const read = async (file: string | undefined, what: string) => {
      if (file === undefined) return undefined;
      try {
        return await readFile(file);
      } catch (err) {
        throw new Error(`cannot read TLS ${what} ${file}: ${(err as Error).message}`);
      }
    };
    const [ca, cert, key] = await Promise.all([
      read(tls.caFile, 'CA file'),
      read(tls.certFile, 'certificate file'),
      read(tls.keyFile, 'key file'),
    ]);
    return new https.Agent({
      ...common,
      rejectUnauthorized: !tls.insecureSkipVerify,
      ...(ca && { ca }),
      ...(cert && { cert }),
      ...(key && { key }),
    });
  }
  return new http.Agent(common);
}

/**
 * Sends one request. Rejects with ConnectFailure when the connection failed
 * before any part of an answer arrived, with `signal.reason` when aborted (the
 * request and its socket are destroyed), with AnswerError for an unusable
 * answer, and with a plain Error for other connection failures.
 */
export function postOnce(
  agent: http.Agent,
  address: PluginAddress,
  method: string,
  body: string,
  signal: AbortSignal,
): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let settled = false;
    let responded = false;
    const finish = (err: unknown, res?: RawResponse) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (res) resolve(res);
      else reject(err);
    };
    const target =
      address.kind === 'unix'
        ? { socketPath: address.path, host: 'localhost' }
        : { host: address.host, port: address.port };
    const send = address.kind === 'tcp' && address.tls ? https.request : http.request;
    const payload = Buffer.from(body, 'utf8');
    const req = send({
      ...target,
      agent,
      method: 'POST',
      path: `/${method}`,
      headers: {
        Accept: PLUGIN_CONTENT_TYPE,
        'Content-Type': PLUGIN_CONTENT_TYPE,
        'Content-Length': payload.length,
      },
    });
    const onAbort = () => {
      finish(signal.reason);
      req.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });

    // Until the whole request is written the plugin cannot act on it.
    let written = false;
    req.on('finish', () => (written = true));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      const retry = CONNECT_ERRORS.has(code) || (req.reusedSocket && DROPPED_ERRORS.has(code) && READ_ONLY.has(method));
      if (!responded && retry) finish(new ConnectFailure(err));
      else if (!written) finish(new NotDelivered(err));
      else finish(err);
    });
    req.on('response', (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          finish(new AnswerError(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('aborted', () => finish(new Error('connection closed while reading the answer')));
      res.on('error', (err) => finish(new Error(`connection failed while reading the answer: ${err.message}`)));
    });
    req.end(payload);
  });
}
