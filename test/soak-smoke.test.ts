/**
 * The soak machinery of `make soak` (bench/soak/, native/bench/soak.cc) on a
 * few hundred calls: the native host's threads prepare and clean up
 * containers with a shared and a private volume through the embedded runtime
 * against dvdi's dir plugin, checking every answer, and the driver prints each
 * window and a verdict. Only correctness is asserted, never the figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtFile } from './helpers/native-build.js';

const RUN_TIMEOUT_MS = 110_000;

describe('soak smoke (make soak, a few hundred calls)', () => {
  let dir: string;
  let run: { status: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    builtFile('dvdi-runtime-bench');
    dir = await mkdtemp(path.join(os.tmpdir(), 'dvdi-soak-smoke-'));
    const args = ['bench/soak/run.js', '--windows=2', '--window-calls=80', '--warmup-calls=40', '--settle-ms=0', `--dir=${dir}`];
    run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  }, RUN_TIMEOUT_MS + 5_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers every prepare and cleanup as expected and prints each window and a verdict', () => {
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const windows = run.stdout.split('\n').filter((line) => /^(warm-up|\d+) +\d+ /.test(line));
    expect(windows.map((line) => line.split(/ +/).slice(0, 2))).toEqual([
      ['warm-up', '40'],
      ['1', '80'],
      ['2', '80'],
    ]);
    expect(run.stdout).toMatch(/^verdict: (flat|NOT flat \(.+\)): window 1 → 2: RSS /m);
  });

  it('leaves nothing behind in its directory', async () => {
    expect(await readdir(dir)).toEqual([]);
  });
});
