import { checkBothWays, parseDockerVolumes, type DockerVolumeInput } from './docker-volume.js';
import { parseVolumeSpecs, type ParsedSpecs, type ParseSettings } from './parse.js';

/** Everything a container asks for: its variables and its DOCKER_VOLUME volumes. */
export interface TaskVolumes {
  readonly environment: ReadonlyArray<readonly [string, string]>;
  readonly dockerVolumes?: readonly DockerVolumeInput[];
}

/**
 * The volume specs of both task interfaces, the variables' first, validated
 * alike; `max_volumes` counts both. A volume asked for both ways must be
 * asked the same way (see `checkBothWays`); the caller merges the two.
 */
export function parseTaskVolumes(task: TaskVolumes, settings: ParseSettings): ParsedSpecs {
  const parsed = parseVolumeSpecs(task.environment, settings);
  const docker = parseDockerVolumes(task.dockerVolumes ?? [], {
    ...(settings.maxVolumes !== undefined && { maxVolumes: settings.maxVolumes }),
    alreadyRequested: parsed.specs.length,
  });
  checkBothWays(parsed.specs, docker);
  return { specs: [...parsed.specs, ...docker], warnings: parsed.warnings };
}
