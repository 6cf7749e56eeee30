import { describeVolume, volumeKey, type VolumeSpec } from '../core/volume.js';
import { validateContainerPath } from './container-path.js';
import { showValue } from './display.js';
import { SpecError } from './error.js';
import { validateDriverName, validateVolumeName } from './names.js';
import { parseExplicitCreate, parseOptions } from './options.js';
import { checkText } from './text.js';
import { recogniseVariable, variableName, type FieldKey } from './variables.js';

export { SpecError } from './error.js';
export { validateDriverName, validateVolumeName } from './names.js';
export { parseExplicitCreate, parseOptions, validateOptionKey, validateOptionValue } from './options.js';
export { validateContainerPath } from './container-path.js';

export const DEFAULT_DRIVER = 'rexray';

export interface ParseSettings {
  /** Absolute path of the dvdcli binary the operator configured; empty when none is. */
  configuredDvdcli: string;
  /** Most volumes a task may ask for (module parameter max_volumes). */
  maxVolumes?: number;
}

export interface ParsedSpecs {
  specs: VolumeSpec[];
  warnings: string[];
}

interface Slot {
  /** The variable and raw value that set each field, to spot conflicts and name culprits. */
  readonly seen: Map<FieldKey, { variable: string; value: string }>;
  name?: string;
  driver?: string;
  options?: Array<[string, string]>;
  containerPath?: string;
  explicitCreate?: boolean;
}

/** A task may repeat the operator's choice of binary, never pick another. */
function checkDvdcli(value: string, variable: string, settings: ParseSettings): void {
  if (settings.configuredDvdcli !== '' && value === settings.configuredDvdcli) return;
  const configured =
    settings.configuredDvdcli === ''
      ? 'this agent has no dvdcli binary configured'
      : `the configured one is ${showValue(settings.configuredDvdcli)}`;
  throw new SpecError(
    variable,
    `a task cannot choose the mounter binary (${showValue(value)}): the operator sets it with the module parameter "dvdcli" and ${configured}; remove the variable`,
  );
}

function readField(slot: Slot, key: FieldKey, value: string, variable: string, settings: ParseSettings): void {
  switch (key) {
    case 'NAME':
      validateVolumeName(value, variable);
      slot.name = value;
      break;
    case 'DRIVER':
      validateDriverName(value, variable);
      slot.driver = value;
      break;
    case 'OPTS':
      slot.options = parseOptions(value, variable);
      break;
    case 'CONTAINERPATH':
      validateContainerPath(value, variable);
      slot.containerPath = value;
      break;
    case 'EXPLICITCREATE':
      slot.explicitCreate = parseExplicitCreate(value, variable);
      break;
    case 'DVDCLI':
      checkDvdcli(value, variable, settings);
      break;
  }
}

const sameOptions = (a: ReadonlyArray<readonly [string, string]>, b: ReadonlyArray<readonly [string, string]>): boolean => {
  if (a.length !== b.length) return false;
  return a.every(([k, v]) => b.some(([k2, v2]) => k2 === k && v2 === v));
};

/**
 * One volume asked for twice must be asked for the same way; the caller merges
 * the two (each may bind to its own container path).
 */
function checkRepeats(specs: readonly VolumeSpec[], slots: ReadonlyMap<number, Slot>): void {
  const first = new Map<string, VolumeSpec>();
  for (const spec of specs) {
    const earlier = first.get(volumeKey(spec));
    if (!earlier) {
      first.set(volumeKey(spec), spec);
      continue;
    }
    const culprit = (key: FieldKey): string => slots.get(spec.slot)?.seen.get(key)?.variable ?? variableName(key, spec.slot);
    const volume = `volume ${showValue(describeVolume(spec))} is also requested by volume ${earlier.slot}`;
    if (!sameOptions(spec.options, earlier.options)) {
      throw new SpecError(culprit('OPTS'), `${volume} with different options; a volume asked for twice must have the same options`);
    }
    if (spec.explicitCreate !== earlier.explicitCreate) {
      throw new SpecError(culprit('EXPLICITCREATE'), `${volume} with a different explicit create; a volume asked for twice must have the same setting`);
    }
  }
}

/**
 * Turns a task's environment into validated volume specs, sorted by slot.
 * Throws SpecError for anything it cannot honour exactly; a slot with settings
 * but no name is skipped with a warning.
 */
export function parseVolumeSpecs(env: ReadonlyArray<readonly [string, string]>, settings: ParseSettings): ParsedSpecs {
  const slots = new Map<number, Slot>();
  for (const [variable, value] of env) {
    const ref = recogniseVariable(variable);
    if (!ref) continue;
    checkText(value, variable);
    let slot = slots.get(ref.slot);
    if (!slot) {
      // Refused before more is read: a flood of volumes would hold the state for minutes.
      if (settings.maxVolumes !== undefined && slots.size >= settings.maxVolumes) {
        throw new SpecError(
          variable,
          `the task asks for more than ${settings.maxVolumes} volumes, the most one task may use (module parameter max_volumes)`,
        );
      }
      slot = { seen: new Map() };
      slots.set(ref.slot, slot);
    }
    const prior = slot.seen.get(ref.key);
    if (prior) {
      if (prior.value === value) continue;
      // Validate first so a hostile value is reported as such, not as a conflict.
      readField({ seen: new Map() }, ref.key, value, variable, settings);
      const clash = prior.variable === variable ? 'is given twice' : `conflicts with ${prior.variable} (both set volume ${ref.slot})`;
      throw new SpecError(variable, `${clash} with different values: ${showValue(prior.value)} and ${showValue(value)}`);
    }
    readField(slot, ref.key, value, variable, settings);
    slot.seen.set(ref.key, { variable, value });
  }

  const specs: VolumeSpec[] = [];
  const warnings: string[] = [];
  for (const number of [...slots.keys()].sort((a, b) => a - b)) {
    const slot = slots.get(number) as Slot;
    if (slot.name === undefined) {
      const ignored = [...slot.seen.values()].map((s) => s.variable).join(', ');
      warnings.push(`ignoring ${ignored}: volume ${number} has no name (${variableName('NAME', number)})`);
      continue;
    }
    specs.push({
      slot: number,
      driver: slot.driver ?? DEFAULT_DRIVER,
      name: slot.name,
      options: slot.options ?? [],
      explicitCreate: slot.explicitCreate ?? false,
      containerPath: slot.containerPath ?? '',
    });
  }
  checkRepeats(specs, slots);
  return { specs, warnings };
}
