#include "metrics_tally.h"

namespace dvdi {
namespace shim {

const char* const kMetricsPrefix = "isolators/dvdi/";
const char* const kCounterNames[kCounterCount] = {"prepares",       "prepare_failures", "cleanups",
                                                  "mounts",         "mount_failures",   "unmounts",
                                                  "unmount_failures", "runtime_restarts"};
const char* const kGaugeNames[kGaugeCount] = {"volumes_mounted", "containers_holding", "unmounts_pending"};
const char* const kMountLatency = "mount_latency";
const char* const kUnmountLatency = "unmount_latency";

namespace {

std::vector<double> milliseconds(const std::vector<uint64_t>& micros) {
  std::vector<double> ms;
  for (size_t i = 0; i < micros.size(); ++i) ms.push_back(static_cast<double>(micros[i]) / 1000.0);
  return ms;
}

}  // namespace

MetricsTally::MetricsTally() : restarts_(0), counts_(), last_sample_(0) {}

wire::StatusRequest MetricsTally::request() const {
  wire::StatusRequest request;
  request.has_samples_after = true;
  request.samples_after = last_sample_;
  return request;
}

TallyStep MetricsTally::apply(const wire::StatusResponse& status) {
  const uint64_t now[kRuntimeRestarts] = {status.prepares, status.prepare_failures, status.cleanups,
                                          status.mounts,   status.mount_failures,   status.unmounts,
                                          status.unmount_failures};
  const bool restarted = status.runtime_restarts != restarts_;
  TallyStep step;
  for (int c = 0; c < kRuntimeRestarts; ++c) {
    // Below what was seen without a restart cannot happen; counting it whole keeps the counter growing.
    step.increments[c] = restarted || now[c] < counts_[c] ? now[c] : now[c] - counts_[c];
    counts_[c] = now[c];
  }
  step.increments[kRuntimeRestarts] = status.runtime_restarts > restarts_ ? status.runtime_restarts - restarts_ : 0;
  restarts_ = status.runtime_restarts;
  step.gauges[kVolumesMounted] = static_cast<double>(status.volumes_mounted);
  step.gauges[kContainersHolding] = static_cast<double>(status.containers_holding);
  step.gauges[kUnmountsPending] = static_cast<double>(status.unmounts_pending);
  if (restarted) {
    last_sample_ = 0;
  } else {
    step.mount_ms = milliseconds(status.mount_us);
    step.unmount_ms = milliseconds(status.unmount_us);
    last_sample_ = status.last_sample;
  }
  return step;
}

}  // namespace shim
}  // namespace dvdi
