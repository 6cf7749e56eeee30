#include "measure.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "bridge_wire.h"
#include "executor_info.h"

namespace dvdi::bench {

namespace {

using Clock = std::chrono::steady_clock;

double millisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

RoundTrips measureRoundTrips(unsigned threads, unsigned calls, const std::function<bool()>& call) {
  std::vector<std::vector<double>> samples(threads);
  std::atomic<bool> wrong{false};
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      samples[t].reserve(calls);
      for (unsigned i = 0; i < calls; ++i) {
        const Clock::time_point before = Clock::now();
        if (!call()) wrong = true;
        samples[t].push_back(millisSince(before) * 1000);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  RoundTrips result;
  result.wall_ms = millisSince(start);
  if (wrong) throw std::runtime_error("a round trip came back failed or with another answer");
  for (const std::vector<double>& s : samples) result.samples_us.insert(result.samples_us.end(), s.begin(), s.end());
  return result;
}

std::pair<RoundTrips, RoundTrips> measureInterleaved(unsigned blocks, unsigned calls, const std::function<bool()>& a,
                                                     const std::function<bool()>& b) {
  std::pair<RoundTrips, RoundTrips> result;
  const auto append = [](RoundTrips& to, const RoundTrips& block) {
    to.samples_us.insert(to.samples_us.end(), block.samples_us.begin(), block.samples_us.end());
    to.wall_ms += block.wall_ms;
  };
  for (unsigned i = 0; i < blocks; ++i) {
    append(result.first, measureRoundTrips(1, calls, a));
    append(result.second, measureRoundTrips(1, calls, b));
  }
  return result;
}

std::vector<double> measureRestarts(sim::RuntimeLibrary& runtime, unsigned restarts, const std::string& echo) {
  std::vector<double> samples;
  for (unsigned i = 0; i < restarts; ++i) {
    const Clock::time_point start = Clock::now();
    if (runtime.call(DVDI_CALL_PREPARE, "exit").ok) throw std::runtime_error("the exit call succeeded");
    // Queued until the fresh environment is ready.
    const sim::CallResult next = runtime.call(DVDI_CALL_PREPARE, echo);
    if (!next.ok) throw std::runtime_error("the first call after a restart failed: " + next.data);
    samples.push_back(millisSince(start));
  }
  return samples;
}

std::vector<double> measureVolumeRounds(sim::RuntimeLibrary& runtime, unsigned warmup, unsigned rounds,
                                        const std::string& sandboxes,
                                        const std::vector<std::pair<std::string, std::string>>& environment) {
  // As the agent does before its first prepare.
  const sim::CallResult recovered = runtime.call(DVDI_CALL_RECOVER, wire::encodeRecoverRequest({}, {}));
  if (!recovered.ok) throw std::runtime_error("recover failed: " + recovered.data);
  std::vector<double> samples;
  std::string error;
  for (unsigned i = 0; i < warmup + rounds; ++i) {
    wire::PrepareRequest request;
    request.container_id = "runtime-" + std::to_string(i);
    request.directory = sandboxes + "/" + request.container_id;
    request.executor_info = sim::encodeExecutorInfo(request.container_id, "true", environment);
    if (mkdir(request.directory.c_str(), 0755) != 0) throw std::runtime_error("cannot create " + request.directory);

    const Clock::time_point start = Clock::now();
    const sim::CallResult prepared = runtime.call(DVDI_CALL_PREPARE, wire::encodePrepareRequest(request));
    const sim::CallResult cleaned = runtime.call(DVDI_CALL_CLEANUP, wire::encodeCleanupRequest(request.container_id));
    const double elapsed = millisSince(start);

    wire::PrepareResponse mounts;
    if (!prepared.ok || !wire::decodePrepareResponse(reinterpret_cast<const uint8_t*>(prepared.data.data()),
                                                     prepared.data.size(), &mounts, &error)) {
      throw std::runtime_error("prepare of " + request.container_id + " failed: " + prepared.data + error);
    }
    if (mounts.mounts.size() != 1 || mounts.mounts[0].shared) {
      throw std::runtime_error("prepare of " + request.container_id + " did not return one fresh mount");
    }
    wire::CleanupResponse released;
    if (!cleaned.ok || !wire::decodeCleanupResponse(reinterpret_cast<const uint8_t*>(cleaned.data.data()),
                                                    cleaned.data.size(), &released, &error)) {
      throw std::runtime_error("cleanup of " + request.container_id + " failed: " + cleaned.data + error);
    }
    if (released.released.size() != 1 || !released.released[0].unmounted) {
      throw std::runtime_error("cleanup of " + request.container_id + " did not unmount its volume");
    }
    if (i >= warmup) samples.push_back(elapsed);
  }
  return samples;
}

}  // namespace dvdi::bench
