/**
 * A slow volume plugin: serves the Docker volume plugin protocol (v1) on a
 * unix socket by forwarding every call to a real plugin, holding each
 * VolumeDriver.Mount back for a fixed delay first, as a plugin that attaches
 * a network disk would. Run as its own process:
 *
 *   node bench/slow-plugin.js --socket PATH --upstream PATH --delay-ms 200
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { answer, servePlugin } from './plugin-http.js';

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

function forward(req, res, body) {
  const headers = { 'Content-Length': body.length };
  for (const name of FORWARDED_HEADERS) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  const upstream = http.request(
    { socketPath: values.upstream, agent: upstreamAgent, method: req.method, path: req.url, headers },
    (reply) => {
      const out = {};
      for (const name of ['content-type', 'content-length']) if (reply.headers[name] !== undefined) out[name] = reply.headers[name];
      res.writeHead(reply.statusCode ?? 500, out);
      reply.pipe(res);
    },
  );
  // Plugin failures are answered as HTTP 500 with `{"Err": …}`, as the protocol has it.
  upstream.once('error', (error) => answer(res, 500, { Err: `slow plugin: upstream ${values.upstream}: ${error.message}` }));
  upstream.end(body);
}

await servePlugin(values.socket, (req, res, body) => {
  if (req.url === SLOW_METHOD) setTimeout(() => forward(req, res, body), delayMs);
  else forward(req, res, body);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => upstreamAgent.destroy());
