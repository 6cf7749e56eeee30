import type { VolumeStatus } from '../core/records.js';

/** A fixed-width table for people; `--json` is for programs. */
export function statusTable(volumes: readonly VolumeStatus[]): string {
  if (volumes.length === 0) return 'no volumes\n';
  const rows = [
    ['DRIVER', 'VOLUME', 'STATE', 'MOUNTPOINT', 'HOLDERS'],
    ...volumes.map((v) => [
      v.driver,
      v.name,
      v.state,
      v.mountpoint || '-',
      v.holders.length > 0 ? v.holders.join(',') : '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  const errors = volumes.filter((v) => v.error).map((v) => `${v.driver}/${v.name}: last unmount error: ${v.error}`);
  return [...lines, ...errors].join('\n') + '\n';
}
