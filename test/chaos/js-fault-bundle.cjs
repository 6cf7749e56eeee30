// The isolator's bundle (DVDI_CHAOS_ISOLATOR) with the JavaScript restarts
// the randomized crash test sets off: once the file DVDI_CHAOS_FAULT appears,
// JavaScript loops forever ("watchdog": the watchdog restarts it) or fills
// its heap ("heap": the heap limit does). The file is removed first, so the
// next environment starts clean.
'use strict';
const { readFileSync, rmSync } = require('node:fs');
const isolator = require(process.env.DVDI_CHAOS_ISOLATOR);

const POLL_MS = 25;

function fault(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

exports.start = (bridge) => {
  const file = process.env.DVDI_CHAOS_FAULT;
  setInterval(() => {
    const kind = fault(file);
    if (kind === undefined) return;
    rmSync(file, { force: true });
    if (kind === 'watchdog') for (;;);
    const hoard = [];
    for (;;) hoard.push(new Array(1 << 20).fill(hoard.length));
  }, POLL_MS).unref();
  return isolator.start(bridge);
};
