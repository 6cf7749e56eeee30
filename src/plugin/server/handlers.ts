import type { LogFields } from '../../core/ports.js';
import { Method } from '../protocol.js';
import { nameProblem } from './names.js';
import type { VolumeService } from './volumes.js';

/** A handler's answer: the response body and what the log line should carry. */
export interface Answer {
  readonly body: Record<string, unknown>;
  readonly fields?: LogFields;
}

type Handler = (body: Record<string, unknown>) => Promise<Answer>;

function requireName(body: Record<string, unknown>): string {
  const problem = nameProblem(body.Name);
  if (problem !== undefined) throw new Error(`volume ${problem}`);
  return body.Name as string;
}

function requireOpts(body: Record<string, unknown>): Record<string, string> {
  const opts = body.Opts ?? {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new Error('Opts must be an object');
  for (const [key, value] of Object.entries(opts)) {
    if (typeof value !== 'string') throw new Error(`option ${key} must be a string`);
  }
  return opts as Record<string, string>;
}

// Docker before 1.12 sent no ID; such mounts all count under the empty ID.
function requireId(body: Record<string, unknown>): string {
  const id = body.ID ?? '';
  if (typeof id !== 'string') throw new Error('ID must be a string');
  return id;
}

/** Maps protocol methods to the volume service; every success carries an empty `Err`. */
export function handlers(service: VolumeService): ReadonlyMap<string, Handler> {
  return new Map<string, Handler>([
    [Method.Activate, async () => ({ body: { Implements: ['VolumeDriver'] } })],
    [
      Method.Create,
      async (body) => {
        const name = requireName(body);
        const opts = requireOpts(body);
        const { created } = await service.create(name, opts);
        return { body: { Err: '' }, fields: { volume: name, opts: JSON.stringify(opts), created } };
      },
    ],
    [
      Method.Remove,
      async (body) => {
        const name = requireName(body);
        await service.remove(name);
        return { body: { Err: '' }, fields: { volume: name } };
      },
    ],
    [
      Method.Mount,
      async (body) => {
        const name = requireName(body);
        const id = requireId(body);
        const mountpoint = await service.mount(name, id);
        return { body: { Mountpoint: mountpoint, Err: '' }, fields: { volume: name, id, mountpoint } };
      },
    ],
    [
      Method.Unmount,
      async (body) => {
        const name = requireName(body);
        const id = requireId(body);
        const detached = await service.unmount(name, id);
        return { body: { Err: '' }, fields: { volume: name, id, detached } };
      },
    ],
    [
      Method.Path,
      async (body) => {
        const name = requireName(body);
        return { body: { Mountpoint: service.path(name), Err: '' }, fields: { volume: name } };
      },
    ],
    [
      Method.Get,
      async (body) => {
        const name = requireName(body);
        return { body: { Volume: service.get(name), Err: '' }, fields: { volume: name } };
      },
    ],
    [Method.List, async () => ({ body: { Volumes: service.list(), Err: '' } })],
    [Method.Capabilities, async () => ({ body: { Capabilities: { Scope: 'local' } } })],
  ]);
}
