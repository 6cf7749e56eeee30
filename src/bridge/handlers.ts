import type { Isolator } from '../core/isolator.js';
import { volumeGauges } from '../core/metrics.js';
import { statusJson } from '../core/status-json.js';
import { decodeContainerRequest, decodeExecutorEnvironment } from '../mesos/decode.js';
import type { DockerVolumeInput } from '../spec/docker-volume.js';
import type { CallHandlers } from './binding.js';
import type { PrepareRequest } from './messages.js';
import {
  cleanupRequest,
  cleanupResponse,
  prepareRequest,
  prepareResponse,
  recoverRequest,
  recoverResponse,
  statusRequest,
  statusResponse,
} from './codec.js';

/** The answer to most cleanups, encoded once (the bridge copies what a handler returns). */
const NOTHING_RELEASED = cleanupResponse.encode({ released: [] });

/**
 * The bridge's calls on the isolator: each decodes its request, runs the
 * isolator and encodes the result. A failure rejects, and the runtime fails
 * the call with the message. `restarts`: the runtime's restarts before this
 * environment, which the status call reports beside the counters that
 * start again from 0 with it.
 */
export function isolatorHandlers(isolator: Isolator, restarts = 0): CallHandlers {
  return {
    async recover(bytes) {
      const request = recoverRequest.decode(bytes);
      const report = await isolator.recover(
        request.alive.map((c) => c.container_id),
        request.orphans,
      );
      return recoverResponse.encode({ kept: report.kept, releasing: report.releasing, pending: report.pending });
    },

    async prepare(bytes) {
      const request = prepareRequest.decode(bytes);
      // Decoded first, so undecodable Mesos bytes fail the call before anything is mounted.
      const { environment, dockerVolumes } = taskOf(request);
      const result = await isolator.prepare({
        containerId: request.container_id,
        environment,
        dockerVolumes,
        directory: request.directory,
        ...(request.user ? { user: request.user } : {}),
      });
      return prepareResponse.encode({
        commands: result.commands,
        mount_namespace: result.mountNamespace,
        mounts: result.mounts.map((m) => ({
          driver: m.driver,
          name: m.name,
          mountpoint: m.mountpoint,
          container_path: m.containerPath,
          shared: m.shared,
          ...(m.readOnly && { read_only: true }),
        })),
      });
    },

    cleanup(bytes) {
      const request = cleanupRequest.decode(bytes);
      // Answered without a promise: the bridge's cheapest path, and the agent's most frequent cleanup.
      if (isolator.cleanupIfIdle(request.container_id)) return NOTHING_RELEASED;
      return isolator.cleanup(request.container_id).then((released) =>
        cleanupResponse.encode({
          released: released.map((r) => ({ driver: r.volume.driver, name: r.volume.name, unmounted: r.unmounted })),
        }),
      );
    },

    // From memory only, so it answers while a plugin hangs.
    async status(bytes) {
      const request = statusRequest.decode(bytes);
      const counts = isolator.metrics.counters();
      const volumes = isolator.status();
      const gauges = volumeGauges(volumes);
      const { samples, last } = isolator.metrics.samplesAfter(request.samples_after ?? Number.MAX_SAFE_INTEGER);
      const micros = (operation: string) => samples.filter((s) => s.operation === operation).map((s) => Math.round(s.ms * 1000));
      return statusResponse.encode({
        runtime_restarts: restarts,
        prepares: counts.prepares,
        prepare_failures: counts.prepareFailures,
        cleanups: counts.cleanups,
        mounts: counts.mounts,
        mount_failures: counts.mountFailures,
        unmounts: counts.unmounts,
        unmount_failures: counts.unmountFailures,
        volumes_mounted: gauges.volumesMounted,
        containers_holding: gauges.containersHolding,
        unmounts_pending: gauges.unmountsPending,
        mount_us: micros('mount'),
        unmount_us: micros('unmount'),
        last_sample: last,
        ...(request.volumes && { volumes_json: statusJson(volumes) }),
      });
    },
  };
}

/** The task's variables, and its DOCKER_VOLUME volumes (releases before 0.27 send no ContainerConfig, and have none). */
function taskOf(request: PrepareRequest): { environment: Array<[string, string]>; dockerVolumes: DockerVolumeInput[] } {
  if (request.container_config) return decodeContainerRequest(request.container_config);
  if (request.executor_info) return { environment: decodeExecutorEnvironment(request.executor_info), dockerVolumes: [] };
  throw new Error('the prepare request carries neither a ContainerConfig nor an ExecutorInfo');
}
