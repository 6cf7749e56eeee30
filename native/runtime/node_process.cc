#include "node_process.h"

#include <node.h>
#include <pthread.h>
#include <signal.h>

#include <memory>
#include <mutex>
#include <vector>

namespace dvdi {

HostSignalsBlocked::HostSignalsBlocked() {
  sigset_t set;
  sigfillset(&set);
  // Faults belong to the faulting thread; SIGCHLD to libuv's child reaping.
  for (int open : {SIGCHLD, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) {
    sigdelset(&set, open);
  }
  pthread_sigmask(SIG_BLOCK, &set, &saved_);
}

HostSignalsBlocked::~HostSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

node::MultiIsolatePlatform* node_platform(std::string* error) {
  static std::once_flag once;
  // Never destroyed: the host may exit while a runtime still runs.
  static node::MultiIsolatePlatform* platform = nullptr;
  static std::string* failure = new std::string;
  std::call_once(once, [] {
    // Leave the host's stdio, signals, resource limits and environment
    // (NODE_OPTIONS) alone; V8 and its platform are set up here.
    auto flags = static_cast<node::ProcessInitializationFlags::Flags>(
        node::ProcessInitializationFlags::kNoInitializeV8 |
        node::ProcessInitializationFlags::kNoInitializeNodeV8Platform |
        node::ProcessInitializationFlags::kNoStdioInitialization |
        node::ProcessInitializationFlags::kNoDefaultSignalHandling |
        node::ProcessInitializationFlags::kDisableNodeOptionsEnv |
        node::ProcessInitializationFlags::kNoAdjustResourceLimits |
        node::ProcessInitializationFlags::kNoUseLargePages |
        node::ProcessInitializationFlags::kNoPrintHelpOrVersionOutput |
        node::ProcessInitializationFlags::kNoParseGlobalDebugVariables);
    std::unique_ptr<node::InitializationResult> result =
        node::InitializeOncePerProcess({"dvdi-runtime"}, flags);
    if (result->early_return() || result->exit_code() != 0) {
      *failure = "Node.js did not initialise";
      for (const std::string& e : result->errors()) *failure += ": " + e;
      return;
    }
    platform = node::MultiIsolatePlatform::Create(2).release();
    v8::V8::InitializePlatform(platform);
    v8::V8::Initialize();
  });
  if (!platform) *error = *failure;
  return platform;
}

}  // namespace dvdi
