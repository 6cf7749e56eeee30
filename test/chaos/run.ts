/**
 * `npm run chaos -- [--via cli|runtime] [--rounds N] [--seed N] [--backend loop|dir] [--timeout S] [--verbose]`:
 * the randomized crash test at length. Prints the seed first (a failure
 * replays with the same seed), each finding as it is found, and the totals;
 * exits 1 when any invariant was broken. SIGINT or SIGTERM ends the run after
 * the round in play, with the totals so far, and cleans up (exit 130 if clean).
 */
import { parseArgs } from 'node:util';
import { runChaos } from './chaos.js';
import { FAILURE_KINDS } from './invariants.js';
import { randomSeed } from './random.js';

const USAGE = `usage: npm run chaos -- [--via cli|runtime] [--rounds N] [--seed N] [--backend loop|dir] [--timeout SECONDS] [--verbose]
  --via cli         each call a \`dvdi\` command, killed at a random instant (default)
  --via runtime     the runtime embedded in one long-running dvdi-agent-sim, launching and
                    destroying containers from several threads; the agent is killed at a random
                    instant (calls, recovery, background undo, pending-unmount retry, checkpoint
                    write), restarts and recovers; some rounds restart JavaScript (watchdog, heap)
  --bundle FILE     with --via runtime: the isolator's bundle to run (default dist/dvdi-runtime.cjs)
  --rounds N        rounds to play (default 200)
  --seed N          replays a run (default: random, printed)
  --backend B       the plugin's backend: loop (default; root) or dir
  --timeout S       dvdi's mount and unmount timeouts (default 2)
  --verbose         a line per round and every unexpected command failure
`;

function wholeNumber(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new Error(`--${flag}: expected a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
}

async function main(): Promise<number> {
  let options;
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2).filter((a) => a !== '--'),
      options: {
        via: { type: 'string' },
        bundle: { type: 'string' },
        rounds: { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        timeout: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const backend = values.backend ?? 'loop';
    if (backend !== 'loop' && backend !== 'dir') throw new Error(`--backend: loop or dir, not ${JSON.stringify(backend)}`);
    const via = values.via ?? 'cli';
    if (via !== 'cli' && via !== 'runtime') throw new Error(`--via: cli or runtime, not ${JSON.stringify(via)}`);
    if (values.bundle !== undefined && via !== 'runtime') throw new Error('--bundle goes with --via runtime');
    options = {
      rounds: wholeNumber('rounds', values.rounds, 200, 1),
      seed: wholeNumber('seed', values.seed, randomSeed(), 0),
      backend,
      via,
      ...(values.bundle === undefined ? {} : { runtimeFiles: { isolatorBundle: values.bundle } }),
      timeoutSeconds: wholeNumber('timeout', values.timeout, 2, 1),
      verbose: values.verbose ?? false,
      log: (line: string) => process.stdout.write(`${line}\n`),
    } as const;
  } catch (error) {
    process.stderr.write(`chaos: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (interrupted = true));
  const report = await runChaos({ ...options, interrupted: () => interrupted });
  const broken = FAILURE_KINDS.filter((k) => report.totals[k] > 0);
  if (broken.length > 0) {
    const bundle = options.runtimeFiles?.isolatorBundle;
    process.stdout.write(`chaos: FAILED (${broken.join(', ')}); replay with --seed ${report.seed}${report.via === 'runtime' ? ' --via runtime' : ''}${bundle ? ` --bundle ${bundle}` : ''}\n`);
    return 1;
  }
  return interrupted ? 130 : 0;
}

process.exitCode = await main();
