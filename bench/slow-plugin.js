/**
 * A slow volume plugin: serves the Docker volume plugin protocol (v1) on a
 * unix socket by forwarding every call to a real plugin, holding each
 * VolumeDriver.Mount back for a fixed delay first, as a plugin that attaches
 * a network disk would. Run as its own process:
 *
 *   node bench/slow-plugin.js --socket PATH --upstream PATH --delay-ms 200
 */
import http from 'node:http';
import { unlink } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PLUGIN_CONTENT_TYPE } from '../dist/plugin/protocol.js';

const SLOW_METHOD = '/VolumeDriver.Mount';
const FORWARDED_HEADERS = ['accept', 'content-type'];

const { values } = parseArgs({
  options: {
    socket: { type: 'string' },
    upstream: { type: 'string' },
    'delay-ms': { type: 'string' },
  },
});
const delayMs = Number(values['delay-ms']);
if (!values.socket || !values.upstream || !Number.isFinite(delayMs) || delayMs < 0) {
  process.stderr.write('usage: node bench/slow-plugin.js --socket PATH --upstream PATH --delay-ms N\n');
  process.exit(2);
}

const upstreamAgent = new http.Agent({ keepAlive: true });

/** Plugin failures are answered as HTTP 500 with `{"Err": …}`, as the protocol has it. */
function fail(res, message) {
  const body = JSON.stringify({ Err: `slow plugin: ${message}` });
  res.writeHead(500, { 'Content-Type': PLUGIN_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function forward(req, res, body) {
  const headers = { 'Content-Length': body.length };
  for (const name of FORWARDED_HEADERS) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  const upstream = http.request(
    { socketPath: values.upstream, agent: upstreamAgent, method: req.method, path: req.url, headers },
    (answer) => {
      const out = {};
      for (const name of ['content-type', 'content-length']) if (answer.headers[name] !== undefined) out[name] = answer.headers[name];
      res.writeHead(answer.statusCode ?? 500, out);
      answer.pipe(res);
    },
  );
  upstream.once('error', (error) => fail(res, `upstream ${values.upstream}: ${error.message}`));
  upstream.end(body);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.once('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url === SLOW_METHOD) setTimeout(() => forward(req, res, body), delayMs);
    else forward(req, res, body);
  });
});

await unlink(values.socket).catch((error) => {
  if (error.code !== 'ENOENT') throw error;
});
server.listen(values.socket);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    upstreamAgent.destroy();
  });
}
