'use strict';
// The trivial bundle of `npm run bench:runtime`: every call is answered with
// its own request bytes, so a round trip measures the embedded runtime and
// its bridge alone. A request reading `exit` ends the JavaScript environment
// (process.exit), which the runtime contains and restarts.
const EXIT = 'exit';

async function echo(request) {
  if (request.length === EXIT.length && Buffer.from(request).toString() === EXIT) process.exit(0);
  return request;
}

exports.start = (bridge) => {
  bridge.register({ recover: echo, prepare: echo, cleanup: echo });
  bridge.ready({ recover: 30000, prepare: 30000, cleanup: 30000 });
};
