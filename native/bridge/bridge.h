// The Node-API bridge core: the `dvdi_bridge` object JavaScript receives
// (docs/native.md §2) and the delivery of queued calls to its handlers on the
// JS thread. The embedded runtime registers it as a linked binding; the addon
// (binding.gyp) builds the same source for Node 20 tests.
//
// Compiled with NAPI_CPP_EXCEPTIONS and NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS:
// every entry point from Node catches what it throws, so no C++ exception
// reaches Node's C code, and a stop during a call cannot abort the host.
#ifndef DVDI_BRIDGE_H
#define DVDI_BRIDGE_H

#include <napi.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "call_table.h"

namespace dvdi {

using Parameters = std::vector<std::pair<std::string, std::string>>;

// What the bridge needs from whoever embeds it (the runtime, the addon).
class BridgeHost {
 public:
  virtual ~BridgeHost() = default;
  virtual const Parameters& parameters() const = 0;
  virtual void log(int level, const std::string& line) = 0;
  // JavaScript called ready(): the default timeouts are set, calls flow.
  virtual void ready() = 0;
  // JavaScript called fail(message): the isolator cannot open.
  virtual void fail(const std::string& message) = 0;
  // On the JS thread: true once this environment is being stopped. Its calls
  // are then left to the host, which fails them with the reason it stopped.
  virtual bool ending() = 0;
  virtual CallTable& calls() = 0;
  // JavaScript environments restarted before this one (the agent's metrics report it).
  virtual uint64_t restarts() const { return 0; }
};

class Bridge : public std::enable_shared_from_this<Bridge> {
 public:
  // The bridge object for one JS environment. keep_loop_alive: whether the
  // pending-call wake-up keeps the event loop running (the embedded runtime
  // yes; an addon must not hold its host process open).
  static Napi::Object Create(Napi::Env env, std::shared_ptr<BridgeHost> host, bool keep_loop_alive,
                             std::shared_ptr<Bridge>* bridge = nullptr);

  // On the JS thread: stop taking calls from the table.
  void detach();

 private:
  Bridge(std::shared_ptr<BridgeHost> host, bool keep_loop_alive);
  Napi::Value parameters(const Napi::CallbackInfo& info);
  void log(const Napi::CallbackInfo& info);
  void register_handlers(const Napi::CallbackInfo& info);
  void ready(const Napi::CallbackInfo& info);
  void fail(const Napi::CallbackInfo& info);

  void dispatch(Napi::Env env);
  // True when the call was answered before returning (no promise to wait for).
  bool invoke(Napi::Env env, QueuedCall& call);
  void settle_when_done(Napi::Env env, Napi::Object promise, uint64_t id, int kind);
  static void on_wake(napi_env env, napi_value, void* context, void*);
  static void on_wake_finalized(napi_env, void* data, void*);

  std::shared_ptr<BridgeHost> host_;
  bool keep_loop_alive_;
  Napi::FunctionReference handlers_[kKindCount];
  Napi::FunctionReference on_promise_;  // (promise, id, kind): settles the call with the promise
  bool ready_ = false;
  napi_threadsafe_function wake_ = nullptr;
};

}  // namespace dvdi

#endif
