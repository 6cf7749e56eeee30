import type { Settings } from '../config/settings.js';
import type { CallDeadlines } from './binding.js';

/** Time the isolator gets around a mount or unmount (checkpoint writes, plugin lookup) before the host gives up on a call. */
const MARGIN_MS = 5_000;
const RECOVER_MS = 60_000;
/** Answered from memory: the shim asks with its own, shorter deadline. */
const STATUS_MS = 1_000;

/**
 * Default deadlines per call kind: long enough for the isolator's own
 * timeouts to fire first, so a call fails with the isolator's message, not
 * the host's. `call_timeout` overrides all three.
 */
export function callDeadlines(settings: Settings): CallDeadlines {
  if (settings.callTimeoutMs > 0) {
    return { recover: settings.callTimeoutMs, prepare: settings.callTimeoutMs, cleanup: settings.callTimeoutMs, status: STATUS_MS };
  }
  return {
    recover: RECOVER_MS,
    prepare: settings.mountTimeoutMs + MARGIN_MS,
    cleanup: settings.unmountTimeoutMs + MARGIN_MS,
    status: STATUS_MS,
  };
}
