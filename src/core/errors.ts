/** A refused or failed isolator call; the message is meant for the operator and the agent's log. */
export class IsolatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IsolatorError';
  }
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
