// The Mesos-facing half of the isolator module: one source for every
// supported release, the differences behind MESOS_VERSION_INT (see
// versions/releases.tsv). It converts the release's types into dvdi's bridge
// requests, hands them to the embedded runtime (dvdi_runtime.h, dlopened),
// and returns pending futures that a libprocess Process of its own completes,
// so the containerizer's actor never waits for a mount. Everything that does
// not need Mesos is in plan.cc and metrics_tally.cc; the agent's metrics and
// the /dvdi/volumes endpoint are in observer.hpp.
#include <dlfcn.h>
#include <sched.h>
#include <unistd.h>

#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include <glog/logging.h>

#include <mesos/mesos.hpp>
#include <mesos/module/isolator.hpp>
#include <mesos/slave/isolator.hpp>
#include <mesos/version.hpp>

#include <process/dispatch.hpp>
#include <process/future.hpp>
#include <process/id.hpp>
#include <process/owned.hpp>
#include <process/process.hpp>

#include <stout/hashset.hpp>
#include <stout/nothing.hpp>
#include <stout/option.hpp>
#include <stout/try.hpp>

#include "../include/dvdi_runtime.h"
#include "../wire/bridge_wire.h"
#include "observer.hpp"
#include "plan.h"

#ifndef MESOS_VERSION_INT
#error "MESOS_VERSION_INT (major*10000 + minor*100 + patch) must be defined"
#endif
#if MESOS_VERSION_INT < DVDI_MESOS_FIRST || MESOS_VERSION_INT >= DVDI_MESOS_END
#error "unsupported Mesos release: see versions/releases.tsv"
#endif
// The release the agent must be: the tree's own, or a patch release whose
// headers that tree shares (build-module.sh passes it).
#ifndef DVDI_MESOS_RELEASE
#define DVDI_MESOS_RELEASE MESOS_VERSION
#endif

using process::Future;
using process::Promise;

namespace {

#if MESOS_VERSION_INT < DVDI_MESOS_0_24
typedef mesos::slave::IsolatorProcess IsolatorBase;
typedef mesos::slave::ExecutorRunState RecoveredState;
typedef mesos::slave::Limitation Limitation;
typedef mesos::CommandInfo PrepareResult;
#elif MESOS_VERSION_INT < DVDI_MESOS_0_27
typedef mesos::slave::Isolator IsolatorBase;
typedef mesos::slave::ContainerState RecoveredState;
typedef mesos::slave::ContainerLimitation Limitation;
typedef mesos::slave::ContainerPrepareInfo PrepareResult;
#else
typedef mesos::slave::Isolator IsolatorBase;
typedef mesos::slave::ContainerState RecoveredState;
typedef mesos::slave::ContainerLimitation Limitation;
typedef mesos::slave::ContainerLaunchInfo PrepareResult;
#endif
#if MESOS_VERSION_INT < DVDI_MESOS_1_7
typedef std::list<RecoveredState> RecoveredStates;
#else
typedef std::vector<RecoveredState> RecoveredStates;
#endif

// Completes the futures in a libprocess context: the runtime's completion
// thread dispatches here (dispatch is thread-safe), never to a Promise directly.
class Completer : public process::Process<Completer> {
 public:
  typedef std::function<void(bool ok, const std::string& bytes)> Settle;

  Completer() : process::ProcessBase(process::ID::generate("dvdi-isolator")) {}

  void settle(std::shared_ptr<Settle> settle, bool ok, std::string bytes) { (*settle)(ok, bytes); }
};

struct PendingCall {
  process::PID<Completer> completer;
  std::shared_ptr<Completer::Settle> settle;
};

void callDone(void* context, int ok, const uint8_t* data, size_t size) {
  std::unique_ptr<PendingCall> call(static_cast<PendingCall*>(context));
  process::dispatch(call->completer, &Completer::settle, call->settle, ok != 0,
                    std::string(reinterpret_cast<const char*>(data), size));
}

void logLine(void*, int level, const char* line) {
  switch (level) {
    case DVDI_LOG_ERROR:
      LOG(ERROR) << "dvdi: " << line;
      break;
    case DVDI_LOG_WARNING:
      LOG(WARNING) << "dvdi: " << line;
      break;
    default:
      LOG(INFO) << "dvdi: " << line;
  }
}

// The bridge library, loaded once and never unloaded: Node stays initialised
// for the life of the process.
struct RuntimeLibrary {
  decltype(&dvdi_runtime_abi_version) abi_version;
  decltype(&dvdi_runtime_start) start;
  decltype(&dvdi_runtime_call) call;
  decltype(&dvdi_runtime_stop) stop;
};

template <typename F>
bool resolve(void* library, const char* name, F* out, std::string* error) {
  void* symbol = dlsym(library, name);
  if (symbol == NULL) {
    *error = std::string("missing symbol ") + name;
    return false;
  }
  *out = reinterpret_cast<F>(symbol);
  return true;
}

bool loadRuntimeLibrary(const std::string& path, RuntimeLibrary* out, std::string* error) {
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    const char* reason = dlerror();
    *error = "cannot load the runtime library " + path + ": " + (reason != NULL ? reason : "unknown error");
    return false;
  }
  if (!resolve(library, "dvdi_runtime_abi_version", &out->abi_version, error) ||
      !resolve(library, "dvdi_runtime_start", &out->start, error) ||
      !resolve(library, "dvdi_runtime_call", &out->call, error) ||
      !resolve(library, "dvdi_runtime_stop", &out->stop, error)) {
    *error = "runtime library " + path + ": " + *error;
    return false;
  }
  if (out->abi_version() != DVDI_RUNTIME_ABI_VERSION) {
    *error = "runtime library " + path + " has interface version " + std::to_string(out->abi_version()) +
             ", this module needs " + std::to_string(DVDI_RUNTIME_ABI_VERSION);
    return false;
  }
  return true;
}

// A started runtime and the Process that completes its calls.
class Bridge {
 public:
  Bridge(const RuntimeLibrary& library, dvdi_runtime* runtime) : library_(library), runtime_(runtime) {
    process::spawn(completer_);
  }

  ~Bridge() {
    // Calls in flight fail; their completions, queued before the terminate
    // (not injected ahead of them), still settle their futures.
    library_.stop(runtime_);
    process::terminate(completer_, false);
    process::wait(completer_);
  }

  // Submits a call; `map` turns the response bytes into the future's value.
  // A deadline of 0: the runtime's default for the kind (call_timeout).
  template <typename T>
  Future<T> call(int kind, const std::string& request, const std::function<Try<T>(const std::string&)>& map,
                 uint32_t deadline_ms = 0) {
    std::shared_ptr<Promise<T>> promise(new Promise<T>());
    std::unique_ptr<PendingCall> pending(new PendingCall());
    pending->completer = completer_.self();
    pending->settle.reset(new Completer::Settle([promise, map](bool ok, const std::string& bytes) {
      if (!ok) {
        promise->fail("dvdi: " + bytes);
        return;
      }
      Try<T> value = map(bytes);
      if (value.isError()) {
        promise->fail("dvdi: " + value.error());
      } else {
        promise->set(value.get());
      }
    }));
    library_.call(runtime_, kind, reinterpret_cast<const uint8_t*>(request.data()), request.size(), deadline_ms,
                  callDone, pending.release());
    return promise->future();
  }

 private:
  RuntimeLibrary library_;
  dvdi_runtime* runtime_;
  Completer completer_;
};

Try<Nothing> ignoreResponse(const std::string&) { return Nothing(); }

Try<dvdi::wire::StatusResponse> statusResponse(const std::string& bytes) {
  dvdi::wire::StatusResponse response;
  std::string error;
  if (!dvdi::wire::decodeStatusResponse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &response,
                                        &error)) {
    return Error("bad status response: " + error);
  }
  return response;
}

std::string serialized(const google::protobuf::Message& message) {
  std::string bytes;
  message.SerializePartialToString(&bytes);
  return bytes;
}

// As Mesos prints it: parent.child for a nested container (1.1+).
std::string idOf(const mesos::ContainerID& containerId) {
  std::string id, error;
  // Mesos's own bytes always decode; the value alone is the fallback should they not.
  return dvdi::shim::containerIdOf(serialized(containerId), &id, &error) ? id : containerId.value();
}

Try<Option<PrepareResult>> prepareResult(const std::string& bytes, bool global_newns) {
  dvdi::wire::PrepareResponse response;
  std::string error;
  if (!dvdi::wire::decodePrepareResponse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &response,
                                         &error)) {
    return Error("bad prepare response: " + error);
  }
  dvdi::shim::PrepareShape shape;
  dvdi::shim::prepareShapeOf(MESOS_VERSION_INT, &shape);
  dvdi::shim::PreparePlan plan;
  if (!dvdi::shim::planPrepare(response, shape, global_newns, &plan, &error)) return Error(error);
  if (plan.none) return None();
  // The plan is the release's own message, serialized: parsing it checks it too.
  PrepareResult result;
  if (!result.ParseFromString(plan.message)) return Error("the planned prepare result does not parse");
  return Option<PrepareResult>(result);
}

class DvdiIsolator : public IsolatorBase {
 public:
  DvdiIsolator(std::unique_ptr<Bridge> bridge, bool namespaces)
      : bridge_(std::move(bridge)), namespaces_(namespaces), observer_(observerOf(bridge_.get())) {
    process::spawn(*observer_);
  }

  ~DvdiIsolator() {
    // Before the bridge goes: the observer's calls use it.
    process::dispatch(*observer_, &dvdi::shim::Observer::removeMetrics).await();
    process::terminate(*observer_);
    process::wait(*observer_);
  }

#if MESOS_VERSION_INT < DVDI_MESOS_0_25
  // Queried once at start; applies to every container of the agent.
  Future<Option<int>> namespaces() override {
    return namespaces_ ? Option<int>(CLONE_NEWNS) : Option<int>(None());
  }
#endif

#if MESOS_VERSION_INT >= DVDI_MESOS_1_1
  // Task groups' tasks (nested containers) get their own volumes too.
  bool supportsNesting() override { return true; }
#endif
#if MESOS_VERSION_INT >= DVDI_MESOS_1_5
  bool supportsStandalone() override { return true; }
#endif

  Future<Nothing> recover(const RecoveredStates& states, const hashset<mesos::ContainerID>& orphans) override {
    std::vector<dvdi::wire::LiveContainer> alive;
    for (RecoveredStates::const_iterator s = states.begin(); s != states.end(); ++s) {
      dvdi::wire::LiveContainer live;
#if MESOS_VERSION_INT < DVDI_MESOS_0_24
      live.container_id = s->id.value();
      live.pid = static_cast<uint64_t>(s->pid);
      live.directory = s->directory;
#else
      live.container_id = idOf(s->container_id());
      live.pid = s->pid();
      live.directory = s->directory();
      // Optional from 1.1 (nested containers have none).
      live.has_executor_info = s->has_executor_info();
      live.executor_info = serialized(s->executor_info());
#endif
      live.has_pid = true;
      live.has_directory = true;
      alive.push_back(live);
    }
    std::vector<std::string> orphanIds;
    for (const mesos::ContainerID& orphan : orphans) {
      orphanIds.push_back(idOf(orphan));
    }
    return bridge_->call<Nothing>(DVDI_CALL_RECOVER, dvdi::wire::encodeRecoverRequest(alive, orphanIds),
                                  ignoreResponse);
  }

#if MESOS_VERSION_INT < DVDI_MESOS_0_24
  Future<Option<PrepareResult>> prepare(const mesos::ContainerID& containerId,
                                        const mesos::ExecutorInfo& executorInfo, const std::string& directory,
                                        const Option<std::string>& rootfs, const Option<std::string>& user) override {
    return submitPrepare(containerId, withExecutor(executorInfo), directory, user, rootfs);
  }
#elif MESOS_VERSION_INT < DVDI_MESOS_0_27
  Future<Option<PrepareResult>> prepare(const mesos::ContainerID& containerId,
                                        const mesos::ExecutorInfo& executorInfo, const std::string& directory,
                                        const Option<std::string>& user) override {
    return submitPrepare(containerId, withExecutor(executorInfo), directory, user, None());
  }
#else
  // The runtime reads the variables from the whole config, whichever fields the release has.
  Future<Option<PrepareResult>> prepare(const mesos::ContainerID& containerId,
                                        const mesos::slave::ContainerConfig& config) override {
    dvdi::wire::PrepareRequest request;
    request.has_container_config = true;
    request.container_config = serialized(config);
    return submitPrepare(containerId, request, config.directory(),
                         config.has_user() ? Option<std::string>(config.user()) : None(),
                         config.has_rootfs() ? Option<std::string>(config.rootfs()) : None());
  }
#endif

#if MESOS_VERSION_INT < DVDI_MESOS_1_0
  // Pure virtual before 1.0, which gives each of them this default.
  Future<Nothing> isolate(const mesos::ContainerID&, pid_t) override { return Nothing(); }

  // Volumes impose no limitation: the future never completes.
  Future<Limitation> watch(const mesos::ContainerID&) override { return Future<Limitation>(); }

  Future<Nothing> update(const mesos::ContainerID&, const mesos::Resources&) override { return Nothing(); }

  Future<mesos::ResourceStatistics> usage(const mesos::ContainerID&) override {
    return mesos::ResourceStatistics();
  }
#endif

  Future<Nothing> cleanup(const mesos::ContainerID& containerId) override {
    return bridge_->call<Nothing>(DVDI_CALL_CLEANUP, dvdi::wire::encodeCleanupRequest(idOf(containerId)),
                                  ignoreResponse);
  }

 private:
  static dvdi::wire::PrepareRequest withExecutor(const mesos::ExecutorInfo& executorInfo) {
    dvdi::wire::PrepareRequest request;
    request.executor_info = serialized(executorInfo);
    return request;
  }

  Future<Option<PrepareResult>> submitPrepare(const mesos::ContainerID& containerId,
                                              dvdi::wire::PrepareRequest request, const std::string& directory,
                                              const Option<std::string>& user, const Option<std::string>& rootfs) {
    request.container_id = idOf(containerId);
    request.directory = directory;
    request.has_user = user.isSome();
    if (user.isSome()) request.user = user.get();
    request.has_rootfs = rootfs.isSome();
    if (rootfs.isSome()) request.rootfs = rootfs.get();
    bool global_newns = namespaces_;
    return bridge_->call<Option<PrepareResult>>(
        DVDI_CALL_PREPARE, dvdi::wire::encodePrepareRequest(request),
        [global_newns](const std::string& bytes) { return prepareResult(bytes, global_newns); });
  }

  static dvdi::shim::Observer* observerOf(Bridge* bridge) {
    return new dvdi::shim::Observer([bridge](const dvdi::wire::StatusRequest& request, uint32_t deadline_ms) {
      return bridge->call<dvdi::wire::StatusResponse>(DVDI_CALL_STATUS, dvdi::wire::encodeStatusRequest(request),
                                                      statusResponse, deadline_ms);
    });
  }

  std::unique_ptr<Bridge> bridge_;
  const bool namespaces_;
  std::unique_ptr<dvdi::shim::Observer> observer_;
};

// Where this module was loaded from, for the default runtime library path.
std::string modulePath() {
  static const char anchor = 0;
  Dl_info info;
  if (dladdr(&anchor, &info) == 0 || info.dli_fname == NULL) return "";
  return info.dli_fname;
}

// Null with the reason logged: the agent then fails with "Error creating
// Module instance", and the reason stands right before it in its log.
mesos::slave::Isolator* createIsolator(const mesos::Parameters& parameters) {
  if (geteuid() != 0) {
    LOG(ERROR) << "dvdi: the isolator needs the agent to run as root (effective uid " << geteuid() << ")";
    return NULL;
  }
  dvdi::shim::Parameters all;
  for (int i = 0; i < parameters.parameter_size(); ++i) {
    all.push_back(std::make_pair(parameters.parameter(i).key(), parameters.parameter(i).value()));
  }
  dvdi::shim::ModuleOptions options;
  std::string error;
  if (!dvdi::shim::parseModuleOptions(all, &options, &error)) {
    LOG(ERROR) << "dvdi: " << error;
    return NULL;
  }
  std::string path = options.runtime_library.empty() ? dvdi::shim::defaultRuntimeLibrary(modulePath())
                                                      : options.runtime_library;
  RuntimeLibrary library;
  if (!loadRuntimeLibrary(path, &library, &error)) {
    LOG(ERROR) << "dvdi: " << error;
    return NULL;
  }
  std::vector<dvdi_param> params;
  for (size_t i = 0; i < all.size(); ++i) {
    dvdi_param param = {all[i].first.c_str(), all[i].second.c_str()};
    params.push_back(param);
  }
  char reason[1024] = "";
  LOG(INFO) << "dvdi: starting the isolator runtime from " << path;
  dvdi_runtime* runtime = library.start(params.data(), params.size(), logLine, NULL, reason, sizeof(reason));
  if (runtime == NULL) {
    LOG(ERROR) << "dvdi: the isolator runtime did not start: " << reason;
    return NULL;
  }
  std::unique_ptr<Bridge> bridge(new Bridge(library, runtime));
  DvdiIsolator* isolator = new DvdiIsolator(std::move(bridge), options.namespaces);
#if MESOS_VERSION_INT < DVDI_MESOS_0_24
  return new mesos::slave::Isolator(process::Owned<mesos::slave::IsolatorProcess>(isolator));
#else
  return isolator;
#endif
}

}  // namespace

mesos::modules::Module<mesos::slave::Isolator> com_emccode_mesos_DockerVolumeDriverIsolator(
    MESOS_MODULE_API_VERSION, DVDI_MESOS_RELEASE, "dvdi maintainers", "maintainers@users.noreply.h-seed-d5590cbb.example",
    "dvdi: external persistent volumes for tasks through Docker volume plugins (drop-in for mesos-module-dvdi)",
    NULL, createIsolator);
