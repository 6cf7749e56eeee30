import { SpecError } from './error.js';

/** The per-volume variables, by the suffix after `DVDI_VOLUME_`. */
export type FieldKey = 'NAME' | 'DRIVER' | 'OPTS' | 'CONTAINERPATH' | 'EXPLICITCREATE' | 'DVDCLI';

export interface VariableRef {
  readonly key: FieldKey;
  readonly slot: number;
}

const PATTERN = /^DVDI_VOLUME_(NAME|DRIVER|OPTS|CONTAINERPATH|EXPLICITCREATE|DVDCLI)([0-9]*)$/;

/**
 * Which slot and field a variable sets, or undefined for variables that are
 * not ours (`DVDI_VOLUME_NAMESPACE` merely shares the prefix). Unsuffixed and
 * `0` are slot 0; numbers must be written canonically so one slot has at most
 * two spellings.
 */
export function recogniseVariable(variable: string): VariableRef | undefined {
  const match = PATTERN.exec(variable);
  if (!match) return undefined;
  const key = match[1] as FieldKey;
  const digits = match[2] ?? '';
  if (digits === '') return { key, slot: 0 };
  // Cut a runaway suffix so the message stays short.
  if (digits.length > 15) throw new SpecError(`DVDI_VOLUME_${key}${digits.slice(0, 15)}…`, `the volume number (${digits.length} digits) is too large`);
  const slot = Number(digits);
  if (digits.length > 1 && digits.startsWith('0')) {
    throw new SpecError(variable, `the volume number "${digits}" has a leading zero; write DVDI_VOLUME_${key}${slot}`);
  }
  return { key, slot };
}

/** The usual spelling of a slot's variable: unsuffixed for slot 0. */
export function variableName(key: FieldKey, slot: number): string {
  return `DVDI_VOLUME_${key}${slot === 0 ? '' : slot}`;
}
