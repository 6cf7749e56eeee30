import { own } from '../util/own.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Takes a value (`--x v` or `--x=v`); otherwise a boolean switch. */
  readonly value: boolean;
  readonly repeat?: boolean;
}

export interface ParsedArgs {
  readonly flags: Map<string, string[]>;
  readonly positionals: string[];
}

/** Strict long-flag parser: unknown flags and missing values are errors. */
export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const f = own(spec, name);
    if (!f) throw new UsageError(`unknown option --${name}`);
    let value: string;
    if (!f.value) {
      if (eq !== -1) throw new UsageError(`option --${name} takes no value`);
      value = 'true';
    } else if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`option --${name} needs a value`);
      value = argv[++i]!;
    }
    const list = flags.get(name) ?? [];
    if (list.length > 0 && !f.repeat) throw new UsageError(`option --${name} given twice`);
    list.push(value);
    flags.set(name, list);
  }
  return { flags, positionals };
}

export function one(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function all(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? [];
}

export function required(args: ParsedArgs, name: string): string {
  const v = one(args, name);
  if (v === undefined || v === '') throw new UsageError(`option --${name} is required`);
  return v;
}
