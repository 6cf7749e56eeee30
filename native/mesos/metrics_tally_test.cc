// Unit tests of the metrics tally; no Mesos tree needed. Prints
// "N passed, N failed" and exits non-zero on any failure.
#include <stdio.h>

#include <string>
#include <vector>

#include "expect.h"
#include "metrics_tally.h"

using dvdi::shim::MetricsTally;
using dvdi::shim::TallyStep;
using dvdi::wire::StatusResponse;
namespace shim = dvdi::shim;

static StatusResponse snapshot(uint64_t restarts, uint64_t prepares, uint64_t mounts, uint64_t last_sample) {
  StatusResponse s;
  s.runtime_restarts = restarts;
  s.prepares = prepares;
  s.mounts = mounts;
  s.volumes_mounted = mounts;
  s.last_sample = last_sample;
  return s;
}

static void testGrowth() {
  MetricsTally tally;
  EXPECT(tally.request().has_samples_after && tally.request().samples_after == 0 && !tally.request().volumes);

  StatusResponse first = snapshot(0, 3, 2, 2);
  first.prepare_failures = 1;
  first.mount_us.push_back(40000);
  first.mount_us.push_back(1500);
  TallyStep step = tally.apply(first);
  EXPECT(step.increments[shim::kPrepares] == 3 && step.increments[shim::kPrepareFailures] == 1);
  EXPECT(step.increments[shim::kMounts] == 2 && step.increments[shim::kRuntimeRestarts] == 0);
  EXPECT(step.gauges[shim::kVolumesMounted] == 2);
  EXPECT(step.mount_ms.size() == 2 && step.mount_ms[0] == 40.0 && step.mount_ms[1] == 1.5 && step.unmount_ms.empty());
  EXPECT(tally.request().samples_after == 2);

  // Only what is new since the last snapshot.
  StatusResponse second = snapshot(0, 5, 2, 3);
  second.prepare_failures = 1;
  second.unmounts = 1;
  second.unmount_us.push_back(15500);
  step = tally.apply(second);
  EXPECT(step.increments[shim::kPrepares] == 2 && step.increments[shim::kPrepareFailures] == 0);
  EXPECT(step.increments[shim::kMounts] == 0 && step.increments[shim::kUnmounts] == 1);
  EXPECT(step.unmount_ms.size() == 1 && step.unmount_ms[0] == 15.5 && step.mount_ms.empty());
  EXPECT(tally.request().samples_after == 3);

  step = tally.apply(snapshot(0, 5, 2, 3));
  bool none = true;
  for (int c = 0; c < shim::kCounterCount; ++c) none = none && step.increments[c] == 0;
  EXPECT(none);
}

static void testRestart() {
  MetricsTally tally;
  tally.apply(snapshot(0, 10, 4, 4));
  // The runtime restarted twice: the new environment counted 1 prepare and
  // took sample 1, but answered a request for those after 4: none.
  StatusResponse restarted = snapshot(2, 1, 1, 1);
  TallyStep step = tally.apply(restarted);
  EXPECT(step.increments[shim::kPrepares] == 1 && step.increments[shim::kMounts] == 1);
  EXPECT(step.increments[shim::kRuntimeRestarts] == 2);
  EXPECT(step.mount_ms.empty());
  EXPECT(tally.request().samples_after == 0);

  // The next pull gets the new environment's samples from the first.
  StatusResponse next = snapshot(2, 2, 1, 1);
  next.mount_us.push_back(7000);
  step = tally.apply(next);
  EXPECT(step.increments[shim::kPrepares] == 1 && step.increments[shim::kMounts] == 0);
  EXPECT(step.increments[shim::kRuntimeRestarts] == 0);
  EXPECT(step.mount_ms.size() == 1 && step.mount_ms[0] == 7.0);
  EXPECT(tally.request().samples_after == 1);

  // A runtime that restarted before the first pull.
  MetricsTally late;
  step = late.apply(snapshot(1, 4, 0, 0));
  EXPECT(step.increments[shim::kPrepares] == 4 && step.increments[shim::kRuntimeRestarts] == 1);
}

static void testNames() {
  EXPECT(std::string(shim::kMetricsPrefix) == "isolators/dvdi/");
  EXPECT(std::string(shim::kCounterNames[shim::kUnmountFailures]) == "unmount_failures");
  EXPECT(std::string(shim::kCounterNames[shim::kRuntimeRestarts]) == "runtime_restarts");
  EXPECT(std::string(shim::kGaugeNames[shim::kUnmountsPending]) == "unmounts_pending");
}

int main() {
  testGrowth();
  testRestart();
  testNames();
  return dvdi::unit::report();
}
