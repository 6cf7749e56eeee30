/**
 * A volume plugin that does no work, so that what a prepare+cleanup costs
 * beyond its round trips is the engine's own: every volume exists, Mount
 * answers at once with one existing directory, Unmount answers at once, and
 * nothing is written anywhere. It counts the calls per method and answers
 * `POST /Bench.Calls` (not part of the protocol) with the counts, so the bench
 * knows how many round trips the engine made. Run as its own process:
 *
 *   node bench/noop-plugin.js --socket PATH --mountpoint DIR
 */
import { parseArgs } from 'node:util';
import { answer, servePlugin } from './plugin-http.js';

const { values } = parseArgs({ options: { socket: { type: 'string' }, mountpoint: { type: 'string' } } });
if (!values.socket || !values.mountpoint?.startsWith('/')) {
  process.stderr.write('usage: node bench/noop-plugin.js --socket PATH --mountpoint /ABSOLUTE/DIR\n');
  process.exit(2);
}
const mountpoint = values.mountpoint;

const calls = {};

function reply(method, request) {
  switch (method) {
    case 'Plugin.Activate':
      return { Implements: ['VolumeDriver'] };
    case 'VolumeDriver.Get':
      return { Volume: { Name: request.Name, Mountpoint: mountpoint }, Err: '' };
    case 'VolumeDriver.Mount':
    case 'VolumeDriver.Path':
      return { Mountpoint: mountpoint, Err: '' };
    case 'VolumeDriver.List':
      return { Volumes: [], Err: '' };
    case 'VolumeDriver.Capabilities':
      return { Capabilities: { Scope: 'local' } };
    default:
      return { Err: '' };
  }
}

await servePlugin(values.socket, (req, res, body) => {
  const method = (req.url ?? '/').slice(1);
  if (method === 'Bench.Calls') return answer(res, 200, calls);
  calls[method] = (calls[method] ?? 0) + 1;
  let request;
  try {
    request = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (error) {
    return answer(res, 500, { Err: `noop plugin: invalid JSON body: ${error.message}` });
  }
  answer(res, 200, reply(method, request));
});
