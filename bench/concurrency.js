import { expectNothingMounted, expectOneFreshMount, openBenchEngine, volumeEnvironment } from './engine.js';

/**
 * Benchmark 2: `containers` containers, each with its own volume, prepared at
 * once through the plugin mounter against a plugin whose Mount is slow. One
 * warm-up round (creates the volumes), then `rounds` timed rounds, then one
 * round with the same prepares one after another, as a measured check of the
 * sequential baseline. Cleanups are not timed.
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
    return { totals, sequential };
  } finally {
    await mounter.close();
  }
}
