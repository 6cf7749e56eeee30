import { showValue } from './display.js';
import { SpecError } from './error.js';
import { checkText, describeOffender, findOffender } from './text.js';

/*
 * Volume and driver names reach dvdcli's argv, plugin socket paths and the
 * plugins themselves, so they are held to an allow-list. Starting with a letter
 * or digit keeps them from ever reading as a command-line flag.
 */

const WORD_START = /^[A-Za-z0-9]$/;
const WORD_CHAR = /^[A-Za-z0-9_.\-@+:]$/;

export const VOLUME_NAME_RULE = 'volume names start with a letter or digit and continue with letters, digits and _ . - @ + :';
export const DRIVER_NAME_RULE =
  'driver names are one or more parts joined by "/", each starting with a letter or digit and continuing with letters, digits and _ . - @ + :';

/** Checks one word that starts at code point `offset` of `value`, so positions refer to the whole value. */
function checkWord(value: string, word: string, offset: number, field: string, rule: string): void {
  const bad = findOffender(word, (ch, i) => (i === 0 ? WORD_START : WORD_CHAR).test(ch));
  if (bad) {
    const at = { ch: bad.ch, position: bad.position + offset };
    throw new SpecError(field, `${describeOffender(at)} in ${showValue(value)} is not allowed there: ${rule}`);
  }
}

export function validateVolumeName(value: string, field = 'volume name'): void {
  checkText(value, field);
  if (value === '') throw new SpecError(field, `the volume name is empty: ${VOLUME_NAME_RULE}`);
  checkWord(value, value, 0, field, VOLUME_NAME_RULE);
}

/** Driver names may have parts, as in `rexray/ebs:latest`; a part is never empty, `.` or `..`. */
export function validateDriverName(value: string, field = 'volume driver'): void {
  checkText(value, field);
  if (value === '') throw new SpecError(field, `the driver name is empty (leave the variable out for the default): ${DRIVER_NAME_RULE}`);
  const parts = value.split('/');
  let offset = 0;
  parts.forEach((part, index) => {
    if (part === '') {
      const where = index === 0 ? 'starts with "/"' : index === parts.length - 1 ? 'ends with "/"' : 'has an empty part ("//")';
      throw new SpecError(field, `the driver name ${showValue(value)} ${where}: ${DRIVER_NAME_RULE}`);
    }
    if (part === '.' || part === '..') {
      throw new SpecError(field, `the driver name ${showValue(value)} has a "${part}" part: ${DRIVER_NAME_RULE}`);
    }
    checkWord(value, part, offset, field, DRIVER_NAME_RULE);
    offset += Array.from(part).length + 1;
  });
}
