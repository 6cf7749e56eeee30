/** A refused or failed isolator call; the message is meant for the operator and the agent's log. */
export class IsolatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IsolatorError';
  }
}

/**
 * A prepare that failed once it had started acquiring volumes. `reason` says
 * only what failed, without the message's tail on what is unmounted later,
 * so a front end that undoes the prepare itself (the CLI) can say what it
 * undid instead.
 */
export class PrepareError extends IsolatorError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'PrepareError';
  }
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
