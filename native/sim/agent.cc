#include "agent.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "container.h"
#include "process.h"

namespace dvdi::sim {

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "none" : out;
}

template <typename Message, typename Decode>
Message decoded(Decode decode, const std::string& bytes) {
  Message message;
  std::string error;
  if (!decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &message, &error)) {
    throw std::runtime_error(error);
  }
  return message;
}

}  // namespace

Agent::Agent(const AgentOptions& options, Report* report)
    : options_(options), report_(*report), library_(options.runtime_library) {}

void Agent::start() {
  report_.line("  agent " + std::to_string(getpid()) + ": dlopen " + options_.runtime_library + ", dvdi_runtime_start");
  library_.start(options_.params, [this](int level, const std::string& line) { report_.log(level, line); });
}

void Agent::stop() {
  library_.stop();
  report_.line("  agent " + std::to_string(getpid()) + ": dvdi_runtime_stop");
}

wire::RecoverResponse Agent::recover(bool quiet, DeadContainers dead) {
  std::vector<wire::LiveContainer> alive;
  std::vector<LaunchedContainer> running;
  std::vector<std::string> orphans;
  for (const LaunchedContainer& c : loadAgentState(statePath())) {
    if (!stillRunning(c)) {
      const bool orphan = dead == DeadContainers::orphans;
      report_.line("  " + c.id + " (pid " + std::to_string(c.pid) + ") is " + (orphan ? "dead: an orphan" : "gone"));
      if (orphan) {
        orphans.push_back(c.id);
      } else {
        gone_.push_back(c);
      }
      continue;
    }
    wire::LiveContainer live;
    live.container_id = c.id;
    live.has_pid = live.has_directory = live.has_executor_info = true;
    live.pid = static_cast<uint64_t>(c.pid);
    live.directory = c.directory;
    live.executor_info = c.executor_info;
    alive.push_back(live);
    running.push_back(c);
  }
  std::vector<pid_t> unknown;
  for (const MarkedContainer& m : markedContainers(options_.work)) {
    const auto known = [&](const LaunchedContainer& c) { return c.id == m.id; };
    if (std::any_of(running.begin(), running.end(), known)) continue;
    unknown.push_back(m.pid);
    if (std::find(orphans.begin(), orphans.end(), m.id) != orphans.end()) continue;
    report_.line("  " + m.id + " (pid " + std::to_string(m.pid) + ") runs but was never checkpointed: an orphan");
    orphans.push_back(m.id);
  }
  const auto recovered = decoded<wire::RecoverResponse>(
      wire::decodeRecoverResponse, call(DVDI_CALL_RECOVER, wire::encodeRecoverRequest(alive, orphans)));
  if (!quiet) {
    report_.line("  recover: kept " + joined(recovered.kept) + "; releasing " + joined(recovered.releasing) +
                 "; pending " + joined(recovered.pending));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    containers_ = running;
    saveAgentState(statePath(), containers_);
  }
  for (const pid_t pid : unknown) {
    if (!killAndWait(pid, kContainerStopSeconds)) throw std::runtime_error("orphan pid " + std::to_string(pid) + " does not die");
  }
  // Mesos destroys orphans after recovery; one that fails stays with the isolator, and the agent goes on.
  for (const std::string& id : orphans) {
    try {
      cleanup(id);
    } catch (const std::exception& e) {
      report_.line("  destroy of orphan " + id + " failed: " + e.what());
    }
  }
  return recovered;
}

Launched Agent::launch(const std::string& id, const Environment& environment) {
  Launched launched;
  LaunchedContainer& c = launched.container;
  c.id = id;
  c.directory = options_.work + "/sandboxes/" + id;
  c.executor_info = encodeExecutorInfo(id + "-executor", "sleep infinity", environment);
  const ProgramOutput made = runProgram({"mkdir", "-p", c.directory});
  if (made.status != 0) throw std::runtime_error("mkdir " + c.directory + ": " + made.err);

  wire::PrepareRequest request;
  request.container_id = id;
  request.executor_info = c.executor_info;
  request.directory = c.directory;
  launched.prepared = decoded<wire::PrepareResponse>(wire::decodePrepareResponse,
                                                     call(DVDI_CALL_PREPARE, wire::encodePrepareRequest(request)));
  std::string said = "  prepare " + id + ":";
  for (const wire::PreparedMount& m : launched.prepared.mounts) {
    said += " " + m.driver + "/" + m.name + " at " + m.mountpoint +
            (m.shared ? " (shared, already mounted)" : " (mounted now)") + " -> " + m.container_path;
    c.mountpoints.push_back(m.mountpoint);
  }
  report_.line(said);
  c.pid = startContainer(launched.prepared, c.directory, options_.work, id);
  c.start_time = processStartTime(c.pid);
  report_.line("  " + id + " runs as pid " + std::to_string(c.pid) + ", " +
               std::to_string(launched.prepared.commands.size()) + " commands run in " +
               (launched.prepared.mount_namespace ? "its own mount namespace" : "the host's namespace"));
  remember(c);
  return launched;
}

void Agent::destroy(const std::string& id) {
  std::optional<pid_t> pid;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const LaunchedContainer& c : containers_) {
      if (c.id == id) pid = c.pid;
    }
  }
  if (pid && !killAndWait(*pid, kContainerStopSeconds)) throw std::runtime_error(id + " does not die");
  cleanup(id);
}

void Agent::cleanup(const std::string& id) {
  const auto cleaned = decoded<wire::CleanupResponse>(wire::decodeCleanupResponse,
                                                      call(DVDI_CALL_CLEANUP, wire::encodeCleanupRequest(id)));
  std::vector<std::string> released;
  for (const wire::ReleasedVolume& v : cleaned.released) {
    released.push_back(v.name + (v.unmounted ? " unmounted" : " still in use"));
  }
  report_.line("  cleanup " + id + ": " + joined(released));
  std::lock_guard<std::mutex> lock(mutex_);
  containers_.erase(std::remove_if(containers_.begin(), containers_.end(),
                                   [&](const LaunchedContainer& x) { return x.id == id; }),
                    containers_.end());
  saveAgentState(statePath(), containers_);
}

LaunchedContainer Agent::find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const LaunchedContainer& c : containers_) {
    if (c.id == id) return c;
  }
  throw std::runtime_error("no container " + id);
}

std::vector<LaunchedContainer> Agent::containers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return containers_;
}

std::string Agent::call(int kind, const std::string& request) {
  const CallResult result = library_.call(kind, request);
  if (!result.ok) throw std::runtime_error(result.data);
  return result.data;
}

// Checkpointed before the launch returns, as the agent checkpoints a container it forked.
void Agent::remember(const LaunchedContainer& container) {
  std::lock_guard<std::mutex> lock(mutex_);
  containers_.push_back(container);
  saveAgentState(statePath(), containers_);
}

}  // namespace dvdi::sim
