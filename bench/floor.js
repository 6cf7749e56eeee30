import { watch } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { encodeCheckpoint } from '../dist/checkpoint/codec.js';
import { PluginClient } from '../dist/plugin/client.js';
import { findPlugin } from '../dist/plugin/discovery.js';
import { replaceFile } from '../dist/util/durable-file.js';
import { expectNothingMounted, expectOneFreshMount, openBenchEngine, volumeEnvironment } from './engine.js';
import { median } from './stats.js';

/**
 * Durable checkpoint writes a prepare+cleanup of one volume needs: the intent
 * before the Mount, the mounted record before prepare answers, the removal
 * before cleanup answers.
 */
export const NEEDED_WRITES = 3;
const CHECKPOINT = 'dvdimounts.pb';
const ALONE_SAMPLES = 200;

/**
 * Benchmark 3: prepare+cleanup of one volume through the plugin mounter
 * against a plugin that does no work, and its floor measured in the same run:
 * NEEDED_WRITES durable writes (temp write, fsync, rename, directory fsync)
 * plus the plugin round trips the engine made, each measured alone.
 */
export async function measureFloor({ workspace, driver, socketPath, iterations, warmup }) {
  const checkpointFile = await workspace.checkpointFile('floor');
  const { isolator, mounter } = await openBenchEngine(workspace, 'plugin', 'floor');
  let renames = 0;
  // Every durable write ends with a rename onto the checkpoint's name.
  const watcher = watch(path.dirname(checkpointFile), (_, name) => {
    if (name === CHECKPOINT) renames++;
  });
  const volume = 'bench-floor';
  const total = [];
  let before;
  try {
    for (let i = 0; i < warmup + iterations; i++) {
      if (i === warmup) before = { calls: await pluginCalls(socketPath), renames };
      const containerId = `floor-${i}`;
      const directory = await workspace.sandbox(containerId);
      const t0 = performance.now();
      const result = await isolator.prepare({ containerId, environment: volumeEnvironment(driver, volume), directory });
      await isolator.cleanup(containerId);
      total.push(performance.now() - t0);
      expectOneFreshMount(result, volume);
    }
    expectNothingMounted(isolator, 'floor run');
    // fs.watch reports asynchronously: let the last renames arrive.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    watcher.close();
    await mounter.close();
  }
  const after = { calls: await pluginCalls(socketPath), renames };
  const callsPerRun = Object.entries(after.calls).reduce((n, [method, count]) => n + count - (before.calls[method] ?? 0), 0) / iterations;
  const write = await durableWriteAlone(workspace, checkpointFile, driver, volume);
  const roundTrip = await roundTripAlone(workspace, driver, volume);
  return {
    total: total.slice(warmup),
    writesPerRun: (after.renames - before.renames) / iterations,
    callsPerRun,
    write,
    roundTrip,
    floor: NEEDED_WRITES * write + callsPerRun * roundTrip,
  };
}

/** Median of one atomic replace of a checkpoint-sized file beside the checkpoint, as the store writes it. */
async function durableWriteAlone(workspace, checkpointFile, driver, volume) {
  const bytes = encodeCheckpoint([
    {
      containerId: 'floor-0',
      driver,
      name: volume,
      mountpoint: workspace.root,
      options: '',
      containerPath: path.join(workspace.root, 'sandboxes', 'floor-0', 'data'),
      dvdcliPath: '',
      explicitCreate: false,
      state: 'mounted',
      mountId: 'floor-0',
      error: '',
    },
  ]);
  const target = `${checkpointFile}.alone`;
  const samples = [];
  for (let i = 0; i < ALONE_SAMPLES; i++) {
    const t0 = performance.now();
    await replaceFile(target, `${target}.tmp-${i}`, bytes);
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/** Median of one call to the plugin over a pooled keep-alive connection, as the plugin mounter makes it. */
async function roundTripAlone(workspace, driver, volume) {
  const client = new PluginClient(await findPlugin(driver, { socketDirs: [workspace.socketDir], specDirs: [workspace.specDir] }));
  try {
    await client.activate();
    const samples = [];
    for (let i = 0; i < ALONE_SAMPLES; i++) {
      const t0 = performance.now();
      await client.get(volume);
      samples.push(performance.now() - t0);
    }
    return median(samples);
  } finally {
    await client.close();
  }
}

/** The no-op plugin's call counts per method (bench/noop-plugin.js). */
function pluginCalls(socketPath) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/Bench.Calls', method: 'POST', agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.once('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(new Error(`Bench.Calls answered ${res.statusCode} with no JSON: ${error.message}`));
        }
      });
    });
    req.once('error', reject);
    req.end();
  });
}
