#!/usr/bin/env node
// A dvdcli-compatible program for tests: it parses dvdcli's command line,
// mounts a real tmpfs per volume under $FAKE_DVDCLI_STATE/mnt, logs every
// call, and misbehaves on demand as told by $FAKE_DVDCLI_STATE/behaviour.json:
// { "mount:NAME" | "mount" | "unmount:NAME" | "unmount": "ok" | "empty" |
//   "exit0-garbage" | "exit2" | "fail" | "hang" | "slow:MS" | "two-lines" |
//   "mount-then-hang" | "gate" }. "gate" waits until the test opens it (the
//   file $FAKE_DVDCLI_STATE/gate-OP-NAME exists), then behaves: an order of
//   events fixed by the test, never by timing.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const state = process.env.FAKE_DVDCLI_STATE;
if (!state) {
  process.stderr.write('FAKE_DVDCLI_STATE is not set\n');
  process.exit(1);
}
const [op, ...flags] = process.argv.slice(2);
const opts = { volumedriver: 'rexray', volumeopts: [] };
for (const f of flags) {
  const m = /^--(volumedriver|volumename|volumeopts|explicitcreate)=(.*)$/s.exec(f);
  if (!m) {
    process.stderr.write(`bad flag ${f}\n`);
    process.exit(2);
  }
  if (m[1] === 'volumeopts') opts.volumeopts.push(m[2]);
  else opts[m[1]] = m[2];
}
appendFileSync(path.join(state, 'calls.log'), JSON.stringify({ op, ...opts, pid: process.pid }) + '\n');

let behaviour = {};
try {
  behaviour = JSON.parse(readFileSync(path.join(state, 'behaviour.json'), 'utf8'));
} catch {
  // No behaviour file: behave.
}
const how = behaviour[`${op}:${opts.volumename}`] ?? behaviour[op] ?? 'ok';
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

if (how === 'hang') {
  // A child in the same process group, as a plugin call stuck in the kernel would leave.
  setInterval(() => {}, 1000);
} else {
  if (how.startsWith('slow:')) sleep(Number(how.slice(5)));
  if (how === 'gate') {
    const gate = path.join(state, `gate-${op}-${opts.volumename}`);
    // Bounded: a broken test must not leave a dvdcli behind for good.
    for (let waited = 0; !existsSync(gate); waited += 10) {
      if (waited > 120_000) {
        process.stderr.write(`gate ${gate} never opened\n`);
        process.exit(1);
      }
      sleep(10);
    }
  }
  run();
}

function run() {
  if (how === 'exit2') {
    process.stderr.write('panic: runtime error: index out of range\n');
    process.exit(2);
  }
  if (how === 'fail') {
    process.stderr.write(`Error: ${op} of ${opts.volumename} refused by the plugin\n`);
    process.exit(1);
  }
  if (how === 'empty') process.exit(0);
  if (how === 'exit0-garbage') {
    process.stdout.write('Error: unknown flag\n');
    process.exit(0);
  }
  const mountpoint = path.join(state, 'mnt', opts.volumedriver.replace(/\//g, '_'), opts.volumename);
  const mounted = () =>
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[4] === mountpoint);
  if (op === 'mount') {
    mkdirSync(mountpoint, { recursive: true });
    if (!mounted()) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'dvdi-fake', mountpoint]);
    process.stdout.write(how === 'two-lines' ? `${mountpoint}\n${mountpoint}\n` : `${mountpoint}\n`);
    if (how === 'mount-then-hang') setInterval(() => {}, 1000);
  } else if (op === 'unmount') {
    if (existsSync(mountpoint) && mounted()) execFileSync('umount', [mountpoint]);
  } else if (op === 'path') {
    process.stdout.write(`${mountpoint}\n`);
  } else {
    process.stderr.write(`unknown command ${op}\n`);
    process.exit(1);
  }
}
