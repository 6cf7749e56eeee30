#include "runtime.h"

#include <algorithm>

#include "environment.h"
#include "node_process.h"
#include "watchdog.h"

namespace dvdi {

Runtime::Runtime(Parameters parameters, RuntimeOptions options, dvdi_log_fn log, void* log_context)
    : parameters_(std::move(parameters)),
      options_(std::move(options)),
      log_fn_(log),
      log_context_(log_context) {}

Runtime::~Runtime() { stop(); }

bool Runtime::start(std::string* error) {
  watchdog_ = std::make_unique<Watchdog>(*this, std::chrono::seconds(options_.watchdog_timeout_s));
  thread_ = std::thread([this] { thread_main(); });
  std::unique_lock<std::mutex> lock(state_mutex_);
  if (state_changed_.wait_for(lock, std::chrono::seconds(options_.start_timeout_s),
                              [this] { return phase_ != Phase::starting; })) {
    if (phase_ == Phase::running) return true;
    *error = failure_;
  } else {
    *error = "JavaScript was not ready after " + std::to_string(options_.start_timeout_s) +
             " s (start_timeout)";
  }
  lock.unlock();
  stop();
  return false;
}

void Runtime::stop() {
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    stopping_ = true;
  }
  state_changed_.notify_all();
  calls_.close("dvdi runtime stopped");
  {
    std::lock_guard<std::mutex> lock(env_mutex_);
    stop_request_ = "the runtime was stopped";
    if (current_) current_->stop(stop_request_);
  }
  if (thread_.joinable()) thread_.join();
  watchdog_.reset();
}

void Runtime::end_environment(const std::string& cause) {
  std::lock_guard<std::mutex> lock(env_mutex_);
  if (current_) current_->stop(cause);
}

void Runtime::watch(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(env_mutex_);
  if (!current_) return;
  if (current_->silence() < timeout) {
    current_->ping();
    return;
  }
  current_->stop("the event loop did not answer for " + std::to_string(timeout.count() / 1000) +
                 " s (watchdog_timeout)");
}

void Runtime::log(int level, const std::string& line) {
  if (!log_fn_) return;
  std::lock_guard<std::mutex> lock(log_mutex_);
  size_t start = 0;
  do {
    size_t end = std::min(line.find('\n', start), line.size());
    log_fn_(log_context_, level, line.substr(start, end - start).c_str());
    start = end + 1;
  } while (start < line.size());
}

void Runtime::ready() {
  bool restarted;
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    environment_ready_ = true;
    restarted = phase_ == Phase::running;
    phase_ = Phase::running;
  }
  state_changed_.notify_all();
  if (restarted) log(DVDI_LOG_INFO, "dvdi runtime: JavaScript is ready again");
}

void Runtime::fail(const std::string& message) { end_environment(message); }

bool Runtime::ending() {
  Environment* environment = Environment::current();
  return environment != nullptr && environment->ending();
}

void Runtime::start_failed(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    phase_ = Phase::failed;
    failure_ = reason;
  }
  state_changed_.notify_all();
}

void Runtime::thread_main() {
  std::string error;
  node::MultiIsolatePlatform* platform = node_platform(&error);
  if (!platform) {
    start_failed(error);
    return;
  }
  // An environment that ends before it is ready would most likely end again
  // at once (an unreadable checkpoint): wait longer before each such retry.
  std::chrono::seconds retry_delay(1);
  for (;;) {
    std::string cause = run_environment(platform);
    std::unique_lock<std::mutex> lock(state_mutex_);
    if (phase_ == Phase::starting) {
      lock.unlock();
      start_failed(cause);
      return;
    }
    if (stopping_) return;
    bool was_ready = environment_ready_;
    environment_ready_ = false;
    lock.unlock();

    calls_.fail_dispatched("dvdi runtime restarted while the call was in flight: " + cause);
    log(DVDI_LOG_WARNING, "dvdi runtime: restarting JavaScript: " + cause);
    ++restarts_;
    if (was_ready) {
      retry_delay = std::chrono::seconds(1);
      continue;
    }
    lock.lock();
    if (state_changed_.wait_for(lock, retry_delay, [this] { return stopping_; })) return;
    retry_delay = std::min(retry_delay * 2, std::chrono::seconds(30));
  }
}

std::string Runtime::run_environment(node::MultiIsolatePlatform* platform) {
  Environment environment(*this);
  std::string error;
  if (!environment.create(platform, options_.heap_limit_mb, &error)) return error;
  {
    std::lock_guard<std::mutex> lock(env_mutex_);
    current_ = &environment;
    if (!stop_request_.empty()) environment.stop(stop_request_);
  }
  std::string cause = environment.run();
  std::lock_guard<std::mutex> lock(env_mutex_);
  current_ = nullptr;
  return cause;
}

}  // namespace dvdi
