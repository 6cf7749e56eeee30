import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * One temp directory holding everything a bench run creates: plugin sockets
 * and roots, checkpoints, container sandboxes and plugin logs.
 */
export async function createWorkspace(parent = os.tmpdir()) {
  const root = await mkdtemp(path.join(parent, 'dvdi-bench-'));
  const dir = async (...parts) => {
    const p = path.join(root, ...parts);
    await mkdir(p, { recursive: true });
    return p;
  };
  return {
    root,
    /** Where plugins are discovered; the spec directory stays empty so nothing outside the workspace is found. */
    socketDir: await dir('sockets'),
    specDir: await dir('specs'),
    logDir: await dir('logs'),
    dir,
    checkpointFile: async (name) => path.join(await dir('checkpoints', name), 'dvdimounts.pb'),
    sandbox: (containerId) => dir('sandboxes', containerId),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
