#include "runtime_library.h"

#include <dlfcn.h>

#include <future>
#include <memory>
#include <stdexcept>

namespace dvdi::sim {

namespace {

template <typename Fn>
Fn symbol(void* handle, const char* name) {
  void* found = dlsym(handle, name);
  if (found == nullptr) throw std::runtime_error(std::string("dlsym ") + name + ": " + dlerror());
  return reinterpret_cast<Fn>(found);
}

// The context owns the promise, so it outlives set_value even when the
// waiting thread wakes and returns at once.
void completeCall(void* context, int ok, const uint8_t* data, size_t size) {
  std::unique_ptr<std::promise<CallResult>> promise(static_cast<std::promise<CallResult>*>(context));
  CallResult result;
  result.ok = ok != 0;
  result.data.assign(reinterpret_cast<const char*>(data), size);
  promise->set_value(std::move(result));
}

void forwardLog(void* context, int level, const char* line) {
  (*static_cast<RuntimeLibrary::LogSink*>(context))(level, line);
}

}  // namespace

RuntimeLibrary::RuntimeLibrary(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
  const int abi = symbol<decltype(&dvdi_runtime_abi_version)>(handle, "dvdi_runtime_abi_version")();
  if (abi != DVDI_RUNTIME_ABI_VERSION) {
    throw std::runtime_error(path + ": runtime ABI " + std::to_string(abi) + ", expected " +
                             std::to_string(DVDI_RUNTIME_ABI_VERSION));
  }
  start_ = symbol<decltype(start_)>(handle, "dvdi_runtime_start");
  call_ = symbol<decltype(call_)>(handle, "dvdi_runtime_call");
  stop_ = symbol<decltype(stop_)>(handle, "dvdi_runtime_stop");
}

void RuntimeLibrary::start(const std::vector<std::pair<std::string, std::string>>& params, LogSink log) {
  log_ = std::move(log);
  std::vector<dvdi_param> c_params;
  for (const auto& [key, value] : params) c_params.push_back({key.c_str(), value.c_str()});
  char error[1024] = "";
  runtime_ = start_(c_params.data(), c_params.size(), forwardLog, &log_, error, sizeof error);
  if (runtime_ == nullptr) throw std::runtime_error(std::string("dvdi_runtime_start: ") + error);
}

CallResult RuntimeLibrary::call(int kind, const std::string& request, uint32_t timeout_ms) {
  auto promise = std::make_unique<std::promise<CallResult>>();
  std::future<CallResult> outcome = promise->get_future();
  call_(runtime_, kind, reinterpret_cast<const uint8_t*>(request.data()), request.size(), timeout_ms, completeCall,
        promise.release());
  return outcome.get();
}

void RuntimeLibrary::stop() {
  if (runtime_ != nullptr) stop_(runtime_);
  runtime_ = nullptr;
}

}  // namespace dvdi::sim
