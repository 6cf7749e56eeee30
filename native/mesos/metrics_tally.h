// The agent's isolators/dvdi/… metrics from the engine's status snapshots
// (DVDI_CALL_STATUS), without Mesos: libprocess counters only grow, while the
// engine's counters start again from 0 when the runtime restarts
// JavaScript, and each latency sample must reach the agent's timers once.
// Plain C++11, built into the module and unit-tested without a Mesos tree.
#ifndef DVDI_MESOS_METRICS_TALLY_H
#define DVDI_MESOS_METRICS_TALLY_H

#include <stdint.h>

#include <vector>

#include "../wire/bridge_wire.h"

namespace dvdi {
namespace shim {

// Every name is under this prefix in /metrics/snapshot.
extern const char* const kMetricsPrefix;  // "isolators/dvdi/"

enum Counter {
  kPrepares,
  kPrepareFailures,
  kCleanups,
  kMounts,
  kMountFailures,
  kUnmounts,
  kUnmountFailures,
  kRuntimeRestarts,
  kCounterCount
};
extern const char* const kCounterNames[kCounterCount];

enum Gauge { kVolumesMounted, kContainersHolding, kUnmountsPending, kGaugeCount };
extern const char* const kGaugeNames[kGaugeCount];

// Timers; libprocess appends the unit (_ms).
extern const char* const kMountLatency;
extern const char* const kUnmountLatency;

// What one snapshot adds to the agent's metrics.
struct TallyStep {
  uint64_t increments[kCounterCount];
  double gauges[kGaugeCount];
  std::vector<double> mount_ms;  // new samples, oldest first
  std::vector<double> unmount_ms;
};

class MetricsTally {
 public:
  MetricsTally();

  // The next pull's request: the samples after the last one taken.
  wire::StatusRequest request() const;

  // A snapshot answering request(). After a restart its counters count
  // again from 0, so all of each is new (what the old environment counted
  // after the previous pull is lost with it); its samples were chosen by
  // the old environment's numbering, so they are left for the next pull,
  // which asks for all of the new environment's.
  TallyStep apply(const wire::StatusResponse& status);

 private:
  uint64_t restarts_;
  uint64_t counts_[kRuntimeRestarts];  // the engine's own counters, as last seen
  uint64_t last_sample_;
};

}  // namespace shim
}  // namespace dvdi

#endif
