// The module in the agent's own HTTP server: its metrics under
// isolators/dvdi/ in /metrics/snapshot, through libprocess's metrics, and
// GET /dvdi/volumes, the volumes as `dvdi status --json` prints them. Both
// come from the engine over the bridge's status call (one source of truth),
// each call with a deadline; nothing here waits on a thread: the Observer is
// a libprocess Process of its own, and the agent's metrics read values it
// already holds. Included by isolator.cpp only.
#ifndef DVDI_MESOS_OBSERVER_HPP
#define DVDI_MESOS_OBSERVER_HPP

#include <atomic>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <glog/logging.h>

#include <process/defer.hpp>
#include <process/delay.hpp>
#include <process/future.hpp>
#include <process/http.hpp>
#include <process/process.hpp>

#include <process/metrics/counter.hpp>
#include <process/metrics/metrics.hpp>
#include <process/metrics/timer.hpp>

#include <stout/duration.hpp>
#include <stout/lambda.hpp>
#include <stout/nothing.hpp>

#include "../wire/bridge_wire.h"
#include "metrics_tally.h"

// libprocess 1.6 renamed Gauge (a value asked for on each snapshot) PullGauge.
#define DVDI_MESOS_PULL_GAUGE 10600
#if MESOS_VERSION_INT < DVDI_MESOS_PULL_GAUGE
#include <process/metrics/gauge.hpp>
#else
#include <process/metrics/pull_gauge.hpp>
#endif

namespace dvdi {
namespace shim {

#if MESOS_VERSION_INT < DVDI_MESOS_PULL_GAUGE
typedef process::metrics::Gauge PullGauge;
#else
typedef process::metrics::PullGauge PullGauge;
#endif

// A Timer fed with durations the engine measured. Timer itself only times
// what it sees start and stop (start/stop, time(future)), so this records
// a given duration the way those do: its value and its history, from which
// the snapshot's percentiles come. Copies share their state, as libprocess's
// metrics do (metrics::add keeps a copy).
class EngineTimer : public process::metrics::Timer<Milliseconds> {
 public:
  explicit EngineTimer(const std::string& name)
      : Timer<Milliseconds>(name, Hours(1)), state_(new State()) {}

  process::Future<double> value() const override {
    const double last = state_->last;
    if (std::isnan(last)) return process::Failure("No value");
    return last;
  }

  // From one Process only (the Observer's).
  void record(double ms) {
    // The history keeps one value per instant: two samples pushed at the
    // same libprocess time would be one. The clock moves within a
    // microsecond; the bound only matters should it be paused (tests).
    for (int i = 0; i < 100000 && process::Clock::now() <= state_->pushed; ++i) {
    }
    state_->last = ms;
    push(ms);
    state_->pushed = process::Clock::now();
  }

 private:
  struct State {
    State() : last(NAN) {}
    std::atomic<double> last;  // read by the metrics' Process
    process::Time pushed;
  };
  std::shared_ptr<State> state_;
};

// The engine's status; fails at the deadline at the latest.
typedef std::function<process::Future<wire::StatusResponse>(const wire::StatusRequest&, uint32_t deadline_ms)>
    StatusCall;

class Observer : public process::Process<Observer> {
 public:
  explicit Observer(StatusCall status)
      : process::ProcessBase("dvdi"),
        status_(status),
        mount_latency_(std::string(kMetricsPrefix) + kMountLatency),
        unmount_latency_(std::string(kMetricsPrefix) + kUnmountLatency),
        gauge_values_(),
        failing_(false) {
    for (int c = 0; c < kCounterCount; ++c) {
      counters_.push_back(process::metrics::Counter(std::string(kMetricsPrefix) + kCounterNames[c]));
    }
  }

  // Dispatched before terminating: a snapshot that asked a gauge of a
  // terminated Process would wait for it forever. Removals are handled in
  // the order sent, so the last one's future says when all are done.
  process::Future<Nothing> removeMetrics() {
    for (size_t c = 0; c < counters_.size(); ++c) process::metrics::remove(counters_[c]);
    for (size_t g = 0; g < gauges_.size(); ++g) process::metrics::remove(gauges_[g]);
    process::metrics::remove(mount_latency_);
    return process::metrics::remove(unmount_latency_);
  }

 protected:
  void initialize() override {
    route("/volumes", std::string("The volumes of the dvdi isolator, as `dvdi status --json` prints them."),
          &Observer::volumes);
    for (size_t c = 0; c < counters_.size(); ++c) process::metrics::add(counters_[c]);
    for (int g = 0; g < kGaugeCount; ++g) {
      gauges_.push_back(PullGauge(std::string(kMetricsPrefix) + kGaugeNames[g], defer(self(), &Observer::gauge, g)));
      process::metrics::add(gauges_.back());
    }
    process::metrics::add(mount_latency_);
    process::metrics::add(unmount_latency_);
    pull();
  }

 private:
  // The metrics' pull: one at a time, a second apart; a snapshot of the
  // agent's metrics reads the values of the last one at once.
  static const uint32_t kPullDeadlineMs = 1000;
  // The endpoint answers within a second, while a plugin hangs too: the
  // engine answers from memory, and a runtime that cannot is cut off here.
  static const uint32_t kVolumesDeadlineMs = 900;

  void pull() {
    status_(tally_.request(), kPullDeadlineMs).onAny(defer(self(), &Observer::pulled, lambda::_1));
  }

  void pulled(const process::Future<wire::StatusResponse>& status) {
    if (status.isReady()) {
      const TallyStep step = tally_.apply(status.get());
      for (int c = 0; c < kCounterCount; ++c) {
        if (step.increments[c] > 0) counters_[c] += static_cast<int64_t>(step.increments[c]);
      }
      for (int g = 0; g < kGaugeCount; ++g) gauge_values_[g] = step.gauges[g];
      for (size_t i = 0; i < step.mount_ms.size(); ++i) mount_latency_.record(step.mount_ms[i]);
      for (size_t i = 0; i < step.unmount_ms.size(); ++i) unmount_latency_.record(step.unmount_ms[i]);
      if (failing_) LOG(INFO) << "dvdi: the isolator's metrics are read again";
      failing_ = false;
    } else if (!failing_) {
      // Once per outage: the runtime restarting fails every pull until it is back.
      LOG(WARNING) << "dvdi: cannot read the isolator's metrics (they keep their last values): "
                   << (status.isFailed() ? status.failure() : std::string("discarded"));
      failing_ = true;
    }
    process::delay(Seconds(1), self(), &Observer::pull);
  }

  process::Future<double> gauge(int which) { return gauge_values_[which]; }

  process::Future<process::http::Response> volumes(const process::http::Request&) {
    wire::StatusRequest request;
    request.volumes = true;
    return status_(request, kVolumesDeadlineMs)
        .then([](const wire::StatusResponse& status) -> process::Future<process::http::Response> {
          process::http::OK ok(status.volumes_json);
          ok.headers["Content-Type"] = "application/json";
          return ok;
        })
        .repair([](const process::Future<process::http::Response>& failed) -> process::Future<process::http::Response> {
          return process::http::ServiceUnavailable("dvdi: cannot read the volumes: " + failed.failure() + "\n");
        });
  }

  const StatusCall status_;
  MetricsTally tally_;
  std::vector<process::metrics::Counter> counters_;
  std::vector<PullGauge> gauges_;
  EngineTimer mount_latency_;
  EngineTimer unmount_latency_;
  double gauge_values_[kGaugeCount];
  bool failing_;
};

}  // namespace shim
}  // namespace dvdi

#endif
