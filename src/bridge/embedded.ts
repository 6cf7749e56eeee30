/**
 * The bundle's entry (dist/dvdi-runtime.cjs): the embedded runtime's
 * bootstrap calls `start(bridge)` with the `dvdi_bridge` binding, at first
 * start and again after every restart of the JavaScript environment.
 */
import { applyParameters, DEFAULT_SETTINGS } from '../config/settings.js';
import { messageOf } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { LineLogger, type LogLevel } from '../log/logger.js';
import { openEngine } from '../runtime/engine.js';
import { acquireStateLock, RUNTIME_ROLE } from '../state/lock.js';
import type { Binding, BridgeLogLevel, CallDeadlines, CallHandlers } from './binding.js';
import { callDeadlines } from './deadlines.js';
import { isolatorHandlers } from './handlers.js';

const LEVELS: Record<LogLevel, BridgeLogLevel> = { INFO: 0, WARN: 1, ERROR: 2 };

/** How often the agent's isolator retries pending unmounts; deferred ones (after recover, cleanup) start at once. */
const RETRY_PENDING_MS = 30_000;

/**
 * Takes the checkpoint's lock for the runtime's life, opens the isolator from
 * the module parameters and the checkpoint (every checkpointed container
 * counts as alive until the agent's recover), then tells the runtime it is
 * ready; or fails the start with the reason.
 */
export async function start(bridge: Binding): Promise<void> {
  let opened: { handlers: CallHandlers; deadlines: CallDeadlines };
  try {
    const settings = applyParameters(DEFAULT_SETTINGS, bridge.parameters());
    const logger: Logger = new LineLogger((level, line) => bridge.log(LEVELS[level], line));
    // Held until the JavaScript environment or the process ends (its socket
    // closes then). A `dvdi` command running at start-up is waited for as the CLI waits.
    await acquireStateLock(settings.checkpointFile, RUNTIME_ROLE, settings.mountTimeoutMs + settings.unmountTimeoutMs);
    const { isolator } = await openEngine(settings, logger, { retryPendingMs: RETRY_PENDING_MS });
    logger.info('isolator open', { checkpoint: settings.checkpointFile, mounter: settings.mounter });
    opened = { handlers: isolatorHandlers(isolator, bridge.restarts ?? 0), deadlines: callDeadlines(settings) };
  } catch (err) {
    bridge.fail(messageOf(err));
    return;
  }
  bridge.register(opened.handlers);
  bridge.ready(opened.deadlines);
}
