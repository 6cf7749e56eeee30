import { parseArgs } from 'node:util';

/** Each option: command-line flag, environment variable, default. Flags win over the environment. */
const OPTIONS = {
  iterations: { env: 'BENCH_ITERATIONS', default: 200, min: 1, help: 'measured prepare+cleanup runs per mounter, and against the no-op plugin' },
  warmup: { env: 'BENCH_WARMUP', default: 20, min: 0, help: 'unmeasured runs before them' },
  containers: { env: 'BENCH_CONTAINERS', default: 20, min: 1, help: 'containers preparing at once' },
  'mount-delay-ms': { env: 'BENCH_MOUNT_DELAY_MS', default: 200, min: 0, help: 'how long the slow plugin takes to Mount' },
  rounds: { env: 'BENCH_ROUNDS', default: 5, min: 1, help: 'measured rounds of the concurrent prepare, and Mounts alone for its floor' },
  'bridge-calls': { env: 'BENCH_BRIDGE_CALLS', default: 20000, min: 10, help: 'bridge round trips, and hand-offs for their floor' },
};

export const USAGE = `usage: npm run bench -- [options]   (or: node bench/run.js [options] after npm run build)
${Object.entries(OPTIONS)
  .map(([name, o]) => `  --${name}=N`.padEnd(24) + `${o.help} (env ${o.env}, default ${o.default})`)
  .join('\n')}
`;

export class OptionError extends Error {}

export function readOptions(argv, env) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean' },
        ...Object.fromEntries(Object.keys(OPTIONS).map((name) => [name, { type: 'string' }])),
      },
    });
  } catch (error) {
    throw new OptionError(error.message);
  }
  if (parsed.values.help) return undefined;
  const result = {};
  for (const [name, o] of Object.entries(OPTIONS)) {
    const [source, text] =
      parsed.values[name] !== undefined ? [`--${name}`, parsed.values[name]] : env[o.env] ? [o.env, env[o.env]] : [undefined, undefined];
    if (text === undefined) {
      result[name] = o.default;
      continue;
    }
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < o.min) throw new OptionError(`${source}: expected a whole number ≥ ${o.min}, got ${JSON.stringify(text)}`);
    result[name] = n;
  }
  return result;
}
