import { PluginClient } from '../dist/plugin/client.js';
import { findPlugin } from '../dist/plugin/discovery.js';
import { expectNothingMounted, expectOneFreshMount, openBenchEngine, volumeEnvironment } from './engine.js';
import { median } from './stats.js';

/**
 * Benchmark 2: `containers` containers, each with its own volume, prepared at
 * once through the plugin mounter against a plugin whose Mount is slow. One
 * warm-up round (creates the volumes), then `rounds` timed rounds, then one
 * round with the same prepares one after another, as a measured check of the
 * sequential baseline, then the floor: one Mount alone, straight to the
 * plugin (median of `rounds`). Cleanups are not timed.
 */
export async function measureConcurrentPrepare({ workspace, driver, containers, rounds }) {
  const { isolator, mounter } = await openBenchEngine(workspace, 'plugin', 'concurrent');
  const volumeOf = (i) => `bench-concurrent-${i}`;

  const round = async (tag, concurrent) => {
    const ids = Array.from({ length: containers }, (_, i) => `concurrent-${tag}-${i}`);
    const directories = await Promise.all(ids.map((id) => workspace.sandbox(id)));
    const prepareOne = (i) =>
      isolator.prepare({ containerId: ids[i], environment: volumeEnvironment(driver, volumeOf(i)), directory: directories[i] });
    const results = [];
    const t0 = performance.now();
    if (concurrent) {
      results.push(...(await Promise.all(ids.map((_, i) => prepareOne(i)))));
    } else {
      for (let i = 0; i < ids.length; i++) results.push(await prepareOne(i));
    }
    const elapsed = performance.now() - t0;
    results.forEach((r, i) => expectOneFreshMount(r, volumeOf(i)));
    await Promise.all(ids.map((id) => isolator.cleanup(id)));
    expectNothingMounted(isolator, `concurrent prepare round ${tag}`);
    return elapsed;
  };

  try {
    await round('warmup', true);
    const totals = [];
    for (let r = 0; r < rounds; r++) totals.push(await round(r, true));
    const sequential = await round('sequential', false);
    return { totals, sequential, floor: await mountAlone(workspace, driver, rounds) };
  } finally {
    await mounter.close();
  }
}

/** One Mount (and, untimed, its Unmount) of an existing volume through a pooled client, as the plugin mounter calls it. */
async function mountAlone(workspace, driver, rounds) {
  const client = new PluginClient(await findPlugin(driver, { socketDirs: [workspace.socketDir], specDirs: [workspace.specDir] }));
  const volume = 'bench-concurrent-floor';
  try {
    await client.activate();
    await client.create(volume, {});
    const samples = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      await client.mount(volume, 'bench-floor');
      samples.push(performance.now() - t0);
      await client.unmount(volume, 'bench-floor');
    }
    return median(samples);
  } finally {
    await client.close();
  }
}
