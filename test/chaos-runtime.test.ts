import { describe, expect, it } from 'vitest';
import { runChaos } from './chaos/chaos.js';
import { FAILURE_KINDS } from './chaos/invariants.js';

/**
 * The randomized crash test through the embedded runtime, short: one
 * dvdi-agent-sim launching and destroying containers from several threads,
 * killed with SIGKILL at random instants (calls, recovery, background
 * unmounts, checkpoint writes) and restarted, some rounds with the plugin
 * stopped or JavaScript restarted; then the invariants (test/chaos/invariants.ts).
 * `npm run chaos -- --via runtime` plays the long run.
 */
const SEED = 20261202;
const ROUNDS = 15;
const LIMIT_MS = 240_000;

describe('randomized crash test through the embedded runtime', () => {
  it(`fixed seed ${SEED}, ${ROUNDS} rounds (replay: npm run chaos -- --via runtime --seed ${SEED} --rounds ${ROUNDS})`, async () => {
    const report = await runChaos({ rounds: ROUNDS, seed: SEED, backend: 'loop', via: 'runtime', timeoutSeconds: 2, log: (line) => console.log(line) });
    expect(report.findings).toEqual([]);
    expect(report.totals).toEqual(Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])));
    expect(report.unexpected.filter((u) => /exited by itself/.test(u))).toEqual([]);
    // The run did crash the agent: otherwise it proved nothing.
    expect(Object.values(report.operations).reduce((n, op) => n + op.killed, 0)).toBeGreaterThan(0);
  }, LIMIT_MS);
});
