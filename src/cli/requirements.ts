import * as path from 'node:path';
import { readElfVersions, type VersionNeed } from '../host/elf-versions.js';
import { findLibrary, hostSearchContext, splitPath } from '../host/library-search.js';
import { minimumOf, parseVersionName, providerOf, type Minimum, type Provider } from '../host/symbol-versions.js';
import { all, one, parseArgs, UsageError } from './args.js';
import type { Io } from './common.js';

const FLAGS = {
  markdown: { value: false },
  'library-path': { value: true },
  dependency: { value: true, repeat: true },
} as const;

export const REQUIREMENTS_USAGE = 'usage: dvdi requirements [--markdown] [--library-path DIR[:DIR]] [--dependency NAME]... FILE...';

const COLUMNS: readonly Provider[] = ['glibc', 'libstdc++', 'libgcc_s', 'other'];

interface Row {
  readonly label: string;
  readonly needs: readonly VersionNeed[];
}

/** A row's cells: per provider, the newest version of each family (other families with the files that provide them). */
function cells(minimum: readonly Minimum[]): string[] {
  return COLUMNS.map((column) =>
    minimum
      .filter((m) => providerOf(parseVersionName(m.version).family) === column)
      .map((m) => (column === 'other' ? `${m.version} (${m.files.join(', ')})` : m.version))
      .join(', '),
  );
}

function table(rows: readonly Row[], markdown: boolean): string {
  const header = ['file', ...COLUMNS];
  const body = rows.map((r) => [r.label, ...cells(minimumOf(r.needs))]);
  body.push([markdown ? '**host minimum**' : 'host minimum', ...cells(minimumOf(rows.flatMap((r) => r.needs)))]);
  if (markdown) {
    const line = (c: readonly string[]): string => `| ${c.map((x) => x || ' ').join(' | ')} |\n`;
    return line(header) + line(header.map(() => '---')) + body.map(line).join('');
  }
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => r[i]!.length)));
  return [header, ...body].map((r) => `${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`).join('');
}

/**
 * `dvdi requirements FILE...`: the newest symbol version of glibc,
 * libstdc++, libgcc_s (and any other versioned library) each ELF file needs,
 * which is the oldest a host may have, and the minimum over all of them.
 * `--dependency NAME` adds a library those files load (libnode.so.108),
 * found as the dynamic loader would find it (their RUNPATH, then
 * `--library-path`, then the system's directories). `make dist` prints it and
 * writes `--markdown` into INSTALL.md.
 */
export function runRequirements(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, FLAGS);
  if (args.positionals.length === 0) throw new UsageError(REQUIREMENTS_USAGE);
  const files = args.positionals.map((file) => ({ file, elf: readElfVersions(file) }));
  const rows: Row[] = files.map(({ file, elf }) => ({ label: path.basename(file), needs: elf.needs }));
  const notes: string[] = [];
  const context = hostSearchContext(splitPath(one(args, 'library-path')));
  for (const name of all(args, 'dependency')) {
    const requester = files.find((f) => f.elf.needed.includes(name));
    if (requester === undefined) {
      io.stderr(`dvdi requirements: none of the files needs ${name}; its requirements are not stated\n`);
      continue;
    }
    const found = findLibrary(name, requester, context);
    if (found.kind === 'found') {
      rows.push({ label: name, needs: found.elf.needs });
      notes.push(`${name}: ${found.file}, as ${path.basename(requester.file)} finds it on this host`);
    } else {
      const why = found.kind === 'missing' ? `not found (searched ${found.searched.join(':')})` : found.error;
      io.stderr(`dvdi requirements: ${name}, needed by ${path.basename(requester.file)}: ${why}; its requirements are not stated\n`);
    }
  }
  const markdown = one(args, 'markdown') !== undefined;
  io.stdout(table(rows, markdown));
  if (!markdown) for (const n of notes) io.stdout(`${n}\n`);
  return 0;
}
