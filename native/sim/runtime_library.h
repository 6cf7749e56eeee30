// libdvdi_runtime.so loaded the way the Mesos module loads it: dlopen with
// RTLD_NOW | RTLD_LOCAL and the dvdi_runtime_* symbols looked up by name, so
// the simulator exercises exactly the agent's path.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "dvdi_runtime.h"

namespace dvdi::sim {

struct CallResult {
  bool ok = false;
  std::string data;  // the response, or the error message
};

class RuntimeLibrary {
 public:
  // Throws std::runtime_error with dlerror()'s reason.
  explicit RuntimeLibrary(const std::string& path);
  // The library is never dlclose'd: Node cannot be initialised twice in a process.
  RuntimeLibrary(const RuntimeLibrary&) = delete;
  RuntimeLibrary& operator=(const RuntimeLibrary&) = delete;

  using LogSink = std::function<void(int level, const std::string& line)>;

  // Starts a runtime; throws std::runtime_error with dvdi_runtime_start's reason.
  void start(const std::vector<std::pair<std::string, std::string>>& params, LogSink log);
  // Submits a call and waits for its completion; callable from any thread.
  CallResult call(int kind, const std::string& request, uint32_t timeout_ms = 0);
  void stop();

 private:
  decltype(&dvdi_runtime_start) start_ = nullptr;
  decltype(&dvdi_runtime_call) call_ = nullptr;
  decltype(&dvdi_runtime_stop) stop_ = nullptr;
  dvdi_runtime* runtime_ = nullptr;
  LogSink log_;
};

}  // namespace dvdi::sim
