import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DVDI_MAIN } from '../processes.js';

const run = promisify(execFile);

/**
 * Prepare then cleanup of one volume through the CLI, a new container each
 * round: two `dvdi` processes, as a script driving the CLI pays them.
 * Returns the measured rounds' times (ms).
 */
export async function measureCliRounds({ workspace, checkpoint, environment, warmup, rounds }) {
  const common = ['--checkpoint', checkpoint, '--mounter', 'plugin', '--plugin-dirs', workspace.socketDir, '--quiet'];
  const samples = [];
  for (let i = 0; i < warmup + rounds; i++) {
    const containerId = `cli-${i}`;
    const directory = await workspace.sandbox(containerId);
    const env = environment.flatMap(([name, value]) => ['--env', `${name}=${value}`]);
    const t0 = performance.now();
    const prepared = await run(process.execPath, [DVDI_MAIN, 'prepare', '--container-id', containerId, '--directory', directory, ...env, ...common]);
    await run(process.execPath, [DVDI_MAIN, 'cleanup', '--container-id', containerId, ...common]);
    const elapsed = performance.now() - t0;
    const { mounts } = JSON.parse(prepared.stdout);
    if (mounts.length !== 1 || mounts[0].shared) throw new Error(`CLI prepare of ${containerId} returned ${prepared.stdout}`);
    if (i >= warmup) samples.push(elapsed);
  }
  return samples;
}

/** Wall times (ms) of `node -e 0` with the Node running the bench: what any Node process costs before it does anything. */
export async function measureBareNode(count) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await run(process.execPath, ['-e', '0']);
    samples.push(performance.now() - t0);
  }
  return samples;
}
