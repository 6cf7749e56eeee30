/**
 * `npm run bench:runtime`: issue 7's benchmarks of the embedded runtime,
 * through native/bench's host (dvdi-runtime-bench), which loads
 * libdvdi_runtime.so with dlopen as the Mesos module does. Prints each number
 * against its target or baseline and the floor taken in the same run; nothing
 * asserts them. See bench/runtime/README.md.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { volumeEnvironment } from '../engine.js';
import { measurePrepareCleanup } from '../latency.js';
import { startWorkspaceDirPlugin } from '../processes.js';
import { median, ms, percentile, ratio } from '../stats.js';
import { createWorkspace } from '../workspace.js';
import { measureBareNode, measureCliRounds } from './cli.js';
import { ECHO_BUNDLE, LIBRARY, REAL_BUNDLE, runHost } from './host.js';

/** Issue 7's targets. */
const TARGET = { roundTripUs: 20, startMs: 200, addedMb: 60 };
const DRIVER = 'rtbench';
const VOLUME = 'bench-runtime';

const DEFAULTS = { calls: 10000, restarts: 5, starts: 5, rounds: 30, warmup: 5 };
const USAGE = `usage: node bench/runtime/run.js [--calls=N] [--restarts=N] [--starts=N] [--rounds=N] [--warmup=N]
  --calls     round trips per thread (default 10000)
  --restarts  restarts of the JavaScript environment (default 5)
  --starts    host processes started per bundle for the start-up time (default 5)
  --rounds    measured prepare+cleanup rounds per path (default 30)
  --warmup    unmeasured rounds before them (default 5)
`;

const us = (value) => `${value.toFixed(1)} µs`;
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
const against = (value, target, unit) => `/ target ${target} ${unit} = ${ratio(value / target)} (${value <= target ? 'met' : 'NOT met'})`;

function roundTripLine(events, threads) {
  const of = (p) => events.roundtrip.find((e) => e.path === p && e.threads === threads);
  const runtime = of('runtime');
  const floor = of('handoff');
  const perSecond = (e) => Math.round(e.samples_us.length / (e.wall_ms / 1000));
  const p50 = median(runtime.samples_us);
  return (
    `   ${threads} thread${threads === 1 ? ': ' : 's:'} runtime median ${us(p50)} p99 ${us(percentile(runtime.samples_us, 99))}, ` +
    `${perSecond(runtime)} calls/s | floor (thread hand-off in the host) median ${us(median(floor.samples_us))} ` +
    `p99 ${us(percentile(floor.samples_us, 99))}, ${perSecond(floor)} calls/s | runtime / floor = ${ratio(p50 / median(floor.samples_us))} (median) | ` +
    `median ${against(p50, TARGET.roundTripUs, 'µs')}`
  );
}

/** Start-up of `starts` fresh host processes: medians of start time, dlopen time and memory added. */
async function startUps(starts, params) {
  const runs = [];
  for (let i = 0; i < starts; i++) runs.push((await runHost('start', { params })).start[0]);
  return {
    startMs: median(runs.map((r) => r.start_ms)),
    dlopenMs: median(runs.map((r) => r.dlopen_ms)),
    addedKb: median(runs.map((r) => r.rss_ready_kb - r.rss_before_kb)),
  };
}

/** The options as numbers, or null for --help. */
function readOptions(args) {
  const spec = Object.fromEntries(Object.keys(DEFAULTS).map((name) => [name, { type: 'string' }]));
  const { values } = parseArgs({ args, options: { ...spec, help: { type: 'boolean' } } });
  if (values.help) return null;
  return Object.fromEntries(
    Object.entries(DEFAULTS).map(([name, fallback]) => {
      const value = Number(values[name] ?? fallback);
      if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer\n${USAGE}`);
      return [name, value];
    }),
  );
}

function roundTripBenchmark(echo, calls) {
  console.log(`1. host→JS→host round trip, echo handler (bench/runtime/echo-bundle.cjs), ${calls} calls a thread after a warm-up:`);
  console.log(roundTripLine(echo, 1));
  console.log(roundTripLine(echo, 4));
}

async function startBenchmark(echo, { echoParams, realParams, starts }) {
  const echoStart = await startUps(starts, echoParams);
  const realStart = await startUps(starts, realParams);
  const bareNode = median(await measureBareNode(starts));
  const samples = echo.restart[0].samples_ms;
  const restart = median(samples);
  console.log(`2. start-up until ready (dvdi_runtime_start returning), median of ${starts} fresh processes:`);
  console.log(
    `   real bundle ${ms(realStart.startMs)} ${against(realStart.startMs, TARGET.startMs, 'ms')} | ` +
      `floor: echo bundle ${ms(echoStart.startMs)}, real / echo = ${ratio(realStart.startMs / echoStart.startMs)} | ` +
      `dlopen before it ${ms(realStart.dlopenMs)} | reference: a bare \`node -e 0\` process (${process.version}) ${ms(bareNode)}`,
  );
  console.log(
    `   memory added (RSS at ready − RSS before dlopen): real bundle ${mb(realStart.addedKb)} ` +
      `${against(realStart.addedKb / 1024, TARGET.addedMb, 'MB')} | floor: echo bundle ${mb(echoStart.addedKb)} | ` +
      `the round-trip host after its calls and restarts ${mb(echo.end[0].rss_kb - echo.start[0].rss_before_kb)}`,
  );
  console.log(
    `   restart (handler calls process.exit, until the next call succeeds), echo bundle, median of ${samples.length}: ${ms(restart)} ` +
      `${against(restart, TARGET.startMs, 'ms')} | / its cold start = ${ratio(restart / echoStart.startMs)}`,
  );
}

async function volumeBenchmark(workspace, { realParams, rounds, warmup }) {
  const environment = volumeEnvironment(DRIVER, VOLUME);
  const options = { warmup, rounds, sandboxes: await workspace.dir('sandboxes') };
  const runtime = (await runHost('volume', { params: realParams, options, environment })).volume[0].samples_ms;
  const cli = await measureCliRounds({ workspace, checkpoint: await workspace.checkpointFile('cli'), environment, warmup, rounds });
  const engine = (await measurePrepareCleanup({ workspace, mounter: 'plugin', driver: DRIVER, volume: VOLUME, iterations: rounds, warmup })).total;
  const line = (label, s) => `${label}median ${ms(median(s))} p99 ${ms(percentile(s, 99))}`;
  console.log(`3. prepare+cleanup of one volume, dir plugin, mounter=plugin (${rounds} rounds after ${warmup} warm-up):`);
  console.log(
    `   ${line('embedded runtime ', runtime)} | ${line('CLI (2 processes) ', cli)} | CLI / runtime = ${ratio(median(cli) / median(runtime))} (median)`,
  );
  console.log(
    `   floor: the engine in this process (node ${process.version}) ${line('', engine)} | runtime / floor = ${ratio(median(runtime) / median(engine))} (median)`,
  );
}

async function main() {
  let options;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench:runtime: ${error.message}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  console.log(
    `dvdi runtime benchmarks ${new Date().toISOString()}: ${LIBRARY} (Debian's libnode, Node 18), CLI on node ${process.version}, ` +
      `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${os.loadavg()[0].toFixed(1)}`,
  );
  const workspace = await createWorkspace();
  const plugin = await startWorkspaceDirPlugin(workspace, DRIVER);
  try {
    const echoParams = { bundle: ECHO_BUNDLE, checkpoint: await workspace.checkpointFile('echo') };
    const realParams = {
      bundle: REAL_BUNDLE,
      checkpoint: await workspace.checkpointFile('runtime'),
      mounter: 'plugin',
      plugin_dirs: workspace.socketDir,
    };
    const echo = await runHost('roundtrip', { params: echoParams, options: { calls: options.calls, restarts: options.restarts } });
    roundTripBenchmark(echo, options.calls);
    await startBenchmark(echo, { echoParams, realParams, starts: options.starts });
    await volumeBenchmark(workspace, { realParams, rounds: options.rounds, warmup: options.warmup });
  } finally {
    await plugin.stop();
    await workspace.remove();
  }
  return 0;
}

process.exitCode = await main();
