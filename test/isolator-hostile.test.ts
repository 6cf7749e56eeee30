import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Isolator } from '../src/core/isolator.js';
import { Harness } from './helpers/harness.js';
import { HOSTILE, TARGETS } from './helpers/hostile-values.js';

let h: Harness;
let iso: Isolator;
beforeAll(async () => {
  h = new Harness();
  iso = await h.open();
});
afterAll(() => h.dispose());

describe('hostile task values never reach the mounter', () => {
  it('refuses every hostile value in every variable with a clear error, running nothing', async () => {
    let n = 0;
    for (const [, variable, place] of TARGETS) {
      for (const [label, hostile] of HOSTILE) {
        const value = place(hostile);
        const environment: Array<[string, string]> = [['DVDI_VOLUME_NAME', 'ok'], ['DVDI_VOLUME_NAME2', 'ok2'], ['DVDI_VOLUME_NAME3', 'ok3'], ['DVDI_VOLUME_NAME12', 'ok12']];
        const env = environment.filter(([k]) => k !== variable);
        env.push([variable, value]);
        await expect(iso.prepare({ containerId: `c${n++}`, environment: env, directory: h.sandbox }), `${variable} ${label}`).rejects.toThrow(
          /DVDI_VOLUME_/,
        );
      }
    }
    expect(n).toBeGreaterThan(500);
    expect(h.dvdcli.calls()).toEqual([]);
    expect(iso.status()).toEqual([]);
  });
});
