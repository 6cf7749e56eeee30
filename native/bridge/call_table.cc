#include "call_table.h"

namespace dvdi {

namespace {

void finish(DoneFn done, void* context, bool ok, const std::string& text) {
  done(context, ok ? 1 : 0, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace

const char* kind_name(int kind) {
  static const char* const names[kKindCount] = {"recover", "prepare", "cleanup", "status"};
  return kind >= 1 && kind <= kKindCount ? names[kind - 1] : nullptr;
}

CallTable::CallTable() : timer_([this] { expire_loop(); }) {}

CallTable::~CallTable() {
  close("dvdi runtime stopped");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    timer_exit_ = true;
  }
  timer_wake_.notify_all();
  timer_.join();
}

void CallTable::submit(int kind, const uint8_t* request, size_t size, uint32_t timeout_ms,
                       DoneFn done, void* context) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (closed_ || kind_name(kind) == nullptr) {
    std::string message =
        closed_ ? closed_message_ : "unknown call kind " + std::to_string(kind);
    lock.unlock();
    finish(done, context, false, message);
    return;
  }
  uint64_t id = next_id_++;
  Entry& entry = calls_[id];
  entry.kind = kind;
  entry.timeout_ms = timeout_ms;
  entry.submitted = Clock::now();
  entry.request.assign(request, request + size);
  entry.done = done;
  entry.context = context;
  set_deadline(id, entry);
  queued_count_.fetch_add(1, std::memory_order_release);
  if (notify_ && !wake_pending_ && !watching_) {
    wake_pending_ = true;
    notify_();
  }
}

void CallTable::set_deadline(uint64_t id, Entry& entry) {
  uint32_t timeout = entry.timeout_ms ? entry.timeout_ms : default_timeout_ms_[entry.kind - 1];
  if (timeout == 0) {
    entry.deadline = Clock::time_point::max();
    return;
  }
  entry.deadline = entry.submitted + std::chrono::milliseconds(timeout);
  deadlines_.emplace(entry.deadline, id);
  // Not once a call: a wake-up each would cost every call a context switch.
  if (entry.deadline < timer_until_) {
    timer_until_ = entry.deadline;
    timer_wake_.notify_one();
  }
}

std::vector<QueuedCall> CallTable::take_queued() {
  std::lock_guard<std::mutex> lock(mutex_);
  return take_queued_locked();
}

std::vector<QueuedCall> CallTable::await_queued(std::chrono::nanoseconds spin) {
  uint64_t seen;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return {};
    watching_ = true;
    seen = taken_count_;
  }
  watch_count(queued_count_, seen, spin);
  // Under the lock: a call submitted from here on finds watching_ false and wakes the thread.
  std::lock_guard<std::mutex> lock(mutex_);
  watching_ = false;
  return take_queued_locked();
}

std::vector<QueuedCall> CallTable::take_queued_locked() {
  wake_pending_ = false;
  taken_count_ = queued_count_.load(std::memory_order_relaxed);
  std::vector<QueuedCall> queued;
  for (auto& [id, entry] : calls_) {
    if (entry.dispatched) continue;
    entry.dispatched = true;
    queued.push_back(QueuedCall{id, entry.kind, std::move(entry.request)});
  }
  return queued;
}

void CallTable::requeue(QueuedCall&& call) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = calls_.find(call.id);
  if (it == calls_.end()) return;
  it->second.dispatched = false;
  it->second.request = std::move(call.request);
  queued_count_.fetch_add(1, std::memory_order_release);
}

bool CallTable::complete(uint64_t id, bool ok, const uint8_t* data, size_t size) {
  DoneFn done;
  void* context;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = calls_.find(id);
    if (it == calls_.end()) return false;
    done = it->second.done;
    context = it->second.context;
    deadlines_.erase({it->second.deadline, id});
    calls_.erase(it);
  }
  done(context, ok ? 1 : 0, data, size);
  return true;
}

bool CallTable::complete(uint64_t id, bool ok, const std::string& text) {
  return complete(id, ok, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

void CallTable::set_notifier(const void* owner, std::function<void()> notify) {
  std::lock_guard<std::mutex> lock(mutex_);
  notifier_owner_ = owner;
  notify_ = std::move(notify);
  wake_pending_ = false;
}

void CallTable::clear_notifier(const void* owner) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (notifier_owner_ != owner) return;
  notifier_owner_ = nullptr;
  notify_ = nullptr;
  wake_pending_ = false;
}

void CallTable::set_default_timeouts(const uint32_t (&timeout_ms)[kKindCount]) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int i = 0; i < kKindCount; ++i) default_timeout_ms_[i] = timeout_ms[i];
  for (auto& [id, entry] : calls_) {
    if (entry.timeout_ms == 0 && entry.deadline == Clock::time_point::max()) set_deadline(id, entry);
  }
}

std::vector<CallTable::Entry> CallTable::remove_if_locked(
    const std::function<bool(const Entry&)>& which) {
  std::vector<Entry> removed;
  for (auto it = calls_.begin(); it != calls_.end();) {
    if (which(it->second)) {
      deadlines_.erase({it->second.deadline, it->first});
      removed.push_back(std::move(it->second));
      it = calls_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

void CallTable::fail_dispatched(const std::string& message) {
  std::vector<Entry> failed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failed = remove_if_locked([](const Entry& e) { return e.dispatched; });
  }
  for (const Entry& e : failed) finish(e.done, e.context, false, message);
}

void CallTable::close(const std::string& message) {
  std::vector<Entry> failed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closed_) {
      closed_ = true;
      closed_message_ = message;
    }
    failed = remove_if_locked([](const Entry&) { return true; });
  }
  for (const Entry& e : failed) finish(e.done, e.context, false, message);
}

size_t CallTable::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return calls_.size();
}

void CallTable::expire_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!timer_exit_) {
    const Clock::time_point now = Clock::now();
    std::vector<std::pair<Entry, std::string>> expired;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      auto it = calls_.find(deadlines_.begin()->second);
      deadlines_.erase(deadlines_.begin());
      Entry& e = it->second;
      uint32_t timeout = e.timeout_ms ? e.timeout_ms : default_timeout_ms_[e.kind - 1];
      std::string message =
          std::string(kind_name(e.kind)) + " call timed out after " + std::to_string(timeout) + " ms";
      expired.emplace_back(std::move(e), std::move(message));
      calls_.erase(it);
    }
    if (!expired.empty()) {
      lock.unlock();
      for (const auto& [e, message] : expired) finish(e.done, e.context, false, message);
      lock.lock();
      continue;  // the table changed meanwhile
    }
    timer_until_ = deadlines_.empty() ? Clock::time_point::max() : deadlines_.begin()->first;
    if (timer_until_ == Clock::time_point::max()) {
      timer_wake_.wait(lock);
    } else {
      timer_wake_.wait_until(lock, timer_until_);
    }
  }
}

}  // namespace dvdi
