import { FileCheckpointStore } from '../checkpoint/file-store.js';
import { importDockerVolumeCheckpoints } from '../checkpoint/docker-volume-import.js';
import { importLegacyCheckpoint } from '../checkpoint/legacy-import.js';
import type { Settings } from '../config/settings.js';
import { Isolator } from '../core/isolator.js';
import type { Clock, Logger, Mounter } from '../core/ports.js';
import { NodeHostPaths } from '../host/host-paths.js';
import { DvdcliMounter } from '../mounters/dvdcli.js';
import { PluginMounter } from '../mounters/plugin.js';

export const systemClock: Clock = {
  now: () => performance.now(),
  schedule(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A prepare answers within the mount timeout plus this, whatever it waits for. */
const PREPARE_MARGIN_MS = 500;

export function createMounter(settings: Settings, logger: Logger): Mounter {
  if (settings.mounter === 'plugin') {
    return new PluginMounter({
      socketDirs: [...settings.socketDirs],
      specDirs: [...settings.specDirs],
      mountTimeoutMs: settings.mountTimeoutMs,
      unmountTimeoutMs: settings.unmountTimeoutMs,
      connectRetryMs: settings.connectRetryMs,
      logger,
    });
  }
  return new DvdcliMounter({
    binary: settings.dvdcli,
    mountTimeoutMs: settings.mountTimeoutMs,
    unmountTimeoutMs: settings.unmountTimeoutMs,
  });
}

export interface Engine {
  readonly isolator: Isolator;
  readonly mounter: Mounter;
}

export interface EngineOptions {
  /** Long-running hosts: carry out deferred unmounts in the background and retry pending ones this often. */
  readonly retryPendingMs?: number;
}

/** Wires the isolator to this host's real parts, as configured. */
export async function openEngine(settings: Settings, logger: Logger, options: EngineOptions = {}): Promise<Engine> {
  if (settings.legacyCheckpointFile) {
    await importLegacyCheckpoint(settings.legacyCheckpointFile, settings.checkpointFile, logger);
  }
  // After the original module's: that import happens only while dvdi has no checkpoint of its own.
  if (settings.dockerVolumeCheckpointDir) {
    await importDockerVolumeCheckpoints(settings.dockerVolumeCheckpointDir, settings.checkpointFile, logger);
  }
  const mounter = createMounter(settings, logger);
  const isolator = await Isolator.open({
    mounter,
    store: new FileCheckpointStore(settings.checkpointFile, logger),
    clock: systemClock,
    logger,
    paths: new NodeHostPaths(),
    configuredDvdcli: settings.dvdcli,
    limits: {
      prepareTimeoutMs: settings.mountTimeoutMs + PREPARE_MARGIN_MS,
      maxVolumes: settings.maxVolumes,
      retryPendingMs: options.retryPendingMs ?? 0,
    },
  });
  return { isolator, mounter };
}
