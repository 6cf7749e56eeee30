import { median, percentile, ratio } from './stats.js';
import { REAL_BUNDLE, runHost } from './runtime/host.js';

/** Issue 15: the bridge round trip of a call that does no I/O. */
const TARGET_US = { p50: 20, p99: 100 };
/** Alternating blocks of bridge calls and hand-offs, so a passing load weighs on both alike. */
const BLOCKS = 10;

const us = (value) => `${value.toFixed(1)} µs`;
const met = (value, target) => `${us(value)} (target ≤ ${target} µs: ${value <= target ? 'met' : 'NOT met'})`;

/**
 * Cleanups of a container the isolator does not know, from one native host
 * thread through libdvdi_runtime.so and the real bundle, against the floor of
 * the same hand-off without JavaScript (native/bench/hand_off.cc), in one run.
 */
export async function measureBridge(workspace, calls) {
  const params = { bundle: REAL_BUNDLE, checkpoint: await workspace.checkpointFile('bridge') };
  const { roundtrip } = await runHost('bridge', { params, options: { calls, blocks: BLOCKS } });
  const of = (path) => roundtrip.find((e) => e.path === path).samples_us;
  const bridge = of('bridge');
  const floor = of('handoff');
  const stats = (s) => ({ p50: median(s), p99: percentile(s, 99) });
  return { bridge: stats(bridge), floor: stats(floor) };
}

export function bridgeLines({ bridge, floor }, calls, load) {
  return [
    `4. bridge round trip, cleanup of an unknown container (no I/O), 1 native thread, ${calls} calls (${BLOCKS} blocks alternating with the floor's), load average ${load.toFixed(1)}:`,
    `   p50 ${met(bridge.p50, TARGET_US.p50)}, p99 ${met(bridge.p99, TARGET_US.p99)} | ` +
      `floor (a native thread waking another and back, no JavaScript) p50 ${us(floor.p50)} p99 ${us(floor.p99)} | ` +
      `bridge / floor = ${ratio(bridge.p50 / floor.p50)} (p50), ${ratio(bridge.p99 / floor.p99)} (p99)`,
  ];
}
