/**
 * The bridge's status call (DVDI_CALL_STATUS, kind 4), the call the agent's
 * shim pulls metrics and volumes with, through the bridge core as an addon:
 * a bundle may leave its handler out (calls then fail at once, naming it),
 * its default deadline is optional, and the binding tells JavaScript how
 * many environments came before (none in an addon).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

type Handler = (request: Uint8Array) => unknown;

interface TestBridge {
  readonly restarts: number;
  register(handlers: Record<string, Handler>): void;
  ready(deadlines: Record<string, number>): void;
  makeCalls(options: { threads: number; calls: number; kinds?: number[]; timeoutMs?: number }): Promise<{
    results: Array<{ ok: boolean; data: Buffer }>;
  }>;
  stop(): void;
}

const addon = createRequire(import.meta.url)(path.resolve('build/Release/dvdi_bridge.node')) as {
  createBridge(): TestBridge;
};
const STATUS = 4;
const echo: Handler = (request) => request;
const THREE = { recover: echo, prepare: echo, cleanup: echo };
const DEADLINES = { recover: 60_000, prepare: 60_000, cleanup: 60_000 };

describe('the status call through the bridge core', () => {
  it('fails at once, naming the handler, when the bundle registered none', async () => {
    const bridge = addon.createBridge();
    expect(bridge.restarts).toBe(0);
    bridge.register(THREE);
    bridge.ready(DEADLINES);
    const { results } = await bridge.makeCalls({ threads: 2, calls: 5, kinds: [STATUS], timeoutMs: 10_000 });
    expect(results.map((r) => [r.ok, r.data.toString()])).toEqual(Array(10).fill([false, 'the bundle registered no status handler']));
    bridge.stop();
  });

  it('reaches a registered handler, with its own default deadline or the caller\'s', async () => {
    const bridge = addon.createBridge();
    expect(() => bridge.register({ ...THREE, status: 'no' as unknown as Handler })).toThrow(/register: status must be a function/);
    const never: Handler = () => new Promise(() => {});
    let answer: Handler = (request) => Uint8Array.from(request).reverse();
    bridge.register({ ...THREE, status: (request) => answer(request) });
    expect(() => bridge.ready({ ...DEADLINES, status: 0 })).toThrow(/ready: status must be a deadline in ms/);
    bridge.ready({ ...DEADLINES, status: 50 });
    const answered = await bridge.makeCalls({ threads: 2, calls: 10, kinds: [STATUS] });
    expect(answered.results.every((r) => r.ok)).toBe(true);
    answer = never;
    const byDefault = await bridge.makeCalls({ threads: 1, calls: 3, kinds: [STATUS] });
    expect(byDefault.results.map((r) => r.data.toString())).toEqual(Array(3).fill('status call timed out after 50 ms'));
    const byCaller = await bridge.makeCalls({ threads: 1, calls: 3, kinds: [STATUS], timeoutMs: 30 });
    expect(byCaller.results.map((r) => r.data.toString())).toEqual(Array(3).fill('status call timed out after 30 ms'));
    bridge.stop();
  });
});
