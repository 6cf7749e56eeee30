/** The soak's per-window lines and its verdict: flat, or which figure moved. */

/** Issue 15: the last window within 10 % of the first after the warm-up; file descriptors and threads exactly equal. */
const TOLERANCE = 0.1;

const FIGURES = [
  { key: 'rss_kb', label: 'RSS', show: (kb) => `${(kb / 1024).toFixed(1)} MB` },
  { key: 'heap_used', label: 'JS heap', show: (b) => `${(b / 2 ** 20).toFixed(1)} MB` },
  { key: 'fds', label: 'fds', show: String, exact: true },
  { key: 'threads', label: 'threads', show: String, exact: true },
  { key: 'checkpoint_bytes', label: 'checkpoint', show: (b) => `${b} B` },
  { key: 'p50_ms', label: 'p50', show: (v) => `${v.toFixed(1)} ms` },
  { key: 'p99_ms', label: 'p99', show: (v) => `${v.toFixed(1)} ms` },
];

export const WINDOW_HEADER = `window   calls  wall     ${FIGURES.map((f) => f.label.padEnd(11)).join('')}load`;

/** A window's line; `load` is the machine's load average when it ended, not judged: latency follows it. */
export function windowLine(w) {
  const name = w.index === 0 ? 'warm-up' : String(w.index);
  const figures = FIGURES.map((f) => f.show(w[f.key]).padEnd(11)).join('');
  return `${name.padEnd(8)} ${String(w.calls).padEnd(6)} ${`${w.wall_s.toFixed(0)} s`.padEnd(8)} ${figures}${w.load.toFixed(1)}`;
}

/**
 * The last window against the first after the warm-up. A figure that moved
 * is said to have grown or fallen: a leak grows, while latency also falls
 * when the shared machine's load does.
 */
export function judge(first, last) {
  const moved = [];
  const parts = FIGURES.map((f) => {
    const a = first[f.key];
    const b = last[f.key];
    if (f.exact) {
      if (a !== b) moved.push({ label: f.label, grew: b > a });
      return `${f.label} ${a} → ${b}`;
    }
    const change = a === b ? 0 : (b - a) / a;
    if (!(Math.abs(change) <= TOLERANCE)) moved.push({ label: f.label, grew: change > 0 });
    return `${f.label} ${f.show(a)} → ${f.show(b)} (${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %)`;
  });
  const grew = moved.filter((m) => m.grew).map((m) => `${m.label} grew`);
  const fell = moved.filter((m) => !m.grew).map((m) => `${m.label} fell`);
  const verdict = moved.length === 0 ? 'flat' : `NOT flat (${[...grew, ...fell].join(', ')}${grew.length === 0 ? '; nothing grew' : ''})`;
  const load = `load average ${first.load.toFixed(1)} → ${last.load.toFixed(1)}`;
  return `verdict: ${verdict}: window ${first.index} → ${last.index}: ${parts.join(', ')}; ${load}`;
}
