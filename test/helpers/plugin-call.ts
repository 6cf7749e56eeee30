import http from 'node:http';
import { PLUGIN_CONTENT_TYPE } from '../../src/plugin/protocol.js';

export interface PluginReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One plugin call over the unix socket, exactly as Docker sends it; `body` may be raw text. */
export function pluginCall(socketPath: string, method: string, body: unknown = {}, httpMethod = 'POST'): Promise<PluginReply> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        // A fresh connection per call: no pooled socket outlives a server the test stops.
        agent: false,
        path: `/${method}`,
        method: httpMethod,
        headers: { Accept: PLUGIN_CONTENT_TYPE, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
          } catch {
            reject(new Error(`non-JSON reply ${res.statusCode}: ${text}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
