import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';
import { Isolator } from '../../src/core/isolator.js';
import type { Logger, Mounter } from '../../src/core/ports.js';
import { NodeHostPaths } from '../../src/host/host-paths.js';
import { systemClock } from '../../src/runtime/engine.js';
import { LineLogger } from '../../src/log/logger.js';
import { DvdcliMounter } from '../../src/mounters/dvdcli.js';
import { FakeDvdcli } from './fake-dvdcli.js';
import { unmountAllUnder } from './mounts.js';

export interface LogLine {
  level: string;
  line: string;
}

export function memoryLogger(lines: LogLine[]): Logger {
  return new LineLogger((level, line) => lines.push({ level, line }));
}

export function tempRoot(prefix = 'dvdi-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A temp root with a fake dvdcli, a checkpoint path and a sandbox directory; `dispose` undoes every mount. */
export class Harness {
  readonly root = tempRoot();
  readonly dvdcli = new FakeDvdcli(this.root);
  readonly checkpoint = path.join(this.root, 'run', 'dvdimounts.pb');
  readonly sandbox = path.join(this.root, 'sandbox');
  readonly logs: LogLine[] = [];
  readonly logger = memoryLogger(this.logs);
  /** The common flags that point the `dvdi` CLI at this harness. */
  readonly cliFlags = ['--checkpoint', this.checkpoint, '--dvdcli', this.dvdcli.binary, '--quiet'];

  constructor() {
    mkdirSync(this.sandbox, { recursive: true });
  }

  mounter(timeouts: { mountTimeoutMs?: number; unmountTimeoutMs?: number } = {}): Mounter {
    return new DvdcliMounter({
      binary: this.dvdcli.binary,
      mountTimeoutMs: timeouts.mountTimeoutMs ?? 20_000,
      unmountTimeoutMs: timeouts.unmountTimeoutMs ?? 20_000,
    });
  }

  open(mounter: Mounter = this.mounter()): Promise<Isolator> {
    return Isolator.open({
      mounter,
      store: new FileCheckpointStore(this.checkpoint, this.logger),
      clock: systemClock,
      logger: this.logger,
      paths: new NodeHostPaths(),
      configuredDvdcli: this.dvdcli.binary,
      // As in the agent's runtime: deferred unmounts run in the background; tests `settle()` before looking.
      limits: { retryPendingMs: 60_000 },
    });
  }

  logged(text: string): LogLine[] {
    return this.logs.filter((l) => l.line.includes(text));
  }

  dispose(): void {
    unmountAllUnder(this.root);
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function env(vars: Record<string, string>): Array<[string, string]> {
  return Object.entries(vars);
}

