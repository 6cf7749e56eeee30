#include "bootstrap.h"

#include <napi.h>

#include "environment.h"
#include "runtime.h"

namespace dvdi {

namespace {

// Runs as Node's embedder main script (its `require` loads builtins only).
// Everything here happens before the bundle's first line.
const char kBootstrap[] = R"js('use strict';
const runtime = process._linkedBinding('dvdi_runtime');
const bridge = process._linkedBinding('dvdi_bridge');
const { Readable, Writable } = require('stream');
const { constants } = require('os');

function describe(error) {
  if (!(error instanceof Error)) return String(error);
  const frame = String(error.stack || '').split('\n').find((line) => /^\s+at /.test(line));
  return frame ? `${error.message} (${frame.trim()})` : error.message;
}

// An uncaught exception (or unhandled rejection) leaves the isolator in an
// unknown state: end this environment; the next one reopens the checkpoint.
process.on('uncaughtException', (error) => runtime.restart(`uncaught exception: ${describe(error)}`));

// A signal listener would take that signal from the host, process-wide.
process.prependListener('newListener', (event) => {
  if (typeof event === 'string' && constants.signals[event] !== undefined) {
    throw new Error(`the embedded runtime does not let JavaScript listen for ${event}`);
  }
});

// The host's stdio is not ours (Node would make it non-blocking): output
// goes to the host's log sink a line at a time, input is empty.
function logStream(level) {
  let partial = '';
  return new Writable({
    write(chunk, encoding, done) {
      const lines = (partial + String(chunk)).split('\n');
      partial = lines.pop();
      for (const line of lines) bridge.log(level, line);
      done();
    },
    final(done) {
      if (partial) bridge.log(level, partial);
      partial = '';
      done();
    },
  });
}
const stdin = new Readable({ read() { this.push(null); } });
for (const [name, stream] of [['stdout', logStream(0)], ['stderr', logStream(1)], ['stdin', stdin]]) {
  Object.defineProperty(process, name, { value: stream, enumerable: true });
}

Object.defineProperty(process, 'abort', {
  value() { throw new Error('process.abort() is disabled in the embedded runtime'); },
  enumerable: true,
});
const kill = process.kill.bind(process);
process.kill = (pid, signal) => {
  const target = Number(pid);
  if (target === 0 || target === -1 || Math.abs(target) === process.pid) {
    throw new Error(`the embedded runtime does not signal its host (process.kill(${pid}))`);
  }
  return kill(pid, signal);
};
// process.execPath is the host's binary: fork() would start another host.
require('child_process').fork = () => {
  throw new Error('child_process.fork() would start the host binary; use spawn()');
};

let app;
try {
  app = require('module').createRequire(runtime.bundle)(runtime.bundle);
  if (typeof app?.start !== 'function') throw new Error('it does not export start(bridge)');
} catch (error) {
  app = undefined;
  bridge.fail(`cannot load the bundle ${runtime.bundle}: ${describe(error)}`);
}
if (app) {
  Promise.resolve()
    .then(() => app.start(bridge))
    .catch((error) => bridge.fail(`start(bridge) failed: ${describe(error)}`));
}
)js";

template <typename Init>
napi_value guarded(napi_env raw, Init init) {
  Napi::Env env(raw);
  try {
    return init(env);
  } catch (const Napi::Error& error) {
    error.ThrowAsJavaScriptException();
  } catch (const std::exception& error) {
    Napi::Error::New(env, error.what()).ThrowAsJavaScriptException();
  }
  return nullptr;
}

}  // namespace

const char* bootstrap_source() { return kBootstrap; }

void detach_bridge(const std::weak_ptr<Bridge>& bridge) {
  if (std::shared_ptr<Bridge> live = bridge.lock()) live->detach();
}

napi_value init_bridge_binding(napi_env raw, napi_value) {
  return guarded(raw, [](Napi::Env env) -> napi_value {
    Environment* environment = Environment::current();
    std::shared_ptr<Bridge> bridge;
    Napi::Object object =
        Bridge::Create(env, environment->runtime().self.lock(), true, &bridge);
    environment->set_bridge(bridge);
    return object;
  });
}

napi_value init_runtime_binding(napi_env raw, napi_value) {
  return guarded(raw, [](Napi::Env env) -> napi_value {
    Environment* environment = Environment::current();
    Napi::Object object = Napi::Object::New(env);
    object.Set("bundle", environment->runtime().options().bundle);
    object.Set("restart", Napi::Function::New(env, [environment](const Napi::CallbackInfo& info) {
                 environment->stop(info.Length() > 0 && info[0].IsString()
                                       ? info[0].As<Napi::String>().Utf8Value()
                                       : std::string("JavaScript asked for a restart"));
               }));
    return object;
  });
}

}  // namespace dvdi
