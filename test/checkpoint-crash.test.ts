import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../src/checkpoint/file-store.js';
import type { LogFields, Logger } from '../src/core/ports.js';

const script = fileURLToPath(new URL('./fixtures/checkpoint/save-loop.mjs', import.meta.url));

let work: string;
const children = new Set<ChildProcess>();

/**
 * Runs the save loop until it has acknowledged `saves` saves, then SIGKILLs it
 * `delayMs` later, so the kill lands at varying points of a save; returns the
 * last acknowledged generation.
 */
function saveUntilKilled(path: string, first: number, saves: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, path, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let acknowledged = -1;
    let count = 0;
    let pending = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        acknowledged = Number(line);
        if (++count === saves) setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    // 'close', not 'exit': every acknowledgement written before the kill has been read by then.
    child.on('close', (code, signal) => {
      children.delete(child);
      if (signal === 'SIGKILL' && count >= saves) resolve(acknowledged);
      else reject(new Error(`save loop exited early (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

const quietLogger: Logger & { warnings: LogFields[]; errors: string[] } = {
  warnings: [],
  errors: [],
  info: () => undefined,
  warn(_message, fields) {
    this.warnings.push(fields ?? {});
  },
  error(message) {
    this.errors.push(message);
  },
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'dvdi-checkpoint-crash-'));
});

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('checkpoint after a crash during save', () => {
  it('always loads a complete checkpoint, at least as new as the last acknowledged save', async () => {
    const path = join(work, 'state', 'dvdimounts.pb');
    for (let round = 0; round < 12; round++) {
      const first = round * 1_000_000;
      const acknowledged = await saveUntilKilled(path, first, 1 + ((round * 37) % 60), round % 6);

      const records = await new FileCheckpointStore(path, quietLogger).load();
      const generations = new Set(records.map((r) => Number(/^g(\d+)-/.exec(r.containerId)![1])));
      expect(generations.size).toBe(1);
      const g = [...generations][0]!;
      // The save in flight may have been renamed into place before its acknowledgement was printed.
      expect([acknowledged, acknowledged + 1]).toContain(g);
      expect(records).toHaveLength(1 + (g % 40));
      expect(records.map((r) => r.containerId)).toEqual(records.map((_, i) => `g${g}-${i}`));
      expect(await readdir(dirname(path))).toEqual(['dvdimounts.pb']);
    }
    expect(quietLogger.errors).toEqual([]);
    // Every leftover the loads reported belonged to a killed save loop.
    for (const fields of quietLogger.warnings) expect(String(fields.path)).toMatch(/dvdimounts\.pb\.tmp-\d+-[0-9a-f]+$/);
  });
});
