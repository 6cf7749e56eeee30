import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatLine } from '../src/log/logger.js';
import { Harness, env } from './helpers/harness.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => h.dispose());

/** Characters that could forge, reorder or hide log text. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

describe('floods and odd values', () => {
  it('refuses a task with more volumes than max_volumes before anything is mounted', async () => {
    const iso = await h.open();
    const flood = Array.from({ length: 10_000 }, (_, i) => [`DVDI_VOLUME_NAME${i + 1}`, `v${i}`] as [string, string]);
    await expect(iso.prepare({ containerId: 'c', environment: flood, directory: h.sandbox })).rejects.toThrow(
      /more than 64 volumes.*max_volumes/,
    );
    expect(h.dvdcli.calls()).toEqual([]);
    expect(iso.status()).toEqual([]);
  });

  it('accepts exactly max_volumes', async () => {
    const iso = await h.open();
    const vars = Array.from({ length: 64 }, (_, i) => [`DVDI_VOLUME_NAME${i}`, `v${i}`] as [string, string]);
    const { mounts } = await iso.prepare({ containerId: 'c', environment: vars, directory: h.sandbox });
    expect(mounts).toHaveLength(64);
    await iso.cleanup('c');
  });

  it('quotes a 100 KB container id shortened, in the error and in the log', async () => {
    const iso = await h.open();
    const id = 'x'.repeat(100_000);
    const error = await iso.prepare({ containerId: id, environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/invalid container id "x{64}…" \(100000 bytes\)/);
    expect((error as Error).message.length).toBeLessThan(300);
  });

  it.each([
    ['U+202E right-to-left override', 'abc\u202Edcba'],
    ['U+0085 next line', 'abc\u0085def'],
    ['U+2028 line separator', 'abc\u2028def'],
    ['U+200B zero width space', 'abc\u200Bdef'],
  ])('refuses a container id with %s, and says so without the raw character', async (_, id) => {
    const iso = await h.open();
    const error = await iso.prepare({ containerId: id, environment: env({ DVDI_VOLUME_NAME: 'v' }), directory: h.sandbox }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/invalid container id .*control, format or separator/);
    expect((error as Error).message).not.toMatch(INVISIBLE);
    expect(h.dvdcli.calls()).toEqual([]);
  });

  it('escapes anything non-printable in log lines, message and fields alike', () => {
    const line = formatLine('released \u202Eevil\u2028next', { containerId: 'a\u0085b', volume: 'x'.repeat(5000) });
    expect(line).not.toMatch(INVISIBLE);
    expect(line).toContain('\\u{202E}');
    expect(line.length).toBeLessThan(1000);
  });
});
