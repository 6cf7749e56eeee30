/**
 * The `dvdi_bridge` binding as the embedded JavaScript sees it
 * (docs/native.md §2): the runtime's linked Node-API module, or the addon
 * built by binding.gyp.
 */

/**
 * Takes a serialized request, answers the serialized response, at once or
 * through a promise; a throw or rejection fails the call with its message.
 */
export type CallHandler = (request: Uint8Array) => Uint8Array | Promise<Uint8Array>;

export interface CallHandlers {
  readonly recover: CallHandler;
  readonly prepare: CallHandler;
  readonly cleanup: CallHandler;
  /** Metrics and volumes for the agent (DVDI_CALL_STATUS); a host that never asks may leave it out. */
  readonly status?: CallHandler;
}

/** Default deadlines in milliseconds, per call kind. */
export interface CallDeadlines {
  readonly recover: number;
  readonly prepare: number;
  readonly cleanup: number;
  readonly status?: number;
}

/** INFO, WARNING, ERROR: dvdi_log_level in native/include/dvdi_runtime.h. */
export type BridgeLogLevel = 0 | 1 | 2;

export interface Binding {
  /** How many JavaScript environments the runtime restarted before this one (0 in the addon). */
  readonly restarts?: number;
  /** The module parameters given to dvdi_runtime_start, in order. */
  parameters(): Array<[string, string]>;
  log(level: BridgeLogLevel, line: string): void;
  register(handlers: CallHandlers): void;
  /** The isolator is open: the runtime starts taking calls. */
  ready(deadlines: CallDeadlines): void;
  /** The isolator cannot open: dvdi_runtime_start returns NULL with this message. */
  fail(message: string): void;
}
