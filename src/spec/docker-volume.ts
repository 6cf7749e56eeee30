import { describeVolume, volumeKey, type VolumeSpec } from '../core/volume.js';
import { validateContainerPath } from './container-path.js';
import { showValue } from './display.js';
import { SpecError } from './error.js';
import { validateDriverName, validateVolumeName } from './names.js';
import { validateOptionKey, validateOptionValue } from './options.js';

/*
 * Mesos' own task interface for external volumes (1.0+): a `Volume` of the
 * container's `ContainerInfo` whose `source.type` is DOCKER_VOLUME, as
 * Marathon 1.3+ sends its `external` volumes of provider `dvdi`. Its fields
 * meet the same rules as the DVDI_ variables; messages name the volume by its
 * place in `ContainerInfo.volumes` and, once they are known good, by its
 * driver and name.
 */

/** `Volume.Mode`. */
export const MODE_RW = 1;
export const MODE_RO = 2;

/** One DOCKER_VOLUME entry of `ContainerInfo.volumes`, as Mesos sent it: nothing is checked yet. */
export interface DockerVolumeInput {
  /** Its position in `ContainerInfo.volumes`, counted from 0. */
  readonly index: number;
  /** `source.docker_volume.driver`; absent is refused, as Mesos' docker/volume isolator does. */
  readonly driver?: string;
  readonly name?: string;
  /** `source.docker_volume.driver_options.parameter`, in order: the plugin's Create options. */
  readonly options: ReadonlyArray<readonly [string, string]>;
  readonly containerPath?: string;
  /** `Volume.Mode`: 1 RW, 2 RO; absent is proto2's default, RW. */
  readonly mode?: number;
}

export interface DockerVolumeSettings {
  /** Most volumes a task may ask for, both ways together. */
  readonly maxVolumes?: number;
  /** Volumes the task already asks for through its variables. */
  readonly alreadyRequested?: number;
}

const place = (index: number): string => `volumes[${index}]`;

/** How messages name a DOCKER_VOLUME volume once its driver and name are known good. */
export function dockerVolumeLabel(driver: string, name: string, index: number): string {
  return `DOCKER_VOLUME ${describeVolume({ driver, name })} (${place(index)})`;
}

function readOptions(input: DockerVolumeInput, field: string): Array<[string, string]> {
  const options: Array<[string, string]> = [];
  for (const [key, value] of input.options) {
    validateOptionKey(key, field);
    validateOptionValue(key, value, field);
    // Mesos' isolator keeps the last of a repeated key; a value silently dropped is refused here, as in DVDI_VOLUME_OPTS.
    if (options.some(([k]) => k === key)) throw new SpecError(field, `option key "${key}" is given twice`);
    options.push([key, value]);
  }
  return options;
}

function readMode(mode: number | undefined, field: string): boolean {
  if (mode === undefined || mode === MODE_RW) return false;
  if (mode === MODE_RO) return true;
  throw new SpecError(field, `unknown mode ${mode}: RW (${MODE_RW}) and RO (${MODE_RO}) are known`);
}

function readOne(input: DockerVolumeInput): VolumeSpec {
  const at = `DOCKER_VOLUME ${place(input.index)}`;
  // Checked in the order Mesos' isolator reads them: the name, then the driver it requires.
  const name = input.name ?? '';
  validateVolumeName(name, `${at} name`);
  if (input.driver === undefined) {
    throw new SpecError(`${at} driver`, `volume ${showValue(name)} names no driver (source.docker_volume.driver): a DOCKER_VOLUME volume must name its volume plugin`);
  }
  validateDriverName(input.driver, `${at} driver`);
  const label = dockerVolumeLabel(input.driver, name, input.index);
  const options = readOptions(input, `${label} driver_options`);
  const containerPath = input.containerPath ?? '';
  if (containerPath === '') {
    throw new SpecError(`${label} container_path`, 'is empty: a DOCKER_VOLUME volume is bound into the container at its container path');
  }
  validateContainerPath(containerPath, `${label} container_path`);
  const readOnly = readMode(input.mode, `${label} mode`);
  return {
    slot: input.index,
    label,
    driver: input.driver,
    name,
    options,
    // As Mesos' isolator (dvdcli without --explicitcreate): a missing volume is created.
    explicitCreate: false,
    containerPath,
    readOnly,
  };
}

/**
 * Validates a container's DOCKER_VOLUME volumes, in order. Throws SpecError
 * for anything it cannot honour exactly, before anything is mounted; one
 * volume (driver, name) twice fails the container, as Mesos' docker/volume
 * isolator does.
 */
export function parseDockerVolumes(inputs: readonly DockerVolumeInput[], settings: DockerVolumeSettings = {}): VolumeSpec[] {
  const specs: VolumeSpec[] = [];
  const first = new Map<string, VolumeSpec>();
  for (const input of inputs) {
    const requested = (settings.alreadyRequested ?? 0) + specs.length;
    if (settings.maxVolumes !== undefined && requested >= settings.maxVolumes) {
      throw new SpecError(
        `DOCKER_VOLUME ${place(input.index)}`,
        `the task asks for more than ${settings.maxVolumes} volumes, the most one task may use (module parameter max_volumes)`,
      );
    }
    const spec = readOne(input);
    const earlier = first.get(volumeKey(spec));
    if (earlier) {
      throw new SpecError(
        spec.label!,
        `is also ${place(earlier.slot)}: a DOCKER_VOLUME volume may appear once in a container (as with Mesos' docker/volume isolator)`,
      );
    }
    first.set(volumeKey(spec), spec);
    specs.push(spec);
  }
  return specs;
}

const sameOptions = (a: ReadonlyArray<readonly [string, string]>, b: ReadonlyArray<readonly [string, string]>): boolean =>
  a.length === b.length && a.every(([k, v]) => b.some(([k2, v2]) => k2 === k && v2 === v));

/**
 * A volume asked for both ways in one container is one volume, mounted once
 * and bound at each container path, as a volume asked for twice through the
 * variables is: so both must ask for it the same way (the same options, and
 * no explicit create, which DOCKER_VOLUME has no way to ask for).
 */
export function checkBothWays(variableSpecs: readonly VolumeSpec[], dockerSpecs: readonly VolumeSpec[]): void {
  for (const docker of dockerSpecs) {
    const variables = variableSpecs.find((v) => volumeKey(v) === volumeKey(docker));
    if (!variables) continue;
    const both = `volume ${showValue(describeVolume(docker))} is also requested by the variables of volume ${variables.slot}`;
    if (!sameOptions(docker.options, variables.options)) {
      throw new SpecError(`${docker.label} driver_options`, `${both} with other options; a volume asked for both ways must have the same options`);
    }
    if (variables.explicitCreate) {
      throw new SpecError(
        `${docker.label}`,
        `${both} with explicit create, which a DOCKER_VOLUME volume cannot ask for; a volume asked for both ways must be asked the same way`,
      );
    }
  }
}
