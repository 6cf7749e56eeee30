import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unmountAllUnder } from './mounts.js';

const program = fileURLToPath(new URL('./fake-dvdcli.mjs', import.meta.url));

export interface FakeCall {
  op: string;
  volumedriver: string;
  volumename?: string;
  volumeopts: string[];
  pid?: number;
  explicitcreate?: string;
}

/** A dvdcli-compatible binary at `<root>/bin/dvdcli` backed by fake-dvdcli.mjs. */
export class FakeDvdcli {
  readonly binary: string;
  readonly state: string;

  constructor(readonly root: string) {
    this.state = path.join(root, 'fake-state');
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    mkdirSync(this.state, { recursive: true });
    this.binary = path.join(root, 'bin', 'dvdcli');
    // A test fixture, not product code: the product never runs a shell.
    writeFileSync(this.binary, `#!/bin/sh\nFAKE_DVDCLI_STATE='${this.state}' exec '${process.execPath}' '${program}' "$@"\n`);
    chmodSync(this.binary, 0o755);
  }

  behave(behaviour: Record<string, string>): void {
    writeFileSync(path.join(this.state, 'behaviour.json'), JSON.stringify(behaviour));
  }

  /** Lets a dvdcli call told to "gate" go on. */
  open(op: string, name: string): void {
    writeFileSync(path.join(this.state, `gate-${op}-${name}`), '');
  }

  calls(): FakeCall[] {
    const file = path.join(this.state, 'calls.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as FakeCall);
  }

  mountpoint(driver: string, name: string): string {
    return path.join(this.state, 'mnt', driver.replace(/\//g, '_'), name);
  }

  dispose(): void {
    unmountAllUnder(this.root);
  }
}
