// One embedded runtime: the thread that runs JavaScript environments one
// after another (a fresh one after the watchdog, the heap limit,
// process.exit or an uncaught exception), the call table native threads
// submit to, and the host's log sink.
#ifndef DVDI_RUNTIME_H_INTERNAL
#define DVDI_RUNTIME_H_INTERNAL

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bridge.h"
#include "dvdi_runtime.h"
#include "params.h"

namespace node {
class MultiIsolatePlatform;
}

namespace dvdi {

class Environment;
class Watchdog;

class Runtime : public BridgeHost {
 public:
  Runtime(Parameters parameters, RuntimeOptions options, dvdi_log_fn log, void* log_context);
  ~Runtime() override;

  // Starts the thread and waits until JavaScript is ready; false with a
  // one-line reason (the thread has ended then).
  bool start(std::string* error);
  // Fails every call, ends the environment and joins the thread.
  void stop();

  const RuntimeOptions& options() const { return options_; }

  // Ends the current environment with cause (first cause wins), from any
  // thread; the runtime restarts it unless stopping.
  void end_environment(const std::string& cause);
  // The watchdog's tick: ping the environment, or end it when it has not
  // answered for longer than the timeout.
  void watch(std::chrono::milliseconds timeout);

  // BridgeHost
  const Parameters& parameters() const override { return parameters_; }
  void log(int level, const std::string& line) override;
  void ready() override;
  void fail(const std::string& message) override;
  bool ending() override;
  CallTable& calls() override { return calls_; }
  uint64_t restarts() const override { return restarts_; }

  // The BridgeHost handed to each environment's bridge; set by the handle
  // that owns this runtime.
  std::weak_ptr<Runtime> self;

 private:
  enum class Phase { starting, running, failed };

  void thread_main();
  std::string run_environment(node::MultiIsolatePlatform* platform);
  void start_failed(const std::string& reason);

  const Parameters parameters_;
  const RuntimeOptions options_;
  const dvdi_log_fn log_fn_;
  void* const log_context_;
  std::mutex log_mutex_;

  CallTable calls_;
  std::atomic<uint64_t> restarts_{0};

  std::mutex state_mutex_;
  std::condition_variable state_changed_;
  Phase phase_ = Phase::starting;
  std::string failure_;
  bool stopping_ = false;
  bool environment_ready_ = false;

  std::mutex env_mutex_;
  Environment* current_ = nullptr;
  std::string stop_request_;  // ends every environment as soon as it exists

  std::thread thread_;
  std::unique_ptr<Watchdog> watchdog_;
};

}  // namespace dvdi

#endif
