// The calls native threads make into JavaScript, from submission to their one
// completion. Plain C++17, no Node: the Node-API side (bridge.h) takes queued
// calls on the JS thread and completes them; a timer thread here fails the
// ones whose deadline passes. Whoever removes a call from the table first
// completes it, so every call completes exactly once.
#ifndef DVDI_CALL_TABLE_H
#define DVDI_CALL_TABLE_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dvdi {

// Same shape as dvdi_done_fn in dvdi_runtime.h.
using DoneFn = void (*)(void* context, int ok, const uint8_t* data, size_t size);

// Call kinds are DVDI_CALL_RECOVER..DVDI_CALL_STATUS (1..4).
constexpr int kKindCount = 4;
constexpr int kStatusKind = 4;  // DVDI_CALL_STATUS
const char* kind_name(int kind);  // "recover", "prepare", "cleanup", "status" or nullptr

// How long the JS thread watches for the next call after answering one at
// once: a caller's next call often follows its answer within microseconds,
// and waking a sleeping thread costs more than that on an idle host.
constexpr std::chrono::microseconds kAnswerSpin{50};

// Spins, without sleeping or a system call, until `count` is no longer
// `seen` or `spin` has passed (the bench's floor watches the same way).
inline void watch_count(const std::atomic<uint64_t>& count, uint64_t seen, std::chrono::nanoseconds spin) {
  const auto until = std::chrono::steady_clock::now() + spin;
  while (count.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

struct QueuedCall {
  uint64_t id;
  int kind;
  std::vector<uint8_t> request;
};

class CallTable {
 public:
  using Clock = std::chrono::steady_clock;

  CallTable();
  ~CallTable();  // fails what is left, like close()
  CallTable(const CallTable&) = delete;
  CallTable& operator=(const CallTable&) = delete;

  // Queues a call; done runs at once, on this thread, if the table is closed
  // or the kind unknown. timeout_ms 0: the default for the kind, once known.
  void submit(int kind, const uint8_t* request, size_t size, uint32_t timeout_ms, DoneFn done,
              void* context);

  // The calls not yet handed to JavaScript, now marked dispatched.
  std::vector<QueuedCall> take_queued();
  // The calls queued within `spin` (or none), taken as take_queued() does;
  // the caller watches meanwhile without sleeping, and submit() skips the
  // wake-up it would need.
  std::vector<QueuedCall> await_queued(std::chrono::nanoseconds spin);
  // Gives back a taken call JavaScript never saw (its environment is ending),
  // for the next environment; nothing when it has completed meanwhile.
  void requeue(QueuedCall&& call);

  // Completes a call; false when it has already completed (deadline, stop).
  bool complete(uint64_t id, bool ok, const uint8_t* data, size_t size);
  bool complete(uint64_t id, bool ok, const std::string& text);

  // Called (under the table's lock, so it must only wake another thread) when
  // calls are queued; owner identifies whoever set it, for clear_notifier.
  void set_notifier(const void* owner, std::function<void()> notify);
  void clear_notifier(const void* owner);

  // Defaults for calls submitted with timeout_ms 0, indexed by kind - 1.
  void set_default_timeouts(const uint32_t (&timeout_ms)[kKindCount]);

  // Fails the calls JavaScript was working on (its environment is gone);
  // queued calls stay for the next one.
  void fail_dispatched(const std::string& message);

  // Fails every call and refuses later ones with message.
  void close(const std::string& message);

  size_t size();

 private:
  struct Entry {
    int kind;
    uint32_t timeout_ms;
    Clock::time_point submitted;
    Clock::time_point deadline;  // max() until a default timeout is known
    bool dispatched = false;
    std::vector<uint8_t> request;
    DoneFn done;
    void* context;
  };
  using Deadlines = std::set<std::pair<Clock::time_point, uint64_t>>;

  void set_deadline(uint64_t id, Entry& entry);
  std::vector<QueuedCall> take_queued_locked();
  std::vector<Entry> remove_if_locked(const std::function<bool(const Entry&)>& which);
  void expire_loop();

  std::mutex mutex_;
  std::condition_variable timer_wake_;
  std::map<uint64_t, Entry> calls_;
  Deadlines deadlines_;
  uint64_t next_id_ = 1;
  uint32_t default_timeout_ms_[kKindCount] = {0, 0, 0, 0};
  bool closed_ = false;
  bool timer_exit_ = false;
  // When the timer thread wakes next by itself: kept after the call it was
  // for completes, so only an earlier deadline needs to wake it.
  Clock::time_point timer_until_ = Clock::time_point::max();
  std::string closed_message_;
  bool wake_pending_ = false;
  bool watching_ = false;                  // await_queued() is spinning
  std::atomic<uint64_t> queued_count_{0};  // calls queued so far, for await_queued()
  uint64_t taken_count_ = 0;               // queued_count_ when calls were last taken
  const void* notifier_owner_ = nullptr;
  std::function<void()> notify_;
  std::thread timer_;
};

}  // namespace dvdi

#endif
