import { showChar, showValue } from './display.js';
import { SpecError } from './error.js';

/** Longest value of any DVDI_ variable, in UTF-8 bytes. */
export const MAX_VALUE_BYTES = 255;

export interface Offender {
  readonly ch: string;
  /** 1-based, counted in characters (code points). */
  readonly position: number;
}

/** The first character that `allowed` refuses; `index` is 0-based in code points. */
export function findOffender(value: string, allowed: (ch: string, index: number) => boolean): Offender | undefined {
  let index = 0;
  for (const ch of value) {
    if (!allowed(ch, index)) return { ch, position: index + 1 };
    index += 1;
  }
  return undefined;
}

export function describeOffender(o: Offender): string {
  return `character ${showChar(o.ch)} at position ${o.position}`;
}

const CONTROL = /^\p{Cc}$/u;
const SURROGATE = /^\p{Cs}$/u;

/** Rules that hold for every DVDI_ variable: a length limit and no control characters. */
export function checkText(value: string, field: string): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) {
    throw new SpecError(field, `value is ${bytes} bytes long, over the limit of ${MAX_VALUE_BYTES} bytes: ${showValue(value)}`);
  }
  const bad = findOffender(value, (ch) => !CONTROL.test(ch) && !SURROGATE.test(ch));
  if (bad) {
    const what = CONTROL.test(bad.ch) ? 'a control character, which no DVDI_ variable may contain' : 'an unpaired surrogate, which is not valid Unicode';
    throw new SpecError(field, `${describeOffender(bad)} in ${showValue(value)} is ${what}`);
  }
}
