/**
 * The native code that needs no Node (runtime parameters, libnode file
 * check, the call table) has C++ unit tests: dvdi-native-unit-tests, built by
 * CMake, prints one "ok NAME" or "FAIL NAME" line per case.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { builtFile } from './helpers/native-build.js';

describe('native unit tests (dvdi-native-unit-tests)', () => {
  it('pass, every case', () => {
    const run = spawnSync(builtFile('dvdi-native-unit-tests'), { encoding: 'utf8', timeout: 120_000 });
    const output = run.stdout + run.stderr;
    expect(run.status, output).toBe(0);
    const cases = run.stdout.split('\n').filter((line) => /^(ok|FAIL) /.test(line));
    expect(cases.length).toBeGreaterThanOrEqual(13);
    expect(cases.filter((line) => !line.startsWith('ok ')), output).toEqual([]);
  });
});
