// The soak of `make soak` (bench/soak/): prepare/cleanup pairs from several
// threads through the real bundle, each container holding its thread's
// private volume and the one volume every thread shares, with the process's
// figures taken at the end of each window, when no call is in flight.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "process_stats.h"
#include "runtime_library.h"

namespace dvdi::bench {

struct SoakOptions {
  unsigned threads = 4;
  unsigned warmup_calls = 10000;
  unsigned window_calls = 10000;
  unsigned windows = 20;
  // Waited after a window's garbage collection before its process figures
  // are taken: the plugin server closes a connection idle for 5 s (Node's
  // keepAliveTimeout), so by then the sockets left are the ones nothing will
  // close, and the collection's freed pages are returned.
  unsigned settle_ms = 6000;
  std::string sandboxes;   // each container's sandbox, removed after its cleanup
  std::string checkpoint;  // the runtime's checkpoint file
  std::string driver;      // the plugin serving every volume
};

struct SoakWindow {
  unsigned index = 0;  // 0: the warm-up
  unsigned calls = 0;
  double wall_s = 0;
  double p50_ms = 0, p99_ms = 0;  // every call of the window, prepares and cleanups
  ProcessStats process;
  long heap_used = 0;  // bytes, after a full garbage collection
  long checkpoint_bytes = 0;
};

// The soak bundle (bench/soak/soak-bundle.cjs) answers a cleanup of its probe
// container by logging the JavaScript heap after a full collection; the host
// hands every log line to seen() and asks through measure().
class HeapProbe {
 public:
  void seen(const std::string& line);
  long measure(sim::RuntimeLibrary& runtime);

 private:
  std::atomic<long> heap_used_{-1};
};

// Runs the warm-up, then the windows, reporting each as it ends; throws when
// a call fails or answers other than a soak container's prepare or cleanup must.
void runSoak(sim::RuntimeLibrary& runtime, const SoakOptions& options, HeapProbe& heap,
             const std::function<void(const SoakWindow&)>& report);

}  // namespace dvdi::bench
