#include "watchdog.h"

#include <algorithm>

#include "runtime.h"

namespace dvdi {

Watchdog::Watchdog(Runtime& runtime, std::chrono::milliseconds timeout)
    : runtime_(runtime), timeout_(timeout), thread_([this] { loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    exit_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Watchdog::loop() {
  // Ticks a few times per timeout, so an unresponsive loop is caught within
  // about 1.25 timeouts without busy polling.
  const auto tick = std::clamp<std::chrono::milliseconds>(timeout_ / 4, std::chrono::milliseconds(25),
                                                          std::chrono::milliseconds(1000));
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, tick, [this] { return exit_; })) {
    lock.unlock();
    runtime_.watch(timeout_);
    lock.lock();
  }
}

}  // namespace dvdi
