// The floor of a host→runtime→host round trip: the same hand-off to one
// other thread and back (a queue under a mutex, a condition variable, a
// future, and the other thread watching for the next call for as long as the
// bridge's JS thread does), with nothing done there but copying the request.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace dvdi::bench {

class HandOff {
 public:
  HandOff();
  ~HandOff();
  HandOff(const HandOff&) = delete;
  HandOff& operator=(const HandOff&) = delete;

  // Echoes the request from the other thread; callable from any thread.
  std::string call(const std::string& request);

 private:
  struct Job {
    const std::string* request;
    std::promise<std::string>* reply;
  };

  void serve();

  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Job> queue_;
  std::atomic<uint64_t> pushed_{0};
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dvdi::bench
