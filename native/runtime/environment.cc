#include "environment.h"

#include <node.h>
#include <uv.h>

#include <algorithm>

#include "bootstrap.h"

namespace dvdi {

namespace {

thread_local Environment* t_current = nullptr;

std::chrono::steady_clock::rep now_ticks() {
  return std::chrono::steady_clock::now().time_since_epoch().count();
}

}  // namespace

Environment* Environment::current() { return t_current; }

Environment::Environment(Runtime& runtime) : runtime_(runtime), pong_(new uv_async_t) {}

Environment::~Environment() {
  // CommonEnvironmentSetup's destructor takes the isolate's lock itself.
  setup_.reset();
}

bool Environment::create(node::MultiIsolatePlatform* platform, uint32_t heap_limit_mb,
                         std::string* error) {
  // Read by V8 when it sizes the new isolate's heap.
  std::string heap_flag = "--max-old-space-size=" + std::to_string(heap_limit_mb);
  v8::V8::SetFlagsFromString(heap_flag.c_str(), heap_flag.size());
  std::vector<std::string> errors;
  // No inspector (it would listen on SIGUSR1), no global module paths, no
  // native addons; without kOwnsProcessState JavaScript cannot change the
  // process's working directory, umask or credentials. Tracked fds are
  // closed with the environment: a restart leaks none, nor a lock held by one.
  auto flags = static_cast<node::EnvironmentFlags::Flags>(
      node::EnvironmentFlags::kNoCreateInspector | node::EnvironmentFlags::kNoGlobalSearchPaths |
      node::EnvironmentFlags::kNoNativeAddons | node::EnvironmentFlags::kTrackUnmanagedFds);
  setup_ = node::CommonEnvironmentSetup::Create(platform, &errors, std::vector<std::string>{"dvdi-runtime"},
                                                std::vector<std::string>{}, flags);
  if (!setup_) {
    *error = "cannot create a JavaScript environment";
    for (const std::string& e : errors) *error += ": " + e;
    return false;
  }
  uv_async_init(setup_->event_loop(), pong_.get(), on_pong);
  pong_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(pong_.get()));
  pong_open_ = true;

  // Without it a heap exhaustion aborts the host.
  setup_->isolate()->AddNearHeapLimitCallback(near_heap_limit, this);
  node::SetProcessExitHandler(setup_->env(), [this](node::Environment*, int code) {
    stop("JavaScript called process.exit(" + std::to_string(code) + ")");
  });
  node::AddLinkedBinding(setup_->env(), "dvdi_bridge", init_bridge_binding);
  node::AddLinkedBinding(setup_->env(), "dvdi_runtime", init_runtime_binding);
  return true;
}

std::string Environment::run() {
  t_current = this;
  {
    v8::Isolate* isolate = setup_->isolate();
    v8::Locker locker(isolate);
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handle_scope(isolate);
    v8::Context::Scope context_scope(setup_->context());
    if (!node::LoadEnvironment(setup_->env(), bootstrap_source()).IsEmpty()) {
      node::SpinEventLoop(setup_->env());
    } else {
      stop("the bootstrap script failed");
    }
    detach_bridge(bridge_);
    {
      std::lock_guard<std::mutex> lock(pong_mutex_);
      pong_open_ = false;
    }
    // Closed before the loop is: a handle left open aborts the teardown.
    uv_close(reinterpret_cast<uv_handle_t*>(pong_.get()), nullptr);
    uv_run(setup_->event_loop(), UV_RUN_NOWAIT);
  }
  t_current = nullptr;
  std::lock_guard<std::mutex> lock(cause_mutex_);
  return cause_.empty() ? "JavaScript's event loop ran out of work before ready()" : cause_;
}

void Environment::stop(const std::string& cause) {
  {
    std::lock_guard<std::mutex> lock(cause_mutex_);
    if (cause_.empty()) cause_ = cause;
  }
  node::Stop(setup_->env());
}

bool Environment::ending() {
  std::lock_guard<std::mutex> lock(cause_mutex_);
  return !cause_.empty();
}

void Environment::ping() {
  std::lock_guard<std::mutex> lock(pong_mutex_);
  if (!pong_open_ || awaiting_pong_) return;
  ping_sent_ = now_ticks();
  awaiting_pong_ = true;
  uv_async_send(pong_.get());
}

std::chrono::milliseconds Environment::silence() const {
  if (!awaiting_pong_) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::duration(now_ticks() - ping_sent_));
}

void Environment::on_pong(uv_async_t* handle) {
  static_cast<Environment*>(handle->data)->awaiting_pong_ = false;
}

size_t Environment::near_heap_limit(void* data, size_t current, size_t initial) {
  static_cast<Environment*>(data)->stop("the JavaScript heap reached its limit of " +
                                        std::to_string(initial >> 20) + " MB");
  // Room for the terminated script to unwind; V8 aborts if it has none.
  return current + std::max<size_t>(current / 2, size_t{64} << 20);
}

}  // namespace dvdi
