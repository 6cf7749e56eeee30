#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "call_table.h"
#include "check.h"

using dvdi::CallTable;

namespace {

// One call's completions, as the table reported them.
struct Outcome {
  std::mutex mutex;
  int count = 0;
  int ok = -1;
  std::string data;
};

void record(void* context, int ok, const uint8_t* data, size_t size) {
  auto* outcome = static_cast<Outcome*>(context);
  std::lock_guard<std::mutex> lock(outcome->mutex);
  ++outcome->count;
  outcome->ok = ok;
  outcome->data.assign(reinterpret_cast<const char*>(data), size);
}

void submit(CallTable& table, int kind, const std::string& request, uint32_t timeout_ms,
            Outcome* outcome) {
  table.submit(kind, reinterpret_cast<const uint8_t*>(request.data()), request.size(), timeout_ms,
               record, outcome);
}

// Waits (without asserting how long) until the outcome has completed.
void await(Outcome& outcome) {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(outcome.mutex);
      if (outcome.count > 0) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace

TEST(completes_a_taken_call_once) {
  CallTable table;
  Outcome outcome;
  submit(table, 2, "request", 60000, &outcome);
  auto queued = table.take_queued();
  CHECK_EQ(queued.size(), size_t{1});
  CHECK_EQ(queued[0].kind, 2);
  CHECK_EQ(std::string(queued[0].request.begin(), queued[0].request.end()), std::string("request"));
  CHECK(table.take_queued().empty());
  CHECK(table.complete(queued[0].id, true, "response"));
  CHECK(!table.complete(queued[0].id, false, "late"));
  CHECK_EQ(outcome.count, 1);
  CHECK_EQ(outcome.ok, 1);
  CHECK_EQ(outcome.data, std::string("response"));
  CHECK_EQ(table.size(), size_t{0});
}

TEST(refuses_unknown_kinds_and_calls_after_close) {
  CallTable table;
  Outcome unknown, refused;
  submit(table, 7, "", 0, &unknown);
  CHECK_EQ(unknown.count, 1);
  CHECK_EQ(unknown.data, std::string("unknown call kind 7"));
  table.close("dvdi runtime stopped");
  submit(table, 1, "", 0, &refused);
  CHECK_EQ(refused.count, 1);
  CHECK_EQ(refused.ok, 0);
  CHECK_EQ(refused.data, std::string("dvdi runtime stopped"));
}

TEST(expires_calls_at_their_deadline) {
  CallTable table;
  Outcome outcome;
  submit(table, 3, "x", 20, &outcome);
  auto queued = table.take_queued();
  await(outcome);
  CHECK_EQ(outcome.ok, 0);
  CHECK_EQ(outcome.data, std::string("cleanup call timed out after 20 ms"));
  CHECK(!table.complete(queued[0].id, true, "late"));
  CHECK_EQ(outcome.count, 1);
}

// The timer keeps the wake-up it chose for a completed call: a later deadline
// submitted meanwhile does not wake it, and must still expire.
TEST(expires_a_later_deadline_submitted_while_the_timer_waits_for_a_gone_one) {
  Outcome first, second;
  CallTable table;
  submit(table, 3, "x", 30, &first);
  CHECK(table.complete(table.take_queued()[0].id, true, "done"));
  submit(table, 3, "x", 60, &second);
  await(second);
  CHECK_EQ(second.data, std::string("cleanup call timed out after 60 ms"));
  CHECK_EQ(first.data, std::string("done"));
}

// ... and an earlier one does wake it.
TEST(expires_an_earlier_deadline_before_a_later_one) {
  Outcome late, early;  // outlive the table, which fails late when it goes
  CallTable table;
  submit(table, 2, "x", 60000, &late);
  submit(table, 3, "x", 20, &early);
  await(early);
  CHECK_EQ(early.data, std::string("cleanup call timed out after 20 ms"));
  CHECK_EQ(late.count, 0);
}

TEST(default_deadline_applies_once_known) {
  CallTable table;
  Outcome outcome;
  submit(table, 1, "x", 0, &outcome);
  CHECK_EQ(table.size(), size_t{1});
  const uint32_t defaults[dvdi::kKindCount] = {10, 20, 30};
  table.set_default_timeouts(defaults);
  await(outcome);
  CHECK_EQ(outcome.data, std::string("recover call timed out after 10 ms"));
}

TEST(restart_fails_dispatched_calls_and_keeps_queued_ones) {
  CallTable table;
  Outcome dispatched, queued;
  submit(table, 2, "a", 60000, &dispatched);
  auto taken = table.take_queued();
  submit(table, 2, "b", 60000, &queued);
  table.fail_dispatched("restarted");
  CHECK_EQ(dispatched.count, 1);
  CHECK_EQ(dispatched.data, std::string("restarted"));
  CHECK_EQ(queued.count, 0);
  auto next = table.take_queued();
  CHECK_EQ(next.size(), size_t{1});
  CHECK(table.complete(next[0].id, true, "done"));
  CHECK_EQ(queued.count, 1);
}

TEST(requeued_calls_are_taken_again) {
  CallTable table;
  Outcome outcome;
  submit(table, 1, "again", 60000, &outcome);
  auto taken = table.take_queued();
  table.requeue(std::move(taken[0]));
  table.fail_dispatched("restarted");
  CHECK_EQ(outcome.count, 0);
  auto again = table.take_queued();
  CHECK_EQ(again.size(), size_t{1});
  CHECK_EQ(std::string(again[0].request.begin(), again[0].request.end()), std::string("again"));
  table.close("stopped");
  CHECK_EQ(outcome.count, 1);
}

TEST(notifies_once_until_the_queue_is_taken) {
  CallTable table;
  std::atomic<int> wakes{0};
  int owner;
  table.set_notifier(&owner, [&wakes] { ++wakes; });
  Outcome a, b, c;
  submit(table, 1, "", 60000, &a);
  submit(table, 1, "", 60000, &b);
  CHECK_EQ(wakes.load(), 1);
  table.take_queued();
  submit(table, 1, "", 60000, &c);
  CHECK_EQ(wakes.load(), 2);
  table.clear_notifier(&owner);
  table.take_queued();
  submit(table, 1, "", 60000, &c);
  CHECK_EQ(wakes.load(), 2);
  table.close("stopped");
}

TEST(many_threads_each_call_completes_exactly_once) {
  constexpr int kThreads = 4, kCalls = 5000;
  std::vector<Outcome> outcomes(kThreads * kCalls);
  {
    CallTable table;
    std::atomic<bool> done{false};
    // Completes what it takes, while the timer expires the short deadlines.
    std::thread consumer([&] {
      while (!done) {
        for (auto& call : table.take_queued()) table.complete(call.id, true, "ok");
      }
    });
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
      producers.emplace_back([&, t] {
        for (int i = 0; i < kCalls; ++i) {
          submit(table, 1 + i % 3, "r", i % 2 ? 1 : 60000, &outcomes[t * kCalls + i]);
        }
      });
    }
    for (auto& p : producers) p.join();
    while (table.size() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    done = true;
    consumer.join();
  }
  int wrong = 0;
  for (int i = 0; i < kThreads * kCalls; ++i) {
    Outcome& o = outcomes[i];
    bool timed_out = o.ok == 0 && o.data.find("timed out after 1 ms") != std::string::npos;
    if (o.count != 1 || !(o.ok == 1 || timed_out) || (timed_out && i % kCalls % 2 == 0)) ++wrong;
  }
  CHECK_EQ(wrong, 0);
}

TEST(a_call_submitted_while_watching_is_taken_without_a_wake) {
  CallTable table;
  std::atomic<int> wakes{0};
  int owner;
  table.set_notifier(&owner, [&wakes] { ++wakes; });
  Outcome a;
  std::thread caller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    submit(table, 3, "late", 60000, &a);
  });
  auto queued = table.await_queued(std::chrono::seconds(30));
  caller.join();
  CHECK_EQ(queued.size(), size_t{1});
  CHECK_EQ(wakes.load(), 0);
  // Once watching ended, a call wakes the thread again.
  CHECK(table.await_queued(std::chrono::nanoseconds(0)).empty());
  Outcome b;
  submit(table, 3, "next", 60000, &b);
  CHECK_EQ(wakes.load(), 1);
  table.close("stopped");
}

TEST(a_consumer_that_watches_then_sleeps_misses_no_call) {
  constexpr int kThreads = 3, kCalls = 3000;
  std::vector<Outcome> outcomes(kThreads * kCalls);
  CallTable table;
  std::mutex mutex;
  std::condition_variable woken;
  bool wake = false, stop = false;
  int owner;
  table.set_notifier(&owner, [&] {
    std::lock_guard<std::mutex> lock(mutex);
    wake = true;
    woken.notify_one();
  });
  // As the bridge's JS thread: sleeps until woken, answers, watches a while (0 to 20 µs), sleeps again.
  std::thread consumer([&] {
    unsigned spin = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        woken.wait(lock, [&] { return wake || stop; });
        if (stop) return;
        wake = false;
      }
      auto calls = table.take_queued();
      while (!calls.empty()) {
        for (auto& call : calls) table.complete(call.id, true, "ok");
        calls = table.await_queued(std::chrono::microseconds(spin++ % 21));
      }
    }
  });
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        submit(table, 2, "r", 60000, &outcomes[t * kCalls + i]);
        if (i % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds(i % 50));
      }
    });
  }
  for (auto& p : producers) p.join();
  // A missed wake leaves a call in the table; bounded, so the test fails instead of hanging.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (table.size() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK_EQ(table.size(), size_t{0});
  {
    std::lock_guard<std::mutex> lock(mutex);
    stop = true;
    woken.notify_one();
  }
  consumer.join();
  int wrong = 0;
  for (Outcome& o : outcomes) wrong += o.count != 1 || o.ok != 1;
  CHECK_EQ(wrong, 0);
}
