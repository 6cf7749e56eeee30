// One JavaScript environment of a runtime, on the runtime's thread: a fresh
// isolate and event loop with the guard rails of REFERENCE.md §6, the
// bootstrap, the bundle, and the loop until something ends it.
#ifndef DVDI_ENVIRONMENT_H
#define DVDI_ENVIRONMENT_H

#include <atomic>
#include <cstdint>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

// Kept out of this header: node.h must not meet napi.h in one file (it
// redefines NAPI_VERSION), and the bridge's files include napi.h.
namespace node {
class CommonEnvironmentSetup;
class MultiIsolatePlatform;
}  // namespace node
struct uv_async_s;

namespace dvdi {

class Bridge;
class Runtime;

// On the JS thread, when the loop has ended: the bridge stops taking calls.
void detach_bridge(const std::weak_ptr<Bridge>& bridge);

class Environment {
 public:
  explicit Environment(Runtime& runtime);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  bool create(node::MultiIsolatePlatform* platform, uint32_t heap_limit_mb, std::string* error);
  // Runs the bootstrap and the event loop; returns why they ended.
  std::string run();

  // From any thread: ends the environment; the first cause is kept.
  void stop(const std::string& cause);
  bool ending();

  // The watchdog's probe, from its one thread: ping() sends a wake-up through
  // the event loop unless one is outstanding; silence() is how long the
  // outstanding one has waited.
  void ping();
  std::chrono::milliseconds silence() const;

  // The environment running on the calling thread, for the linked bindings.
  static Environment* current();
  Runtime& runtime() { return runtime_; }
  void set_bridge(const std::shared_ptr<Bridge>& bridge) { bridge_ = bridge; }

 private:
  static size_t near_heap_limit(void* data, size_t current, size_t initial);
  static void on_pong(uv_async_s* handle);

  Runtime& runtime_;
  std::unique_ptr<node::CommonEnvironmentSetup> setup_;
  std::unique_ptr<uv_async_s> pong_;
  std::mutex pong_mutex_;
  bool pong_open_ = false;  // from create() until the loop has ended
  std::weak_ptr<Bridge> bridge_;

  std::mutex cause_mutex_;
  std::string cause_;

  std::atomic<bool> awaiting_pong_{false};
  std::atomic<std::chrono::steady_clock::rep> ping_sent_{0};
};

}  // namespace dvdi

#endif
