/**
 * dvdi benchmarks (`npm run bench`). Prints ratios; nothing here is asserted
 * by the test suite. See bench/README.md for what each number means.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bridgeLines, measureBridge } from './bridge.js';
import { measureConcurrentPrepare } from './concurrency.js';
import { measureFloor, NEEDED_WRITES } from './floor.js';
import { measurePrepareCleanup } from './latency.js';
import { OptionError, readOptions, USAGE } from './options.js';
import { DVDI_MAIN, startDirPlugin, startPluginProcess, startWorkspaceDirPlugin } from './processes.js';
import { median, ms, percentile, ratio } from './stats.js';
import { createWorkspace } from './workspace.js';

const LATENCY_DRIVER = 'benchdir';
const SLOW_DRIVER = 'slowdir';
const NOOP_DRIVER = 'noop';
/** Issue 6's targets: within 1.5 times the floor. */
const TARGET = 1.5;

/** Two decimals: whether a ratio near the target meets it must show. */
function target(value) {
  return `${value.toFixed(2)}x (target ≤ ${TARGET.toFixed(2)}x: ${value <= TARGET ? 'met' : 'NOT met'})`;
}

async function latencyBenchmark(workspace, options) {
  const { iterations, warmup } = options;
  const plugin = await startWorkspaceDirPlugin(workspace, LATENCY_DRIVER);
  try {
    const run = (mounter) => measurePrepareCleanup({ workspace, mounter, driver: LATENCY_DRIVER, volume: 'bench-latency', iterations, warmup });
    const dvdcli = await run('dvdcli');
    const plugins = await run('plugin');
    const line = (label, s) => `${label} median ${ms(median(s.total))} p99 ${ms(percentile(s.total, 99))}`;
    console.log(
      `1. prepare+cleanup, 1 volume, dir plugin (${iterations} runs after ${warmup} warm-up): ` +
        `${line('dvdcli mounter', dvdcli)} | ${line('plugin mounter', plugins)} | ` +
        `dvdcli mounter / plugin mounter = ${ratio(median(dvdcli.total) / median(plugins.total))} (median), ` +
        `${ratio(percentile(dvdcli.total, 99) / percentile(plugins.total, 99))} (p99)`,
    );
    const split = (label, s) => `${label} ${ms(median(s.prepare))} + ${ms(median(s.cleanup))}`;
    console.log(`   medians of prepare + cleanup: ${split('dvdcli mounter', dvdcli)} | ${split('plugin mounter', plugins)}`);
  } finally {
    await plugin.stop();
  }
}

async function concurrencyBenchmark(workspace, options) {
  const { containers, rounds } = options;
  const delayMs = options['mount-delay-ms'];
  const upstreamSocket = path.join(await workspace.dir('upstream'), `${SLOW_DRIVER}.sock`);
  const upstream = await startDirPlugin({
    name: SLOW_DRIVER,
    socketPath: upstreamSocket,
    root: await workspace.dir('plugins', SLOW_DRIVER),
    logFile: path.join(workspace.logDir, `${SLOW_DRIVER}-upstream.log`),
  });
  let slow;
  try {
    const socketPath = path.join(workspace.socketDir, `${SLOW_DRIVER}.sock`);
    slow = await startPluginProcess({
      label: `slow plugin ${SLOW_DRIVER}`,
      args: [fileURLToPath(new URL('./slow-plugin.js', import.meta.url)), '--socket', socketPath, '--upstream', upstreamSocket, '--delay-ms', String(delayMs)],
      socketPath,
      logFile: path.join(workspace.logDir, `${SLOW_DRIVER}.log`),
    });
    const { totals, sequential, floor } = await measureConcurrentPrepare({ workspace, driver: SLOW_DRIVER, containers, rounds });
    const baseline = containers * delayMs;
    const total = median(totals);
    console.log(
      `2. ${containers} containers each preparing its own volume at once, plugin Mount ${delayMs} ms, plugin mounter ` +
        `(${rounds} round${rounds === 1 ? '' : 's'} after 1 warm-up): total median ${ms(total)} (min ${ms(Math.min(...totals))}, max ${ms(Math.max(...totals))}) | ` +
        `sequential baseline (original module, one mount after another) ${containers} × ${delayMs} ms = ${baseline} ms | ` +
        `sequential baseline / dvdi = ${ratio(baseline / total)} (median)`,
    );
    console.log(`   check: the same ${containers} prepares one after another through dvdi took ${ms(sequential)}`);
    console.log(`   floor: one Mount alone, straight to the plugin, ${ms(floor)} | dvdi total / floor = ${target(total / floor)}`);
  } finally {
    await slow?.stop();
    await upstream.stop();
  }
}

async function floorBenchmark(workspace, options) {
  const { iterations, warmup } = options;
  const socketPath = path.join(workspace.socketDir, `${NOOP_DRIVER}.sock`);
  const plugin = await startPluginProcess({
    label: `no-op plugin ${NOOP_DRIVER}`,
    args: [fileURLToPath(new URL('./noop-plugin.js', import.meta.url)), '--socket', socketPath, '--mountpoint', await workspace.dir('noop-volume')],
    socketPath,
    logFile: path.join(workspace.logDir, `${NOOP_DRIVER}.log`),
  });
  try {
    const r = await measureFloor({ workspace, driver: NOOP_DRIVER, socketPath, iterations, warmup });
    const total = median(r.total);
    console.log(
      `3. prepare+cleanup, 1 volume, plugin that does no work, plugin mounter (${iterations} runs after ${warmup} warm-up): ` +
        `median ${ms(total)} p99 ${ms(percentile(r.total, 99))} | floor ${ms(r.floor)} = ${NEEDED_WRITES} durable writes × ${ms(r.write)} + ` +
        `${r.callsPerRun.toFixed(1)} plugin round trips × ${ms(r.roundTrip)}, each measured alone | dvdi / floor = ${target(total / r.floor)} (median)`,
    );
    console.log(`   checkpoint writes seen per prepare+cleanup: ${r.writesPerRun.toFixed(2)} (needed: ${NEEDED_WRITES})`);
  } finally {
    await plugin.stop();
  }
}

async function bridgeBenchmark(workspace, options) {
  const calls = options['bridge-calls'];
  const load = os.loadavg()[0];
  for (const line of bridgeLines(await measureBridge(workspace, calls), calls, load)) console.log(line);
}

async function main() {
  let options;
  try {
    options = readOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    process.stderr.write(`bench: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `dvdi benchmarks ${new Date().toISOString()}: node ${process.version}, ${os.availableParallelism()} CPUs (${cpu}), ` +
      `${os.type()} ${os.release()}, dvdcli-compatible binary and plugin server from ${path.dirname(DVDI_MAIN)}`,
  );
  const workspace = await createWorkspace();
  // The dvdcli mounter runs the binary with the agent's environment; this is how it finds the bench's plugins.
  process.env.DVDI_PLUGIN_SOCKET_DIRS = workspace.socketDir;
  process.env.DVDI_PLUGIN_SPEC_DIRS = workspace.specDir;
  try {
    await latencyBenchmark(workspace, options);
    await concurrencyBenchmark(workspace, options);
    await floorBenchmark(workspace, options);
    await bridgeBenchmark(workspace, options);
  } finally {
    await workspace.remove();
  }
  return 0;
}

process.exitCode = await main();
