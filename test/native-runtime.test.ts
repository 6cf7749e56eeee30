/**
 * The embedded Node 18 runtime's guard rails, through dvdi-runtime-probe (a
 * small C++ host that dlopens libdvdi_runtime.so as the agent does) and a
 * bundle whose handlers misbehave on request (test/fixtures/runtime).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtFile } from './helpers/native-build.js';

const FIXTURE = path.resolve('test/fixtures/runtime/misbehaving.cjs');
const PROBE_TIMEOUT_MS = 120_000;

interface ProbeRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  output: string;
}

function probe(parameters: string[], steps: string[], wrap: string[] = []): ProbeRun {
  const command = [builtFile('dvdi-runtime-probe'), builtFile('libdvdi_runtime.so'), ...parameters, '--', ...steps];
  const [file, ...args] = [...wrap, ...command];
  const run = spawnSync(file!, args, { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  const output = run.stdout + run.stderr;
  return { status: run.status, signal: run.signal, lines: run.stdout.split('\n').filter(Boolean), output };
}

/** The probe ran every step and stopped the runtime: it exited 0, not by a signal. */
function expectSurvived(run: ProbeRun): void {
  expect(run.signal, run.output).toBeNull();
  expect(run.status, run.output).toBe(0);
  expect(run.lines.at(-1)).toBe('done');
}

const starts = (run: ProbeRun) => run.lines.filter((line) => /^log 0 fixture started/.test(line)).length;

describe('the embedded runtime (libdvdi_runtime.so, Node 18)', () => {
  it('answers calls, fails the ones whose handler errs, and routes stdio to the log sink', () => {
    const run = probe(
      [`bundle=${FIXTURE}`, 'mounter=plugin'],
      ['call=echo:hello', 'call=throw', 'call=reject', 'call=string', 'call=abort', 'call=stdout:x', 'call=signal:y'],
    );
    expectSurvived(run);
    expect(run.lines).toEqual(
      expect.arrayContaining([
        'log 0 fixture started with 2 parameters',
        'start ok',
        'call echo:hello ok echo:hello',
        'call throw error prepare handler failed: the handler threw',
        'call reject error prepare handler failed: the handler rejected',
        'call string error prepare handler returned a string, not a Uint8Array',
        'call abort error prepare handler failed: process.abort() is disabled in the embedded runtime',
        'log 0 console says stdout:x',
        'log 1 stderr says stdout:x',
        'call stdout:x ok stdout:x',
        'call signal:y ok signal:y refused: the embedded runtime does not let JavaScript listen for SIGTERM',
      ]),
    );
    expect(starts(run)).toBe(1);
  });

  it('contains an uncaught exception, process.exit and an infinite loop: that call fails, the runtime restarts without leaking files', () => {
    const run = probe(
      [`bundle=${FIXTURE}`, 'watchdog_timeout=1'],
      ['call=fds:20', 'call=uncaught', 'call=echo:1', 'call=exit', 'call=echo:2', 'call=loop', 'call=echo:3', 'call=fds:20'],
    );
    expectSurvived(run);
    const restarted = 'error dvdi runtime restarted while the call was in flight:';
    expect(run.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^call uncaught ${restarted} uncaught exception: thrown from a timer \\(at `)),
        `call exit ${restarted} JavaScript called process.exit(3)`,
        `call loop ${restarted} the event loop did not answer for 1 s (watchdog_timeout)`,
        'log 1 dvdi runtime: restarting JavaScript: JavaScript called process.exit(3)',
        'call echo:1 ok echo:1',
        'call echo:2 ok echo:2',
        'call echo:3 ok echo:3',
      ]),
    );
    expect(starts(run)).toBe(4);
    expect(run.lines.filter((line) => line === 'log 0 dvdi runtime: JavaScript is ready again')).toHaveLength(3);
    // The files the ended environments opened were closed with them.
    const fds = run.lines.filter((line) => line.startsWith('call fds:20 ok'));
    expect(fds).toHaveLength(2);
    expect(fds[1]).toBe(fds[0]);
  });

  it('contains heap exhaustion with the heap limit: that call fails, the runtime restarts', () => {
    const run = probe([`bundle=${FIXTURE}`, 'heap_limit=64', 'watchdog_timeout=60'], ['call=heaplimit', 'call=heap', 'call=echo:after']);
    expectSurvived(run);
    const limit = Number(/^call heaplimit ok heaplimit (\d+)$/m.exec(run.lines.join('\n'))?.[1]);
    expect(limit).toBeGreaterThanOrEqual(64);
    expect(limit).toBeLessThan(256);
    expect(run.lines).toContain(
      'call heap error dvdi runtime restarted while the call was in flight: the JavaScript heap reached its limit of 64 MB',
    );
    expect(run.lines).toContain('call echo:after ok echo:after');
    expect(starts(run)).toBe(2);
  });

  it('leaves SIGTERM to the host, and the host reaps its own children while JavaScript runs children', () => {
    const run = probe([`bundle=${FIXTURE}`], ['sigterm', 'children=200:spawn:100:50']);
    expectSurvived(run);
    expect(run.lines).toContain('sigterm handled by host');
    expect(run.lines).toContain('children reaped 200/200');
    expect(run.lines).toContain('call spawn:100:50 ok spawn:100:50');
  });

  it('takes calls from 4 threads at once, keeps queued calls through a restart, starts again after stop, and fails every call in flight when stopped', () => {
    const run = probe(
      [`bundle=${FIXTURE}`],
      ['calls=4:2500:echo:x', 'restart-during=500:echo:y', 'stop-start', 'call=echo:z', 'stop-during=200:sleep:60000'],
    );
    expectSurvived(run);
    expect(run.lines).toContain('calls ok=10000 error=0 lost=0 doubled=0');
    expect(run.lines).toContain('restart with 500 queued: ok=500 failed=0 lost=0 (exit failed)');
    expect(run.lines).toContain('started again');
    expect(run.lines).toContain('call echo:z ok echo:z');
    expect(run.lines).toContain('stopped with 200 in flight: failed=200 lost=0 last=dvdi runtime stopped');
  });

  describe('fails start with a message, never an abort', () => {
    const expectStartFailure = (run: ProbeRun, message: string | RegExp) => {
      expect(run.signal, run.output).toBeNull();
      expect(run.status, run.output).toBe(2);
      expect(run.lines.at(-1)).toMatch(typeof message === 'string' ? `start failed: ${message}` : message);
    };

    it('for a missing or broken bundle', () => {
      expectStartFailure(probe(['bundle=/nonexistent/dvdi-runtime.cjs'], []), 'cannot read the JavaScript bundle /nonexistent/dvdi-runtime.cjs: No such file or directory');
      expectStartFailure(
        probe([`bundle=${path.resolve('package.json')}`], []),
        /^start failed: cannot load the bundle .*package\.json: it does not export start\(bridge\)/,
      );
    });

    it('for a bad runtime parameter, or a bundle that refuses to open', () => {
      expectStartFailure(probe([`bundle=${FIXTURE}`, 'heap_limit=lots'], []), "heap_limit must be a whole number of MB from 16 to 16384, not 'lots'");
      expectStartFailure(probe([`bundle=${FIXTURE}`, 'fixture_fail=unreadable checkpoint'], []), 'fixture refused to start: unreadable checkpoint');
    });

    it('for a bundle that never gets ready, or spins while starting', () => {
      expectStartFailure(probe([`bundle=${FIXTURE}`, 'fixture_start=hang', 'start_timeout=1'], []), 'JavaScript was not ready after 1 s (start_timeout)');
      expectStartFailure(
        probe([`bundle=${FIXTURE}`, 'fixture_start=spin', 'watchdog_timeout=1'], []),
        'the event loop did not answer for 1 s (watchdog_timeout)',
      );
    });

    it('for a missing libnode builtin file (hidden in a private mount namespace)', () => {
      const empty = mkdtempSync(path.join(os.tmpdir(), 'dvdi-empty-'));
      try {
        const hide = ['unshare', '-m', 'sh', '-c', `mount --bind ${empty} /usr/share/nodejs/acorn && exec "$@"`, 'sh'];
        expectStartFailure(
          probe([`bundle=${FIXTURE}`], [], hide),
          /^start failed: libnode cannot start: its builtin file \/usr\/share\/nodejs\/acorn\/dist\/acorn\.js is missing/,
        );
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    });
  });
});
