import { messageOf } from './errors.js';
import type { Logger } from './ports.js';

/**
 * Work that outlives the call that started it (deferred unmounts): tracked so
 * that `settle` can wait for all of it and a failure is logged, never lost
 * as an unhandled rejection.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly logger: Logger) {}

  run(what: string, work: () => Promise<unknown>): void {
    const task = work().catch((error) => this.logger.error(`${what} failed: ${messageOf(error)}`));
    this.running.add(task);
    void task.then(() => this.running.delete(task));
  }

  /** Resolves once nothing is running, including work started meanwhile. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
