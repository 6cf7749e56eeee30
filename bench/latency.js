import { expectNothingMounted, expectOneFreshMount, openBenchEngine, volumeEnvironment } from './engine.js';

/**
 * Benchmark 1: one container prepares one volume, then is cleaned up; each
 * iteration is a new container. Returns the samples (ms) after the warm-up.
 */
export async function measurePrepareCleanup({ workspace, mounter, driver, volume, iterations, warmup }) {
  const { isolator, mounter: m } = await openBenchEngine(workspace, mounter, `latency-${mounter}`);
  const total = [];
  const prepare = [];
  const cleanup = [];
  try {
    for (let i = 0; i < warmup + iterations; i++) {
      const containerId = `latency-${mounter}-${i}`;
      const directory = await workspace.sandbox(containerId);
      const environment = volumeEnvironment(driver, volume);
      const t0 = performance.now();
      const result = await isolator.prepare({ containerId, environment, directory });
      const t1 = performance.now();
      await isolator.cleanup(containerId);
      const t2 = performance.now();
      expectOneFreshMount(result, volume);
      if (i < warmup) continue;
      total.push(t2 - t0);
      prepare.push(t1 - t0);
      cleanup.push(t2 - t1);
    }
    expectNothingMounted(isolator, `${mounter} mounter latency run`);
  } finally {
    await m.close();
  }
  return { total, prepare, cleanup };
}
