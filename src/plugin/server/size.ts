const UNITS: Record<string, number> = {
  '': 1024 ** 3, // A plain number is GiB, as REX-Ray reads its size option.
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

const SIZE_PATTERN = /^(\d+)(K|M|G|T|Ki|Mi|Gi|Ti)?$/;
const ALIGN = 4096;

/**
 * Parses the `size` option into bytes, rounded up to a 4 KiB multiple so the
 * image holds whole filesystem blocks. Throws with the accepted forms.
 */
export function parseSize(text: string): number {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) {
    throw new Error(
      `invalid size ${JSON.stringify(text)}: expected a whole number with an optional unit K, M, G, T (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024); a plain number is GiB`,
    );
  }
  const bytes = Number(match[1]) * UNITS[match[2] ?? '']!;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error(`invalid size ${JSON.stringify(text)}: out of range`);
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

/** Bytes as the largest binary unit that divides them exactly, e.g. `64Mi`. */
export function formatSize(bytes: number): string {
  for (const unit of ['Ti', 'Gi', 'Mi', 'Ki'] as const) {
    if (bytes % UNITS[unit]! === 0) return `${bytes / UNITS[unit]!}${unit}`;
  }
  return `${bytes} bytes`;
}
