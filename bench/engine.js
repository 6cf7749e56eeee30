import { DEFAULT_SETTINGS } from '../dist/config/settings.js';
import { LineLogger } from '../dist/log/logger.js';
import { openEngine } from '../dist/runtime/engine.js';
import { DVDCLI } from './processes.js';

/** Drops the engine's per-decision INFO lines so they cost nothing; a warning or error in a bench still shows. */
const benchLogger = new LineLogger((level, line) => {
  if (level !== 'INFO') process.stderr.write(`${level} ${line}\n`);
});

/** The real engine (file checkpoint, host paths, chosen mounter) against the workspace's plugins. */
export async function openBenchEngine(workspace, mounter, checkpointName) {
  return openEngine(
    {
      ...DEFAULT_SETTINGS,
      checkpointFile: await workspace.checkpointFile(checkpointName),
      mounter,
      dvdcli: DVDCLI,
      socketDirs: [workspace.socketDir],
      specDirs: [workspace.specDir],
    },
    benchLogger,
  );
}

/** A task's variables for one volume seen at `data` in its sandbox (a relative path, as Marathon sends). */
export function volumeEnvironment(driver, volume) {
  return [
    ['DVDI_VOLUME_NAME', volume],
    ['DVDI_VOLUME_DRIVER', driver],
    ['DVDI_VOLUME_CONTAINERPATH', 'data'],
  ];
}

/** Fails the bench when a prepare did not do what is being measured. */
export function expectOneFreshMount(result, volume) {
  const [m, ...rest] = result.mounts;
  if (!m || rest.length > 0 || m.name !== volume || m.shared || !m.mountpoint.startsWith('/')) {
    throw new Error(`prepare of ${result.containerId} returned ${JSON.stringify(result.mounts)}, expected one fresh mount of ${volume}`);
  }
}

/** Fails the bench when volumes are left behind: every measured prepare must have been cleaned up. */
export function expectNothingMounted(isolator, what) {
  const left = isolator.status();
  if (left.length > 0) throw new Error(`${what}: volumes still recorded after cleanup: ${JSON.stringify(left)}`);
}
