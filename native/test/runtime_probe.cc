// dvdi-runtime-probe: a small host that dlopens libdvdi_runtime.so the way
// the Mesos agent loads the module, starts it and plays steps given on the
// command line, printing one line per outcome for test/native-runtime.test.ts.
//
//   dvdi-runtime-probe LIBRARY [KEY=VALUE...] -- STEP...
//   call=PAYLOAD           one prepare call, waited for
//   calls=THREADS:N:PAYLOAD  N calls from each of THREADS threads at once
//   sigterm                SIGTERM to this process; the host's handler must get it
//   children=N:PAYLOAD     fork N children and reap each with waitpid(pid)
//                          while a call with PAYLOAD runs in JavaScript
//   restart-during=N:PAYLOAD  a call that makes JavaScript exit, N calls behind it
//   stop-during=N:PAYLOAD  submit N calls, then stop the runtime while they run
//   stop-start             stop the runtime and start a new one in this process
//   hold                   keep the runtime until standard input closes
#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dvdi_runtime.h"

namespace {

std::mutex print_mutex;

void print(const std::string& line) {
  std::lock_guard<std::mutex> lock(print_mutex);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void on_log(void*, int level, const char* line) {
  print("log " + std::to_string(level) + " " + line);
}

volatile sig_atomic_t got_sigterm = 0;
void on_sigterm(int) { got_sigterm = 1; }

struct Api {
  decltype(&dvdi_runtime_start) start;
  decltype(&dvdi_runtime_call) call;
  decltype(&dvdi_runtime_stop) stop;
  decltype(&dvdi_runtime_abi_version) abi_version;
};

// One call's completions; the host never waits forever for one.
struct Completion {
  std::mutex mutex;
  std::condition_variable changed;
  int count = 0;
  bool ok = false;
  std::string data;

  static void done(void* context, int ok, const uint8_t* data, size_t size) {
    auto* self = static_cast<Completion*>(context);
    std::lock_guard<std::mutex> lock(self->mutex);
    if (++self->count == 1) {
      self->ok = ok != 0;
      self->data.assign(reinterpret_cast<const char*>(data), size);
    }
    self->changed.notify_all();
  }

  bool wait() {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(120), [this] { return count > 0; });
  }
};

void submit(const Api& api, dvdi_runtime* runtime, const std::string& payload, Completion* c) {
  api.call(runtime, DVDI_CALL_PREPARE, reinterpret_cast<const uint8_t*>(payload.data()),
           payload.size(), 0, Completion::done, c);
}

bool call(const Api& api, dvdi_runtime* runtime, const std::string& payload) {
  Completion c;
  submit(api, runtime, payload, &c);
  if (!c.wait()) {
    print("call " + payload + " lost");
    return false;
  }
  print("call " + payload + (c.ok ? " ok " : " error ") + c.data);
  return true;
}

bool calls(const Api& api, dvdi_runtime* runtime, const std::string& spec) {
  unsigned threads = 0, each = 0;
  int used = 0;
  if (std::sscanf(spec.c_str(), "%u:%u:%n", &threads, &each, &used) != 2) return false;
  std::string payload = spec.substr(used);
  std::vector<Completion> completions(threads * each);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (unsigned i = 0; i < each; ++i) submit(api, runtime, payload, &completions[t * each + i]);
    });
  }
  for (auto& w : workers) w.join();
  unsigned ok = 0, error = 0, lost = 0, doubled = 0;
  for (Completion& c : completions) {
    if (!c.wait()) {
      ++lost;
      continue;
    }
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.count > 1) ++doubled;
    (c.ok && c.data == payload ? ok : error) += 1;
  }
  print("calls ok=" + std::to_string(ok) + " error=" + std::to_string(error) +
        " lost=" + std::to_string(lost) + " doubled=" + std::to_string(doubled));
  return true;
}

bool children(const Api& api, dvdi_runtime* runtime, const std::string& spec) {
  unsigned count = 0;
  int used = 0;
  if (std::sscanf(spec.c_str(), "%u:%n", &count, &used) != 1) return false;
  Completion js;
  submit(api, runtime, spec.substr(used), &js);
  unsigned reaped = 0;
  for (unsigned i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(7);
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7) {
      ++reaped;
    }
  }
  print("children reaped " + std::to_string(reaped) + "/" + std::to_string(count));
  if (!js.wait()) return false;
  print(std::string("call ") + spec.substr(used) + (js.ok ? " ok " : " error ") + js.data);
  return true;
}

// Calls queued behind one that ends the environment wait for the next one.
bool restart_during(const Api& api, dvdi_runtime* runtime, const std::string& spec) {
  unsigned count = 0;
  int used = 0;
  if (std::sscanf(spec.c_str(), "%u:%n", &count, &used) != 1) return false;
  const std::string payload = spec.substr(used);
  Completion ender;
  submit(api, runtime, "exit", &ender);
  std::vector<Completion> behind(count);
  for (Completion& c : behind) submit(api, runtime, payload, &c);
  unsigned ok = 0, failed = 0, lost = 0;
  for (Completion& c : behind) {
    if (!c.wait()) {
      ++lost;
      continue;
    }
    std::lock_guard<std::mutex> lock(c.mutex);
    (c.ok && c.data == payload && c.count == 1 ? ok : failed) += 1;
  }
  if (!ender.wait()) return false;
  print("restart with " + std::to_string(count) + " queued: ok=" + std::to_string(ok) +
        " failed=" + std::to_string(failed) + " lost=" + std::to_string(lost) +
        (ender.ok ? " (exit answered)" : " (exit failed)"));
  return true;
}

// Every call in flight when the runtime stops must fail, none be lost.
bool stop_during(const Api& api, dvdi_runtime* runtime, const std::string& spec) {
  unsigned count = 0;
  int used = 0;
  if (std::sscanf(spec.c_str(), "%u:%n", &count, &used) != 1) return false;
  std::vector<Completion> completions(count);
  for (Completion& c : completions) submit(api, runtime, spec.substr(used), &c);
  api.stop(runtime);
  unsigned failed = 0, lost = 0;
  std::string message;
  for (Completion& c : completions) {
    if (!c.wait()) {
      ++lost;
      continue;
    }
    std::lock_guard<std::mutex> lock(c.mutex);
    if (!c.ok && c.count == 1) ++failed;
    message = c.data;
  }
  print("stopped with " + std::to_string(count) + " in flight: failed=" + std::to_string(failed) +
        " lost=" + std::to_string(lost) + " last=" + message);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: dvdi-runtime-probe LIBRARY [KEY=VALUE...] -- STEP...\n");
    return 64;
  }
  struct sigaction action = {};
  action.sa_handler = on_sigterm;
  sigaction(SIGTERM, &action, nullptr);

  void* library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    print(std::string("dlopen failed: ") + dlerror());
    return 2;
  }
  Api api = {
      reinterpret_cast<decltype(&dvdi_runtime_start)>(dlsym(library, "dvdi_runtime_start")),
      reinterpret_cast<decltype(&dvdi_runtime_call)>(dlsym(library, "dvdi_runtime_call")),
      reinterpret_cast<decltype(&dvdi_runtime_stop)>(dlsym(library, "dvdi_runtime_stop")),
      reinterpret_cast<decltype(&dvdi_runtime_abi_version)>(dlsym(library, "dvdi_runtime_abi_version")),
  };
  if (!api.start || !api.call || !api.stop || !api.abi_version ||
      api.abi_version() != DVDI_RUNTIME_ABI_VERSION) {
    print("the library does not offer dvdi_runtime ABI " + std::to_string(DVDI_RUNTIME_ABI_VERSION));
    return 2;
  }

  std::vector<std::string> keys, values;
  int arg = 2;
  for (; arg < argc && std::strcmp(argv[arg], "--") != 0; ++arg) {
    const char* eq = std::strchr(argv[arg], '=');
    if (!eq) return 64;
    keys.emplace_back(argv[arg], eq - argv[arg]);
    values.emplace_back(eq + 1);
  }
  std::vector<dvdi_param> params;
  for (size_t i = 0; i < keys.size(); ++i) params.push_back({keys[i].c_str(), values[i].c_str()});

  char error[512];
  dvdi_runtime* runtime = api.start(params.data(), params.size(), on_log, nullptr, error, sizeof error);
  if (!runtime) {
    print(std::string("start failed: ") + error);
    return 2;
  }
  print("start ok");

  for (++arg; arg < argc; ++arg) {
    std::string step = argv[arg];
    bool ok = true;
    if (step.rfind("call=", 0) == 0) {
      ok = call(api, runtime, step.substr(5));
    } else if (step.rfind("calls=", 0) == 0) {
      ok = calls(api, runtime, step.substr(6));
    } else if (step == "sigterm") {
      kill(getpid(), SIGTERM);
      for (int i = 0; i < 1000 && !got_sigterm; ++i) usleep(1000);
      print(got_sigterm ? "sigterm handled by host" : "sigterm not seen by host");
    } else if (step.rfind("children=", 0) == 0) {
      ok = children(api, runtime, step.substr(9));
    } else if (step == "hold") {
      print("holding");
      char buffer[256];
      while (read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
      }
    } else if (step == "stop-start") {
      api.stop(runtime);
      runtime = api.start(params.data(), params.size(), on_log, nullptr, error, sizeof error);
      print(runtime ? "started again" : std::string("start failed again: ") + error);
      ok = runtime != nullptr;
    } else if (step.rfind("restart-during=", 0) == 0) {
      ok = restart_during(api, runtime, step.substr(15));
    } else if (step.rfind("stop-during=", 0) == 0) {
      ok = stop_during(api, runtime, step.substr(12));
      runtime = nullptr;
      break;
    } else {
      ok = false;
    }
    if (!ok) {
      print("step failed: " + step);
      return 3;
    }
  }
  if (runtime) api.stop(runtime);
  print("done");
  return 0;
}
