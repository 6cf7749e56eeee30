import type { VolumeStatus } from './records.js';

/** The volumes as `dvdi status --json` prints them and the agent's /dvdi/volumes answers: one producer for both. */
export function statusJson(volumes: readonly VolumeStatus[]): string {
  return `${JSON.stringify(volumes, null, 2)}\n`;
}
