/**
 * Why a plugin call failed:
 * - `plugin`: the plugin answered with an error (`Err`, or an HTTP status other than 200);
 * - `protocol`: the plugin answered something that is not a valid response;
 * - `connect`: the plugin could not be reached within the retry budget (it never saw the call);
 * - `dropped`: the connection broke after the call was sent (the plugin may have acted on it);
 * - `timeout`: no complete answer within the call's time limit;
 * - `aborted`: the caller gave up (for example a mount sequence's overall limit).
 */
export type PluginErrorKind = 'plugin' | 'protocol' | 'connect' | 'dropped' | 'timeout' | 'aborted';

export class PluginError extends Error {
  constructor(
    readonly plugin: string,
    readonly method: string,
    readonly kind: PluginErrorKind,
    /** The plugin's own error text, or the underlying failure. */
    readonly detail: string,
    readonly status?: number,
  ) {
    super(`plugin "${plugin}" ${method}: ${detail}`);
    this.name = 'PluginError';
  }
}
