// dvdi_bridge.node: the bridge core as an ordinary Node-API addon, so tests
// drive it under the machine's Node from native threads. It exports
// createBridge(parameters): the object the embedded runtime hands to the
// bundle (docs/native.md §2), plus test hooks.
#include <napi.h>

#include <memory>
#include <mutex>

#include "bridge.h"
#include "test_calls.h"

namespace dvdi {
namespace {

class AddonHost : public BridgeHost {
 public:
  explicit AddonHost(Parameters parameters) : parameters_(std::move(parameters)) {}

  const Parameters& parameters() const override { return parameters_; }
  void log(int level, const std::string& line) override {
    std::lock_guard<std::mutex> lock(mutex_);
    logs_.emplace_back(level, line);
  }
  void ready() override {}
  bool ending() override { return false; }
  void fail(const std::string& message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = message;
  }
  CallTable& calls() override { return table_; }

  CallBatches& batches() { return batches_; }
  Napi::Value logs(Napi::Env env) {
    std::lock_guard<std::mutex> lock(mutex_);
    Napi::Array list = Napi::Array::New(env, logs_.size());
    for (uint32_t i = 0; i < logs_.size(); ++i) {
      Napi::Array entry = Napi::Array::New(env, 2);
      entry.Set(uint32_t{0}, logs_[i].first);
      entry.Set(uint32_t{1}, logs_[i].second);
      list.Set(i, entry);
    }
    return list;
  }
  Napi::Value failure(Napi::Env env) {
    std::lock_guard<std::mutex> lock(mutex_);
    return failure_.empty() ? env.Undefined() : Napi::String::New(env, failure_);
  }

 private:
  Parameters parameters_;
  std::mutex mutex_;
  std::vector<std::pair<int, std::string>> logs_;
  std::string failure_;
  CallBatches batches_;  // before table_: outlives it
  CallTable table_;
};

Parameters parameters_argument(const Napi::CallbackInfo& info) {
  Parameters parameters;
  if (info.Length() < 1 || info[0].IsUndefined()) return parameters;
  const char* usage = "createBridge(parameters?: [string, string][])";
  if (!info[0].IsArray()) throw Napi::TypeError::New(info.Env(), usage);
  Napi::Array list = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value pair = list.Get(i);
    if (!pair.IsArray()) throw Napi::TypeError::New(info.Env(), usage);
    Napi::Value key = pair.As<Napi::Array>().Get(uint32_t{0});
    Napi::Value value = pair.As<Napi::Array>().Get(uint32_t{1});
    if (!key.IsString() || !value.IsString()) throw Napi::TypeError::New(info.Env(), usage);
    parameters.emplace_back(key.As<Napi::String>(), value.As<Napi::String>());
  }
  return parameters;
}

Napi::Value create_bridge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto host = std::make_shared<AddonHost>(parameters_argument(info));
  std::shared_ptr<Bridge> bridge;
  Napi::Object object = Bridge::Create(env, host, false, &bridge);
  object.Set("makeCalls", Napi::Function::New(env, [host](const Napi::CallbackInfo& i) {
               return make_calls(i, host->calls(), host->batches(), host);
             }));
  object.Set("stop", Napi::Function::New(env, [host, bridge](const Napi::CallbackInfo&) {
               bridge->detach();
               host->calls().close("dvdi runtime stopped");
             }));
  object.Set("pending", Napi::Function::New(env, [host](const Napi::CallbackInfo& i) {
               return Napi::Number::New(i.Env(), static_cast<double>(host->calls().size()));
             }));
  object.Set("logs", Napi::Function::New(env, [host](const Napi::CallbackInfo& i) {
               return host->logs(i.Env());
             }));
  object.Set("failure", Napi::Function::New(env, [host](const Napi::CallbackInfo& i) {
               return host->failure(i.Env());
             }));
  return object;
}

}  // namespace
}  // namespace dvdi

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("createBridge", Napi::Function::New(env, dvdi::create_bridge, "createBridge"));
  return exports;
}

NODE_API_MODULE(dvdi_bridge, Init)
