import { describe, expect, it } from 'vitest';
import { planContainerPath } from '../src/spec/container-path.js';
import { parseVolumeSpecs, SpecError } from '../src/spec/parse.js';
import { HOSTILE, TARGETS } from './helpers/hostile-values.js';

const settings = { configuredDvdcli: '/usr/bin/dvdcli' };


const CONTROL = /\p{Cc}/u;

function expectRefused(variable: string, value: string): SpecError {
  const env: Array<[string, string]> = [
    ['DVDI_VOLUME_NAME', 'ok'],
    ['DVDI_VOLUME_NAME3', 'ok3'],
    ['DVDI_VOLUME_NAME2', 'ok2'],
    ['DVDI_VOLUME_NAME12', 'ok12'],
  ];
  const named = env.filter(([name]) => name !== variable);
  let caught: unknown;
  try {
    parseVolumeSpecs([...named, [variable, value]], settings);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SpecError);
  const err = caught as SpecError;
  expect(err.variable).toBe(variable);
  expect(err.message.startsWith(`${variable}: `)).toBe(true);
  // Messages reach logs and task status: escaped and bounded, whatever the input.
  expect(err.message).not.toMatch(CONTROL);
  expect(err.message).not.toMatch(/[\u2028\u202e\u200b\ud800]/);
  expect(err.message.length).toBeLessThan(600);
  return err;
}

describe('hostile values', () => {
  for (const [target, variable, place] of TARGETS) {
    describe(target, () => {
      it.each(HOSTILE)('refuses %s', (_label, hostile) => {
        expectRefused(variable, place(hostile));
      });
    });
  }

  it('are refused by the container path planner too', () => {
    for (const [, hostile] of HOSTILE) {
      expect(() => planContainerPath(hostile, '/var/lib/mesos/sandbox')).toThrow(SpecError);
    }
  });

  it('as option values: refused when they break the encodings, kept verbatim otherwise', () => {
    const breaks = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl},=]/u;
    for (const [label, hostile] of HOSTILE) {
      const value = `k=${hostile}`;
      if (breaks.test(hostile) || Buffer.byteLength(value) > 255) {
        expectRefused('DVDI_VOLUME_OPTS', value);
      } else {
        // No shell sees option values: they travel as one argv item or a JSON string.
        const { specs } = parseVolumeSpecs([
          ['DVDI_VOLUME_NAME', 'v'],
          ['DVDI_VOLUME_OPTS', value],
        ], settings);
        expect(specs[0]?.options, label).toEqual([['k', hostile]]);
      }
    }
  });
});

describe('random input', () => {
  /** A small deterministic generator, so a failure can be replayed. */
  function* random(seed: number): Generator<number> {
    let state = seed >>> 0;
    for (;;) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      yield state / 2 ** 32;
    }
  }

  it('either parses within the rules or throws SpecError, never anything else', () => {
    const friendly = [...'abz09_.-'];
    const hostile = [...'Z@+:/=, ;$\\\u0000\n\u00e9\u202e\u043e'];
    const wellFormed: Record<string, string[]> = {
      NAME: ['a', 'vol-1'],
      DRIVER: ['rexray', 'rexray/ebs:latest'],
      OPTS: ['', 'k=v', 'size=1,type=gp2'],
      CONTAINERPATH: ['', 'data', '/tmp/x'],
      EXPLICITCREATE: ['true', 'false'],
      DVDCLI: ['/usr/bin/dvdcli'],
    };
    const fields = Object.keys(wellFormed);
    const rng = random(20240611);
    const next = (n: number): number => Math.floor((rng.next().value as number) * n);
    const pick = <T>(items: readonly T[]): T => items[next(items.length)] as T;
    const char = (): string => (next(10) === 0 ? pick(hostile) : pick(friendly));
    let specCount = 0;
    for (let round = 0; round < 3000; round += 1) {
      const env: Array<[string, string]> = [];
      for (let i = next(4); i >= 0; i -= 1) {
        const field = pick(fields);
        const value = next(2) === 0 ? pick(wellFormed[field] ?? []) : Array.from({ length: next(8) }, char).join('');
        env.push([`DVDI_VOLUME_${field}${pick(['', '0', '1', '2'])}`, value]);
      }
      try {
        const { specs } = parseVolumeSpecs(env, settings);
        specCount += specs.length;
        for (const spec of specs) {
          expect(spec.name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.\-@+:]*$/);
          expect(spec.driver).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.\-@+:]*(\/[A-Za-z0-9][A-Za-z0-9_.\-@+:]*)*$/);
          expect(spec.containerPath).toMatch(/^[A-Za-z0-9/_.\-@+]*$/);
          for (const [k, v] of spec.options) {
            expect(k).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.\-]*$/);
            expect(v).not.toMatch(/[\p{Cc}\p{Cf},=]/u);
          }
        }
      } catch (err) {
        expect(err).toBeInstanceOf(SpecError);
      }
    }
    // The pool is friendly enough that some rounds must parse, or the test proves little.
    expect(specCount).toBeGreaterThan(300);
  });
});
