import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/core/group-commit.js';
import { waitFor } from './helpers/cli.js';
import { Harness, env } from './helpers/harness.js';

/** A store whose writes finish when the test says so, recording what each write saw. */
function slowWrites() {
  let state = 0;
  const written: number[] = [];
  const finishers: Array<(error?: Error) => void> = [];
  const commit = new GroupCommit(() => {
    const snapshot = state;
    return new Promise<void>((resolve, reject) => {
      finishers.push((error) => {
        if (error) return reject(error);
        written.push(snapshot);
        resolve();
      });
    });
  });
  return {
    commit,
    change: () => {
      state += 1;
      return commit.request();
    },
    finish: (error?: Error) => finishers.shift()!(error),
    pending: () => finishers.length,
    written,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('group commit of checkpoint writes', () => {
  it('writes the newest state once for every change that arrived during a write', async () => {
    const s = slowWrites();
    const first = s.change();
    const later = [s.change(), s.change(), s.change()];
    expect(s.pending()).toBe(1);
    s.finish();
    await first;
    await tick();
    // One more write, of the newest state, for the three changes made meanwhile.
    expect(s.pending()).toBe(1);
    s.finish();
    await Promise.all(later);
    expect(s.written).toEqual([1, 4]);
  });

  it('never acknowledges a change before a write that contains it is durable', async () => {
    const s = slowWrites();
    const first = s.change();
    let acknowledged = false;
    const second = s.change().then(() => (acknowledged = true));
    s.finish();
    await first;
    await tick();
    expect(acknowledged).toBe(false);
    s.finish();
    await second;
    expect(acknowledged).toBe(true);
  });

  it('fails every change of a failed write, and writes again for the next change', async () => {
    const s = slowWrites();
    const first = s.change();
    const batch = [s.change(), s.change()];
    s.finish();
    await first;
    await tick();
    s.finish(new Error('ENOSPC'));
    for (const p of batch) await expect(p).rejects.toThrow('ENOSPC');
    const next = s.change();
    s.finish();
    await next;
    expect(s.written).toEqual([1, 4]);
  });

  it('coalesces the checkpoint writes of concurrent prepares', async () => {
    const h = new Harness();
    try {
      const iso = await h.open();
      const { FileCheckpointStore } = await import('../src/checkpoint/file-store.js');
      const saves = { count: 0 };
      const save = FileCheckpointStore.prototype.save;
      FileCheckpointStore.prototype.save = async function (records) {
        saves.count += 1;
        // The first write lasts until every prepare has asked for its intent to be written, as a slow
        // disk would make it; without that, how many requests meet during a write is up to timing.
        if (saves.count === 1) await waitFor(() => iso.status().length === 12, 'the 12 intents');
        return save.call(this, records);
      };
      try {
        h.dvdcli.behave({ mount: 'slow:300' });
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            iso.prepare({ containerId: `c${i}`, environment: env({ DVDI_VOLUME_NAME: `v${i}` }), directory: h.sandbox }),
          ),
        );
      } finally {
        FileCheckpointStore.prototype.save = save;
      }
      // 24 changes (an intent and a mountpoint each); without coalescing, 24 writes.
      expect(saves.count).toBeLessThan(24);
      expect(iso.status()).toHaveLength(12);
      for (let i = 0; i < 12; i++) await iso.cleanup(`c${i}`);
    } finally {
      h.dispose();
    }
  });
});
