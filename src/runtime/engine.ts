import { FileCheckpointStore } from '../checkpoint/file-store.js';
import { importLegacyCheckpoint } from '../checkpoint/legacy-import.js';
import type { Settings } from '../config/settings.js';
import { Isolator } from '../core/isolator.js';
import type { Clock, Logger, Mounter } from '../core/ports.js';
import { NodeHostPaths } from '../host/host-paths.js';
import { DvdcliMounter } from '../mounters/dvdcli.js';
import { PluginMounter } from '../mounters/plugin.js';

export const systemClock: Clock = { now: () => performance.now() };

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

/** Wires the isolator to this host's real parts, as configured. */
export async function openEngine(settings: Settings, logger: Logger): Promise<Engine> {
  if (settings.legacyCheckpointFile) {
    await importLegacyCheckpoint(settings.legacyCheckpointFile, settings.checkpointFile, logger);
  }
  const mounter = createMounter(settings, logger);
  const isolator = await Isolator.open({
    mounter,
    store: new FileCheckpointStore(settings.checkpointFile, logger),
    clock: systemClock,
    logger,
    paths: new NodeHostPaths(),
    configuredDvdcli: settings.dvdcli,
  });
  return { isolator, mounter };
}
