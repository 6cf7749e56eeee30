interface Waiter {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function waiter(): Waiter {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Coalesces checkpoint writes: while one write is in flight, every change
 * that arrives waits for the next write, which takes the newest state once.
 * A change is acknowledged only when a write that started after it is
 * durable, so nothing is reported saved before it is on disk.
 */
export class GroupCommit {
  private inFlight = false;
  private next: Waiter | undefined;

  /** `write` snapshots the current state when called and resolves once it is durable. */
  constructor(private readonly write: () => Promise<void>) {}

  /** Resolves when the state as it is now has been written durably. */
  request(): Promise<void> {
    if (!this.inFlight) return this.start();
    this.next ??= waiter();
    return this.next.promise;
  }

  private start(): Promise<void> {
    this.inFlight = true;
    let written: Promise<void>;
    try {
      written = this.write();
    } catch (error) {
      written = Promise.reject(error);
    }
    const done = () => {
      this.inFlight = false;
      const batch = this.next;
      this.next = undefined;
      if (batch) this.start().then(batch.resolve, batch.reject);
    };
    written.then(done, done);
    return written;
  }
}
