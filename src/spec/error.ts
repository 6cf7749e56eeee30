/**
 * A task's volume request that cannot be honoured. `variable` is the
 * environment variable (or, for callers outside the isolator, the field) at
 * fault; the message always starts with it.
 */
export class SpecError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'SpecError';
  }
}
