'use strict';
// The soak's bundle: dvdi's own (dist/dvdi-runtime.cjs), unchanged, plus a
// probe: a cleanup whose request names the probe container first logs the
// JavaScript heap after a full garbage collection (a native host cannot read
// it otherwise), then goes to dvdi's cleanup like any other.
const path = require('path');
const v8 = require('v8');
const vm = require('vm');

const PROBE = Buffer.from('dvdi-soak-probe');
const dvdi = require(path.join(__dirname, '..', '..', 'dist', 'dvdi-runtime.cjs'));

v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc');

exports.start = (bridge) =>
  dvdi.start({
    parameters: () => bridge.parameters(),
    log: (level, line) => bridge.log(level, line),
    ready: (deadlines) => bridge.ready(deadlines),
    fail: (message) => bridge.fail(message),
    register: (handlers) =>
      bridge.register({
        ...handlers,
        cleanup(request) {
          if (Buffer.from(request).includes(PROBE)) {
            collect();
            bridge.log(0, `soak-probe heap_used=${process.memoryUsage().heapUsed}`);
          }
          return handlers.cleanup(request);
        },
      }),
  });
