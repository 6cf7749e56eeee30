#include "bridge.h"

#include <cmath>
#include <cstring>

namespace dvdi {

namespace {

// A thrown or rejected value as one line: an Error's message, else String(v).
std::string describe(Napi::Value value) {
  try {
    if (value.IsObject()) {
      Napi::Value message = value.As<Napi::Object>().Get("message");
      if (message.IsString()) return message.As<Napi::String>().Utf8Value();
    }
    return value.ToString().Utf8Value();
  } catch (...) {
    return "a value that cannot be shown";
  }
}

const char* type_name(Napi::Value value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    default: return "an object";
  }
}

std::string failure(int kind, Napi::Value error) {
  return std::string(kind_name(kind)) + " handler failed: " + describe(error);
}

// Completes a call with a handler's result, which must be a Uint8Array.
void settle(CallTable& table, uint64_t id, int kind, Napi::Value result) {
  if (result.IsTypedArray() && result.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    Napi::Uint8Array bytes = result.As<Napi::Uint8Array>();
    table.complete(id, true, bytes.Data(), bytes.ByteLength());
    return;
  }
  table.complete(id, false, std::string(kind_name(kind)) + " handler returned " +
                                type_name(result) + ", not a Uint8Array");
}

Napi::Object object_argument(const Napi::CallbackInfo& info, const char* usage) {
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(info.Env(), usage);
  return info[0].As<Napi::Object>();
}

std::string string_argument(const Napi::CallbackInfo& info, size_t index, const char* usage) {
  if (info.Length() <= index || !info[index].IsString()) throw Napi::TypeError::New(info.Env(), usage);
  return info[index].As<Napi::String>().Utf8Value();
}

// A bundle may leave out the status handler; its calls then fail (invoke).
bool optional_kind(int kind) { return kind == kStatusKind; }

}  // namespace

Bridge::Bridge(std::shared_ptr<BridgeHost> host, bool keep_loop_alive)
    : host_(std::move(host)), keep_loop_alive_(keep_loop_alive) {}

Napi::Object Bridge::Create(Napi::Env env, std::shared_ptr<BridgeHost> host, bool keep_loop_alive,
                            std::shared_ptr<Bridge>* out) {
  std::shared_ptr<Bridge> self(new Bridge(std::move(host), keep_loop_alive));
  if (out) *out = self;
  Napi::Object object = Napi::Object::New(env);
  object.Set("parameters", Napi::Function::New(
                               env, [self](const Napi::CallbackInfo& i) { return self->parameters(i); },
                               "parameters"));
  object.Set("log", Napi::Function::New(
                        env, [self](const Napi::CallbackInfo& i) { self->log(i); }, "log"));
  object.Set("register",
             Napi::Function::New(
                 env, [self](const Napi::CallbackInfo& i) { self->register_handlers(i); }, "register"));
  object.Set("ready", Napi::Function::New(
                          env, [self](const Napi::CallbackInfo& i) { self->ready(i); }, "ready"));
  object.Set("fail", Napi::Function::New(
                         env, [self](const Napi::CallbackInfo& i) { self->fail(i); }, "fail"));
  object.Set("restarts", Napi::Number::New(env, static_cast<double>(self->host_->restarts())));
  return object;
}

Napi::Value Bridge::parameters(const Napi::CallbackInfo& info) {
  const Parameters& parameters = host_->parameters();
  Napi::Array list = Napi::Array::New(info.Env(), parameters.size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    Napi::Array pair = Napi::Array::New(info.Env(), 2);
    pair.Set(uint32_t{0}, parameters[i].first);
    pair.Set(uint32_t{1}, parameters[i].second);
    list.Set(static_cast<uint32_t>(i), pair);
  }
  return list;
}

void Bridge::log(const Napi::CallbackInfo& info) {
  const char* usage = "log(level: 0 | 1 | 2, line: string)";
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), usage);
  int32_t level = info[0].As<Napi::Number>().Int32Value();
  if (level < 0 || level > 2) throw Napi::TypeError::New(info.Env(), usage);
  host_->log(level, string_argument(info, 1, usage));
}

void Bridge::register_handlers(const Napi::CallbackInfo& info) {
  Napi::Object handlers =
      object_argument(info, "register({ recover, prepare, cleanup, status? }) takes the handlers");
  Napi::Function found[kKindCount];
  for (int kind = 1; kind <= kKindCount; ++kind) {
    Napi::Value handler = handlers.Get(kind_name(kind));
    if (optional_kind(kind) && handler.IsUndefined()) continue;
    if (!handler.IsFunction()) {
      throw Napi::TypeError::New(info.Env(),
                                 std::string("register: ") + kind_name(kind) + " must be a function");
    }
    found[kind - 1] = handler.As<Napi::Function>();
  }
  for (int i = 0; i < kKindCount; ++i) {
    handlers_[i] = found[i].IsEmpty() ? Napi::FunctionReference() : Napi::Persistent(found[i]);
  }
}

void Bridge::ready(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object defaults =
      object_argument(info, "ready({ recover, prepare, cleanup }) takes the default deadlines in ms");
  if (handlers_[0].IsEmpty()) throw Napi::Error::New(env, "ready() before register()");
  uint32_t timeouts[kKindCount] = {};
  for (int kind = 1; kind <= kKindCount; ++kind) {
    Napi::Value value = defaults.Get(kind_name(kind));
    // Without a default, a status call has only the deadline its caller gives.
    if (optional_kind(kind) && value.IsUndefined()) continue;
    double ms = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : NAN;
    if (!(ms >= 1 && ms <= UINT32_MAX)) {
      throw Napi::TypeError::New(
          env, std::string("ready: ") + kind_name(kind) + " must be a deadline in ms (1 or more)");
    }
    timeouts[kind - 1] = static_cast<uint32_t>(ms);
  }
  host_->calls().set_default_timeouts(timeouts);
  if (ready_) return;

  auto* holder = new std::shared_ptr<Bridge>(shared_from_this());
  napi_status status = napi_create_threadsafe_function(
      env, nullptr, nullptr, Napi::String::New(env, "dvdi_bridge"), 0, 1, holder, on_wake_finalized,
      this, on_wake, &wake_);
  if (status != napi_ok) {
    delete holder;
    throw Napi::Error::New(env, "ready: cannot create the call wake-up");
  }
  if (!keep_loop_alive_) napi_unref_threadsafe_function(env, wake_);
  ready_ = true;
  napi_threadsafe_function wake = wake_;
  host_->calls().set_notifier(
      this, [wake] { napi_call_threadsafe_function(wake, nullptr, napi_tsfn_nonblocking); });
  host_->ready();
  dispatch(env);
}

void Bridge::fail(const Napi::CallbackInfo& info) {
  host_->fail(string_argument(info, 0, "fail(message: string)"));
}

void Bridge::detach() {
  host_->calls().clear_notifier(this);
  ready_ = false;
  if (wake_ != nullptr) {
    napi_release_threadsafe_function(wake_, napi_tsfn_abort);
    wake_ = nullptr;
  }
}

void Bridge::dispatch(Napi::Env env) {
  std::vector<QueuedCall> calls = host_->calls().take_queued();
  while (ready_ && !calls.empty()) {
    bool answered = true;
    for (QueuedCall& call : calls) {
      // A call JavaScript has not seen waits for the next environment.
      if (host_->ending()) {
        host_->calls().requeue(std::move(call));
        answered = false;  // nor watch for more: the environment is ending
        continue;
      }
      Napi::HandleScope scope(env);
      answered = invoke(env, call) && answered;
    }
    // A promise needs this callback to return before it can settle.
    if (!answered) return;
    calls = host_->calls().await_queued(kAnswerSpin);
  }
}

bool Bridge::invoke(Napi::Env env, QueuedCall& call) {
  CallTable& table = host_->calls();
  const uint64_t id = call.id;
  const int kind = call.kind;
  if (handlers_[kind - 1].IsEmpty()) {
    table.complete(id, false, std::string("the bundle registered no ") + kind_name(kind) + " handler");
    return true;
  }
  try {
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, call.request.size());
    if (!call.request.empty()) std::memcpy(buffer.Data(), call.request.data(), call.request.size());
    Napi::Value result =
        handlers_[kind - 1].Call({Napi::Uint8Array::New(env, call.request.size(), buffer, 0)});
    if (!result.IsPromise()) {
      settle(table, id, kind, result);
      return true;
    }
    settle_when_done(env, result.As<Napi::Object>(), id, kind);
    return false;
  } catch (const Napi::Error& error) {
    // A termination (watchdog, heap limit, process.exit) is not the handler's error.
    if (host_->ending()) return false;
    table.complete(id, false, failure(kind, error.Value()));
  } catch (const std::exception& error) {
    table.complete(id, false, std::string(kind_name(kind)) + " handler failed: " + error.what());
  }
  return true;
}

// The native functions are made once per environment and a call's id travels
// in JavaScript closures: a native function per call cost each call an
// allocation, a weak reference and a finalizer run after a collection.
void Bridge::settle_when_done(Napi::Env env, Napi::Object promise, uint64_t id, int kind) {
  if (on_promise_.IsEmpty()) {
    std::shared_ptr<BridgeHost> host = host_;
    const auto call_of = [](const Napi::CallbackInfo& i) {
      return std::make_pair(static_cast<uint64_t>(i[0].As<Napi::Number>().Int64Value()),
                            i[1].As<Napi::Number>().Int32Value());
    };
    Napi::Function on_value = Napi::Function::New(env, [host, call_of](const Napi::CallbackInfo& i) {
      const auto [call, call_kind] = call_of(i);
      settle(host->calls(), call, call_kind, i[2]);
    });
    Napi::Function on_error = Napi::Function::New(env, [host, call_of](const Napi::CallbackInfo& i) {
      const auto [call, call_kind] = call_of(i);
      host->calls().complete(call, false, failure(call_kind, i[2]));
    });
    Napi::Value make = env.RunScript(
        "(settle, fail) => (promise, id, kind) => {"
        " promise.then((value) => settle(id, kind, value), (error) => fail(id, kind, error)); }");
    on_promise_ = Napi::Persistent(make.As<Napi::Function>().Call({on_value, on_error}).As<Napi::Function>());
  }
  on_promise_.Call({promise, Napi::Number::New(env, static_cast<double>(id)), Napi::Number::New(env, kind)});
}

void Bridge::on_wake(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // being torn down
  try {
    static_cast<Bridge*>(context)->dispatch(Napi::Env(env));
  } catch (...) {
    // dispatch contains every handler's failure; nothing may reach Node here.
  }
}

void Bridge::on_wake_finalized(napi_env, void* data, void*) {
  auto* holder = static_cast<std::shared_ptr<Bridge>*>(data);
  (*holder)->host_->calls().clear_notifier(holder->get());
  (*holder)->wake_ = nullptr;
  delete holder;
}

}  // namespace dvdi
