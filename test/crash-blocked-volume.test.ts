import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dvdi, dvdiAsync, startDvdi, waitFor } from './helpers/cli.js';
import { Harness } from './helpers/harness.js';
import { killAndWait } from './helpers/process.js';
import { ServedPlugin } from './helpers/served-plugin.js';

// Issue 6 §1: a prepare killed after its intent was checkpointed, while the plugin was stopped,
// must not leave the volume blocked: the plugin refuses the undo (it never saw the Mount), and
// its own answers show there is nothing to unmount.
let h: Harness;
let plugin: ServedPlugin;
let flags: string[];
beforeEach(async () => {
  h = new Harness();
  plugin = new ServedPlugin(h.root);
  await plugin.start();
  flags = ['--checkpoint', h.checkpoint, '--quiet', ...plugin.flags()];
});
afterEach(async () => {
  await plugin.stop();
  h.dispose();
});

function volumeEnv(name: string): string[] {
  return ['--env', 'DVDI_VOLUME_DRIVER=dvdi', '--env', `DVDI_VOLUME_NAME=${name}`];
}

function status(): Array<{ name: string; state: string }> {
  return JSON.parse(dvdi(['status', ...flags, '--json']).stdout);
}

async function killPrepareAfterIntent(container: string, volume: string): Promise<void> {
  plugin.signal('SIGSTOP');
  const child = startDvdi(['prepare', ...flags, '--container-id', container, '--directory', h.sandbox, ...volumeEnv(volume)]);
  await waitFor(() => status().some((v) => v.name === volume && v.state === 'mounting'), 'the intent in the checkpoint');
  await killAndWait(child);
  plugin.signal('SIGCONT');
}

describe('a volume whose mount was interrupted is never left blocked', () => {
  it('recover resolves an intent the plugin never saw: no pending record, the volume mounts again', async () => {
    await killPrepareAfterIntent('victim', 'v');
    const r = await dvdiAsync(['recover', ...flags]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ kept: [], unmounted: ['dvdi/v'], pending: [] });
    expect(status()).toEqual([]);
    const again = await dvdiAsync(['prepare', ...flags, '--container-id', 'next', '--directory', h.sandbox, ...volumeEnv('v')]);
    expect(again.status).toBe(0);
    expect((await dvdiAsync(['cleanup', ...flags, '--container-id', 'next'])).status).toBe(0);
  });

  it('a prepare drops a pending record the plugin shows is not mounted, logs it, and goes on', async () => {
    await killPrepareAfterIntent('victim', 'w');
    // A recover while the plugin is stopped again cannot settle the undo: it stays pending.
    plugin.signal('SIGSTOP');
    const recovered = await dvdiAsync(['recover', ...flags, '--unmount-timeout', '1']);
    plugin.signal('SIGCONT');
    expect(JSON.parse(recovered.stdout)).toMatchObject({ pending: ['dvdi/w'] });
    const verbose = flags.filter((f) => f !== '--quiet');
    const prepared = await dvdiAsync(['prepare', ...verbose, '--container-id', 'next', '--directory', h.sandbox, ...volumeEnv('w')]);
    expect(prepared.status).toBe(0);
    expect(prepared.stderr).toMatch(/unmount was refused, but the volume does not exist .*volume=w/);
    expect(status()).toMatchObject([{ name: 'w', state: 'mounted' }]);
    await dvdiAsync(['cleanup', ...flags, '--container-id', 'next']);
  });
});
