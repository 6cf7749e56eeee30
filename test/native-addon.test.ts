/**
 * The Node-API bridge core as an ordinary addon under this machine's Node,
 * driven from native threads by its test hook (native/addon/test_calls.cc):
 * every call completes exactly once, with the handler's answer, its error in
 * each form, its deadline, or the stop.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

type Kind = 'recover' | 'prepare' | 'cleanup';
type Handler = (request: Uint8Array) => unknown;

interface Completion {
  thread: number;
  index: number;
  kind: number;
  ok: boolean;
  data: Buffer;
}

interface TestBridge {
  parameters(): [string, string][];
  log(level: number, line: string): void;
  register(handlers: Record<Kind, Handler>): void;
  ready(deadlines: Record<Kind, number>): void;
  fail(message: string): void;
  makeCalls(options: { threads: number; calls: number; kinds?: number[]; bytes?: number; timeoutMs?: number }): Promise<{
    results: Completion[];
    counts(): number[];
  }>;
  stop(): void;
  pending(): number;
  logs(): [number, string][];
  failure(): string | undefined;
}

const addon = createRequire(import.meta.url)(path.resolve('build/Release/dvdi_bridge.node')) as {
  createBridge(parameters?: [string, string][]): TestBridge;
};

const DEADLINES = { recover: 60_000, prepare: 60_000, cleanup: 60_000 };

/** The request the hook sends for (thread, index, kind): u32 header, then a pattern. */
function expectedRequest(thread: number, index: number, kind: number, bytes: number): Buffer {
  const request = Buffer.alloc(bytes);
  request.writeUInt32LE(thread, 0);
  request.writeUInt32LE(index, 4);
  request.writeUInt32LE(kind, 8);
  for (let i = 12; i < bytes; i++) request[i] = (i * 31 + thread) & 0xff;
  return request;
}

/** Resolves once `condition` holds, checking between turns of the event loop; the limit only stops a broken test from hanging. */
async function until(condition: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The (thread, index, kind) a request of the test hook carries. */
function callOf(request: Uint8Array): string {
  const header = Buffer.from(request.buffer, request.byteOffset, 12);
  return `${header.readUInt32LE(0)}:${header.readUInt32LE(4)}:${header.readUInt32LE(8)}`;
}

function readyBridge(handlers: Record<Kind, Handler>, deadlines = DEADLINES): TestBridge {
  const bridge = addon.createBridge();
  bridge.register(handlers);
  bridge.ready(deadlines);
  return bridge;
}

describe('the bridge core as a Node-API addon', () => {
  it('offers parameters, log and fail, and checks what JavaScript gives it', () => {
    const bridge = addon.createBridge([['mounter', 'plugin'], ['mount_timeout', '60']]);
    expect(bridge.parameters()).toEqual([['mounter', 'plugin'], ['mount_timeout', '60']]);
    bridge.log(1, 'one decision');
    expect(bridge.logs()).toEqual([[1, 'one decision']]);
    expect(() => bridge.log(3, 'x')).toThrow(/log\(level: 0 \| 1 \| 2, line: string\)/);
    expect(() => bridge.ready(DEADLINES)).toThrow(/ready\(\) before register\(\)/);
    expect(() => bridge.register({ recover: () => 0 } as unknown as Record<Kind, Handler>)).toThrow(
      /register: prepare must be a function/,
    );
    const echo = (r: Uint8Array) => r;
    bridge.register({ recover: echo, prepare: echo, cleanup: echo });
    expect(() => bridge.ready({ ...DEADLINES, cleanup: 0 })).toThrow(/ready: cleanup must be a deadline in ms/);
    bridge.fail('cannot open the checkpoint');
    expect(bridge.failure()).toBe('cannot open the checkpoint');
    bridge.stop();
  });

  it('4 native threads x 5000 calls: each completes exactly once with its own answer', async () => {
    const threads = 4;
    const calls = 5000;
    const bytes = 40;
    const bridge = readyBridge({
      recover: (request) => request,
      prepare: async (request) => Uint8Array.from(request).reverse(),
      cleanup: (request) => Promise.resolve(Buffer.concat([Buffer.from('done:'), request])),
    });
    const outcome = await bridge.makeCalls({ threads, calls, kinds: [1, 2, 3], bytes });
    expect(outcome.results).toHaveLength(threads * calls);
    const wrong = outcome.results.filter(({ thread, index, kind, ok, data }) => {
      const request = expectedRequest(thread, index, kind, bytes);
      const expected = [request, Buffer.from(request).reverse(), Buffer.concat([Buffer.from('done:'), request])][kind - 1]!;
      return !ok || !data.equals(expected);
    });
    expect(wrong).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcome.counts().filter((count) => count !== 1)).toEqual([]);
    expect(bridge.pending()).toBe(0);
    bridge.stop();
  });

  it('fails a call whose handler throws, rejects or answers with something other than a Uint8Array', async () => {
    const failing: Handler = (request) => {
      const index = Buffer.from(request).readUInt32LE(4);
      if (index % 4 === 0) throw new Error('thrown');
      if (index % 4 === 1) return Promise.reject(new Error('rejected'));
      if (index % 4 === 2) return Promise.resolve('a string');
      return Promise.reject('a bare reason');
    };
    const bridge = readyBridge({ recover: failing, prepare: failing, cleanup: failing });
    const outcome = await bridge.makeCalls({ threads: 4, calls: 1000, kinds: [1, 2, 3] });
    const names = ['recover', 'prepare', 'cleanup'];
    const wrong = outcome.results.filter(({ index, kind, ok, data }) => {
      const name = names[kind - 1];
      const expected = [
        `${name} handler failed: thrown`,
        `${name} handler failed: rejected`,
        `${name} handler returned a string, not a Uint8Array`,
        `${name} handler failed: a bare reason`,
      ][index % 4];
      return ok || data.toString() !== expected;
    });
    expect(wrong).toEqual([]);
    expect(outcome.counts().every((count) => count === 1)).toBe(true);
    const unknown = await bridge.makeCalls({ threads: 1, calls: 3, kinds: [7] });
    expect(unknown.results.map((r) => [r.ok, r.data.toString()])).toEqual(Array(3).fill([false, 'unknown call kind 7']));
    bridge.stop();
  });

  it('fails calls at their deadline, drops the late answers, and applies the default deadlines of ready()', async () => {
    const late: Array<() => void> = [];
    const seen: string[] = [];
    const slow: Handler = (request) =>
      new Promise((resolve) => {
        seen.push(callOf(request));
        late.push(() => resolve(request));
      });
    const bridge = readyBridge({ recover: slow, prepare: slow, cleanup: slow }, { recover: 30, prepare: 60_000, cleanup: 60_000 });
    // Every call fails at its deadline, whether JavaScript had it by then or it was still queued
    // (a busy machine may not run the JS thread within 20 ms): no handler ever answers in time.
    const explicit = await bridge.makeCalls({ threads: 4, calls: 250, kinds: [2], timeoutMs: 20 });
    expect(explicit.results.filter((r) => r.ok || r.data.toString() !== 'prepare call timed out after 20 ms')).toEqual([]);
    const byDefault = await bridge.makeCalls({ threads: 2, calls: 50, kinds: [1] });
    expect(byDefault.results.filter((r) => r.ok || r.data.toString() !== 'recover call timed out after 30 ms')).toEqual([]);
    // A deadline far beyond the hand-over to JavaScript: every handler surely has its call when it passes.
    const handedOver = bridge.makeCalls({ threads: 4, calls: 25, kinds: [3], timeoutMs: 2_000 });
    await until(() => seen.filter((call) => call.endsWith(':3')).length === 100, 'the cleanup handlers to be called');
    const lateForAll = await handedOver;
    expect(lateForAll.results.filter((r) => r.ok || r.data.toString() !== 'cleanup call timed out after 2000 ms')).toEqual([]);

    // JavaScript saw no call twice, and every call it saw was one of these.
    expect(new Set(seen).size).toBe(seen.length);
    const calls = (threads: number, count: number, kind: number) =>
      Array.from({ length: threads * count }, (_, i) => `${Math.floor(i / count)}:${i % count}:${kind}`);
    const made = new Set([...calls(4, 250, 2), ...calls(2, 50, 1), ...calls(4, 25, 3)]);
    expect(seen.filter((call) => !made.has(call))).toEqual([]);
    // The handlers answer now, too late: nothing completes twice. Their answers settle in this turn's microtasks.
    for (const answer of late) answer();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([...explicit.counts(), ...byDefault.counts(), ...lateForAll.counts()].every((count) => count === 1)).toBe(true);
    bridge.stop();
  });

  it('holds calls made before ready() until it is called', async () => {
    const bridge = addon.createBridge();
    const echo = (r: Uint8Array) => r;
    bridge.register({ recover: echo, prepare: echo, cleanup: echo });
    const outcome = bridge.makeCalls({ threads: 4, calls: 100, kinds: [3] });
    await until(() => bridge.pending() === 400, 'the 400 calls to be queued');
    bridge.ready(DEADLINES);
    const { results } = await outcome;
    expect(results.every((r) => r.ok)).toBe(true);
    bridge.stop();
  });

  it('fails every call in flight when stopped, and refuses calls after stop at once', async () => {
    let started = 0;
    const never: Handler = () => {
      started += 1;
      return new Promise(() => {});
    };
    const bridge = readyBridge({ recover: never, prepare: never, cleanup: never });
    const inFlight = bridge.makeCalls({ threads: 4, calls: 500, kinds: [1, 2, 3] });
    await until(() => started === 2000, 'every handler to start');
    bridge.stop();
    const { results } = await inFlight;
    expect(results.filter((r) => r.ok || r.data.toString() !== 'dvdi runtime stopped')).toEqual([]);

    const after = await bridge.makeCalls({ threads: 4, calls: 100, kinds: [2] });
    expect(after.results.filter((r) => r.ok || r.data.toString() !== 'dvdi runtime stopped')).toEqual([]);
    expect(started).toBe(2000);
  });
});
