#include "hand_off.h"

#include "call_table.h"

namespace dvdi::bench {

HandOff::HandOff() : thread_([this] { serve(); }) {}

HandOff::~HandOff() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_one();
  thread_.join();
}

std::string HandOff::call(const std::string& request) {
  std::promise<std::string> reply;
  std::future<std::string> outcome = reply.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back({&request, &reply});
  }
  pushed_.fetch_add(1, std::memory_order_release);
  queued_.notify_one();
  return outcome.get();
}

void HandOff::serve() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    Job job = queue_.front();
    queue_.pop_front();
    const uint64_t seen = pushed_.load(std::memory_order_relaxed);
    lock.unlock();
    job.reply->set_value(*job.request);
    // As CallTable::await_queued after an answer.
    watch_count(pushed_, seen, kAnswerSpin);
    lock.lock();
  }
}

}  // namespace dvdi::bench
