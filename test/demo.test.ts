import { describe, expect, it } from 'vitest';
import { dvdiAsync } from './helpers/cli.js';

describe('dvdi demo (the main job)', () => {
  it('runs its whole scenario on the loop plugin and leaves nothing behind', async () => {
    const r = await dvdiAsync(['demo', '--quiet']);
    expect(r.stdout).toMatch(/ok {3}web-2 reads what web-1 wrote/);
    expect(r.stdout).toMatch(/ok {3}the data survived unmount and a new mount/);
    expect(r.stdout).toMatch(/ok {3}nothing left mounted or attached/);
    expect(r.stdout).toMatch(/summary: \d+ checks passed, 0 failed\n$/);
    expect(r.status).toBe(0);
  });
});
