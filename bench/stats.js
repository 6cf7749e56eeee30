/** Summary statistics over latency samples in milliseconds. */

export function median(samples) {
  const s = sorted(samples);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it. */
export function percentile(samples, p) {
  const s = sorted(samples);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

export function ms(value) {
  return `${value.toFixed(1)} ms`;
}

export function ratio(value) {
  return `${value.toFixed(1)}x`;
}

function sorted(samples) {
  if (samples.length === 0) throw new Error('no samples');
  return [...samples].sort((a, b) => a - b);
}
