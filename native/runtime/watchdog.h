// The thread that notices an event loop that stopped answering (an infinite
// loop in JavaScript) and has the runtime end that environment; node::Stop
// works from another thread.
#ifndef DVDI_WATCHDOG_H
#define DVDI_WATCHDOG_H

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace dvdi {

class Runtime;

class Watchdog {
 public:
  Watchdog(Runtime& runtime, std::chrono::milliseconds timeout);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void loop();

  Runtime& runtime_;
  const std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool exit_ = false;
  std::thread thread_;
};

}  // namespace dvdi

#endif
