#include "test_calls.h"

#include <algorithm>
#include <thread>

namespace dvdi {

struct CallBatch {
  struct Ticket {
    CallBatch* batch;
    uint32_t slot;
  };
  struct Result {
    uint32_t thread;
    uint32_t index;
    int kind;
    bool ok = false;
    std::vector<uint8_t> data;
    uint32_t count = 0;
  };

  std::mutex mutex;
  std::vector<Result> results;
  std::vector<Ticket> tickets;  // the calls' contexts; never reallocated once calls start
  size_t remaining = 0;
  napi_threadsafe_function finished = nullptr;
  napi_deferred deferred = nullptr;
};

std::shared_ptr<CallBatch> CallBatches::add(std::shared_ptr<CallBatch> batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  batches_.push_back(batch);
  return batch;
}

namespace {

void on_done(void* context, int ok, const uint8_t* data, size_t size) {
  auto* ticket = static_cast<CallBatch::Ticket*>(context);
  CallBatch& batch = *ticket->batch;
  bool last = false;
  {
    std::lock_guard<std::mutex> lock(batch.mutex);
    CallBatch::Result& result = batch.results[ticket->slot];
    if (result.count++ == 0) {
      result.ok = ok != 0;
      result.data.assign(data, data + size);
      last = --batch.remaining == 0;
    }
  }
  if (last) napi_call_threadsafe_function(batch.finished, nullptr, napi_tsfn_nonblocking);
}

Napi::Array counts(Napi::Env env, CallBatch& batch) {
  std::lock_guard<std::mutex> lock(batch.mutex);
  Napi::Array list = Napi::Array::New(env, batch.results.size());
  for (uint32_t i = 0; i < batch.results.size(); ++i) list.Set(i, batch.results[i].count);
  return list;
}

// On the JS thread once every call has completed: resolve with the results.
void resolve(napi_env raw_env, napi_value, void* context, void*) {
  if (raw_env == nullptr) return;
  try {
    Napi::Env env(raw_env);
    auto* keep = static_cast<std::shared_ptr<CallBatch>*>(context);
    std::shared_ptr<CallBatch> batch = *keep;
    Napi::Array results = Napi::Array::New(env, batch->results.size());
    {
      std::lock_guard<std::mutex> lock(batch->mutex);
      for (uint32_t i = 0; i < batch->results.size(); ++i) {
        const CallBatch::Result& r = batch->results[i];
        Napi::Object item = Napi::Object::New(env);
        item.Set("thread", r.thread);
        item.Set("index", r.index);
        item.Set("kind", r.kind);
        item.Set("ok", r.ok);
        item.Set("data", Napi::Buffer<uint8_t>::Copy(env, r.data.data(), r.data.size()));
        results.Set(i, item);
      }
    }
    Napi::Object outcome = Napi::Object::New(env);
    outcome.Set("results", results);
    outcome.Set("counts", Napi::Function::New(env, [batch](const Napi::CallbackInfo& info) {
                  return counts(info.Env(), *batch);
                }));
    napi_resolve_deferred(env, batch->deferred, outcome);
    napi_release_threadsafe_function(batch->finished, napi_tsfn_release);
  } catch (...) {
    // Nothing may reach Node from here; the test sees an unresolved promise.
  }
}

void free_keep(napi_env, void* data, void*) { delete static_cast<std::shared_ptr<CallBatch>*>(data); }

uint32_t option(Napi::Object options, const char* name, uint32_t fallback) {
  Napi::Value value = options.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().Uint32Value() : fallback;
}

void put_u32(std::vector<uint8_t>& bytes, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace

Napi::Value make_calls(const Napi::CallbackInfo& info, CallTable& table, CallBatches& batches,
                       std::shared_ptr<void> keep_alive) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(env, "makeCalls({ threads, calls, kinds, bytes, timeoutMs })");
  }
  Napi::Object options = info[0].As<Napi::Object>();
  const uint32_t threads = option(options, "threads", 1);
  const uint32_t calls = option(options, "calls", 1);
  const uint32_t bytes = std::max<uint32_t>(option(options, "bytes", 12), 12);
  const uint32_t timeout_ms = option(options, "timeoutMs", 0);
  std::vector<int> kinds;
  Napi::Value kind_list = options.Get("kinds");
  if (kind_list.IsArray()) {
    Napi::Array array = kind_list.As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length(); ++i) kinds.push_back(array.Get(i).As<Napi::Number>());
  }
  if (kinds.empty()) kinds.push_back(2);

  auto batch = batches.add(std::make_shared<CallBatch>());
  const size_t total = size_t{threads} * calls;
  batch->results.resize(total);
  batch->tickets.resize(total);
  batch->remaining = total;
  for (uint32_t t = 0; t < threads; ++t) {
    for (uint32_t i = 0; i < calls; ++i) {
      size_t slot = size_t{t} * calls + i;
      batch->results[slot].thread = t;
      batch->results[slot].index = i;
      batch->results[slot].kind = kinds[i % kinds.size()];
      batch->tickets[slot] = {batch.get(), static_cast<uint32_t>(slot)};
    }
  }
  napi_value promise;
  napi_create_promise(env, &batch->deferred, &promise);
  auto* keep = new std::shared_ptr<CallBatch>(batch);
  if (napi_create_threadsafe_function(env, nullptr, nullptr, Napi::String::New(env, "makeCalls"), 0,
                                      1, keep, free_keep, keep, resolve,
                                      &batch->finished) != napi_ok) {
    delete keep;
    throw Napi::Error::New(env, "makeCalls: cannot create the completion wake-up");
  }
  if (total == 0) napi_call_threadsafe_function(batch->finished, nullptr, napi_tsfn_nonblocking);

  for (uint32_t t = 0; t < threads; ++t) {
    std::thread([&table, batch, keep_alive, t, calls, bytes, timeout_ms] {
      std::vector<uint8_t> request(bytes);
      for (size_t i = 12; i < bytes; ++i) request[i] = static_cast<uint8_t>(i * 31 + t);
      for (uint32_t i = 0; i < calls; ++i) {
        CallBatch::Ticket& ticket = batch->tickets[size_t{t} * calls + i];
        int kind = batch->results[ticket.slot].kind;
        put_u32(request, 0, t);
        put_u32(request, 4, i);
        put_u32(request, 8, static_cast<uint32_t>(kind));
        table.submit(kind, request.data(), request.size(), timeout_ms, on_done, &ticket);
      }
    }).detach();
  }
  return Napi::Value(env, promise);
}

}  // namespace dvdi
