import { PRINTABLE, showValue } from './display.js';
import { SpecError } from './error.js';
import { checkText, describeOffender, findOffender } from './text.js';

/*
 * Options travel as `--volumeopts=k=v` argv items to dvdcli, as a JSON map to
 * plugins and as `k=v,k2=v2` in the checkpoint. No shell ever sees them, so
 * values may hold any printable character except the two that break those
 * encodings: dvdcli splits values on "," and mis-parses a second "=".
 */

const KEY_START = /^[A-Za-z0-9]$/;
const KEY_CHAR = /^[A-Za-z0-9_.\-]$/;

export const OPTION_KEY_RULE = 'option keys start with a letter or digit and continue with letters, digits and _ . -';
export const OPTION_VALUE_RULE = 'option values may hold printable characters except "," (dvdcli splits on it) and "=" (dvdcli mis-parses it)';
export const OPTIONS_RULE = 'options are written k=v,k2=v2';

export function validateOptionKey(key: string, field = 'option key'): void {
  checkText(key, field);
  if (key === '') throw new SpecError(field, `an option key is empty: ${OPTION_KEY_RULE}`);
  const bad = findOffender(key, (ch, i) => (i === 0 ? KEY_START : KEY_CHAR).test(ch));
  if (bad) throw new SpecError(field, `${describeOffender(bad)} in option key ${showValue(key)} is not allowed there: ${OPTION_KEY_RULE}`);
}

/** Empty values are allowed (`k=`). */
export function validateOptionValue(key: string, value: string, field = 'option value'): void {
  checkText(value, field);
  const bad = findOffender(value, (ch) => ch !== ',' && ch !== '=' && PRINTABLE.test(ch));
  if (bad) {
    throw new SpecError(field, `${describeOffender(bad)} in the value ${showValue(value)} of option "${key}" is not allowed: ${OPTION_VALUE_RULE}`);
  }
}

/** Parses `k=v,k2=v2` keeping the order; the empty string is no options. */
export function parseOptions(text: string, field = 'options'): Array<[string, string]> {
  checkText(text, field);
  if (text === '') return [];
  const options: Array<[string, string]> = [];
  text.split(',').forEach((item, index) => {
    const which = `item ${index + 1} of ${showValue(text)}`;
    if (item === '') throw new SpecError(field, `${which} is empty (a leading, trailing or doubled ","): ${OPTIONS_RULE}`);
    const eq = item.indexOf('=');
    if (eq < 0) throw new SpecError(field, `${which} has no "=": ${OPTIONS_RULE}`);
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    validateOptionKey(key, field);
    validateOptionValue(key, value, field);
    if (options.some(([k]) => k === key)) throw new SpecError(field, `option key "${key}" is given twice in ${showValue(text)}`);
    options.push([key, value]);
  });
  return options;
}

/** Exactly `true` or `false`: dvdcli and the original module know no other spelling. */
export function parseExplicitCreate(text: string, field = 'explicit create'): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new SpecError(field, `must be exactly "true" or "false" (lower case), not ${showValue(text)}`);
}
