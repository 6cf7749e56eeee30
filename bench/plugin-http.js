import http from 'node:http';
import { unlink } from 'node:fs/promises';
import { PLUGIN_CONTENT_TYPE } from '../dist/plugin/protocol.js';

/** Writes a plugin answer: JSON with the protocol's content type. */
export function answer(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': PLUGIN_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

/**
 * Serves a bench plugin (Docker volume plugin protocol v1) on a unix socket
 * until SIGINT or SIGTERM; `handle(req, res, body)` gets each call once its
 * whole body has arrived.
 */
export async function servePlugin(socketPath, handle) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.once('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await unlink(socketPath).catch((error) => {
    if (error.code !== 'ENOENT') throw error;
  });
  server.listen(socketPath);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      server.close();
      server.closeAllConnections();
    });
  }
  return server;
}
