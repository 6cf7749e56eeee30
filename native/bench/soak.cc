#include "soak.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bridge_wire.h"
#include "executor_info.h"

namespace dvdi::bench {

namespace {

using Clock = std::chrono::steady_clock;

const char kProbeContainer[] = "dvdi-soak-probe";
const char kProbeLine[] = "soak-probe heap_used=";
const char kSharedVolume[] = "soak-shared";

double millisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double nearestRank(const std::vector<double>& sorted, double percent) {
  const size_t rank = static_cast<size_t>(std::ceil(percent / 100 * sorted.size()));
  return sorted[std::max<size_t>(rank, 1) - 1];
}

long fileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

// A call's response, or the reason it has none.
template <typename Response, typename Decode>
Response decoded(const char* call, const std::string& id, const sim::CallResult& result, Decode decode) {
  Response response;
  std::string error;
  if (!result.ok ||
      !decode(reinterpret_cast<const uint8_t*>(result.data.data()), result.data.size(), &response, &error)) {
    throw std::runtime_error(std::string(call) + " of " + id + " failed: " + result.data + error);
  }
  return response;
}

class Soak {
 public:
  Soak(sim::RuntimeLibrary& runtime, const SoakOptions& options) : runtime_(runtime), options_(options) {}

  // pairs prepare/cleanup pairs on each thread; returns every call's time in ms.
  std::vector<double> run(unsigned pairs) {
    std::vector<std::vector<double>> samples(options_.threads);
    std::vector<std::thread> workers;
    std::exception_ptr failure;
    std::mutex failure_mutex;
    for (unsigned t = 0; t < options_.threads; ++t) {
      workers.emplace_back([&, t] {
        try {
          for (unsigned i = 0; i < pairs; ++i) pair(t, samples[t]);
        } catch (...) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      });
    }
    for (std::thread& worker : workers) worker.join();
    if (failure) std::rethrow_exception(failure);
    std::vector<double> all;
    for (const std::vector<double>& s : samples) all.insert(all.end(), s.begin(), s.end());
    return all;
  }

 private:
  void pair(unsigned thread, std::vector<double>& samples) {
    const std::string privateVolume = "soak-private-" + std::to_string(thread);
    wire::PrepareRequest request;
    request.container_id = "soak-" + std::to_string(thread) + "-" + std::to_string(next_[thread]++);
    request.directory = options_.sandboxes + "/" + request.container_id;
    request.executor_info = sim::encodeExecutorInfo(
        request.container_id, "true",
        {{"DVDI_VOLUME_NAME", privateVolume}, {"DVDI_VOLUME_DRIVER", options_.driver},
         {"DVDI_VOLUME_CONTAINERPATH", "private"}, {"DVDI_VOLUME_NAME1", kSharedVolume},
         {"DVDI_VOLUME_DRIVER1", options_.driver}, {"DVDI_VOLUME_CONTAINERPATH1", "shared"}});
    if (mkdir(request.directory.c_str(), 0755) != 0) throw std::runtime_error("cannot create " + request.directory);

    Clock::time_point start = Clock::now();
    const sim::CallResult prepared = runtime_.call(DVDI_CALL_PREPARE, wire::encodePrepareRequest(request));
    samples.push_back(millisSince(start));
    expectPrepared(request.container_id, prepared, privateVolume);

    start = Clock::now();
    const sim::CallResult cleaned = runtime_.call(DVDI_CALL_CLEANUP, wire::encodeCleanupRequest(request.container_id));
    samples.push_back(millisSince(start));
    expectCleaned(request.container_id, cleaned, privateVolume);
    std::filesystem::remove_all(request.directory);
  }

  // Both volumes, the private one mounted fresh: nobody else holds it.
  static void expectPrepared(const std::string& id, const sim::CallResult& prepared, const std::string& privateVolume) {
    const auto mounts = decoded<wire::PrepareResponse>("prepare", id, prepared, wire::decodePrepareResponse).mounts;
    const bool freshPrivate = std::any_of(mounts.begin(), mounts.end(), [&](const wire::PreparedMount& m) {
      return m.name == privateVolume && !m.shared;
    });
    const bool shared = std::any_of(mounts.begin(), mounts.end(), [](const wire::PreparedMount& m) {
      return m.name == kSharedVolume;
    });
    if (mounts.size() != 2 || !freshPrivate || !shared) {
      throw std::runtime_error("prepare of " + id + " did not return its private volume fresh and the shared one");
    }
  }

  // Both released, the private one unmounted (the shared one only by its last user).
  static void expectCleaned(const std::string& id, const sim::CallResult& cleaned, const std::string& privateVolume) {
    const auto released = decoded<wire::CleanupResponse>("cleanup", id, cleaned, wire::decodeCleanupResponse).released;
    const bool unmounted = std::any_of(released.begin(), released.end(), [&](const wire::ReleasedVolume& r) {
      return r.name == privateVolume && r.unmounted;
    });
    if (released.size() != 2 || !unmounted) {
      throw std::runtime_error("cleanup of " + id + " did not release both volumes and unmount its private one");
    }
  }

  sim::RuntimeLibrary& runtime_;
  const SoakOptions& options_;
  std::vector<unsigned> next_ = std::vector<unsigned>(options_.threads);
};

}  // namespace

void HeapProbe::seen(const std::string& line) {
  if (line.rfind(kProbeLine, 0) == 0) heap_used_ = std::stol(line.substr(sizeof kProbeLine - 1));
}

long HeapProbe::measure(sim::RuntimeLibrary& runtime) {
  heap_used_ = -1;
  // The line is logged before the probe's cleanup answers.
  const sim::CallResult probed = runtime.call(DVDI_CALL_CLEANUP, wire::encodeCleanupRequest(kProbeContainer));
  if (!probed.ok || heap_used_ < 0) {
    throw std::runtime_error("the heap probe was not answered (is the bundle bench/soak/soak-bundle.cjs?): " + probed.data);
  }
  return heap_used_;
}

void runSoak(sim::RuntimeLibrary& runtime, const SoakOptions& options, HeapProbe& heap,
             const std::function<void(const SoakWindow&)>& report) {
  // As the agent does before its first prepare.
  const sim::CallResult recovered = runtime.call(DVDI_CALL_RECOVER, wire::encodeRecoverRequest({}, {}));
  if (!recovered.ok) throw std::runtime_error("recover failed: " + recovered.data);
  Soak soak(runtime, options);
  for (unsigned index = 0; index <= options.windows; ++index) {
    const unsigned calls = index == 0 ? options.warmup_calls : options.window_calls;
    const unsigned pairs = std::max(1u, calls / (2 * options.threads));
    const Clock::time_point start = Clock::now();
    std::vector<double> samples = soak.run(pairs);
    SoakWindow window;
    window.index = index;
    window.wall_s = millisSince(start) / 1000;
    window.calls = samples.size();
    std::sort(samples.begin(), samples.end());
    window.p50_ms = nearestRank(samples, 50);
    window.p99_ms = nearestRank(samples, 99);
    // Collected first, so the pages the collection frees are gone from the resident set too.
    window.heap_used = heap.measure(runtime);
    std::this_thread::sleep_for(std::chrono::milliseconds(options.settle_ms));
    window.process = readProcessStats();
    window.checkpoint_bytes = fileSize(options.checkpoint);
    report(window);
  }
}

}  // namespace dvdi::bench
