// The simulated Mesos agent: what it does with the runtime library and its
// containers. Each life of it (lives.h) is its own process, so a kill -9
// between lives is a real agent crash.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "agent_state.h"
#include "bridge_wire.h"
#include "executor_info.h"
#include "report.h"
#include "runtime_library.h"

namespace dvdi::sim {

struct AgentOptions {
  std::string runtime_library;
  std::vector<std::pair<std::string, std::string>> params;  // module parameters
  std::string work;    // sandboxes and the agent's state live here
  std::string driver;  // the volume plugin's name
  bool show_logs = true;
};

// How long a container's process may take to die once killed.
const int kContainerStopSeconds = 10;

struct Launched {
  LaunchedContainer container;
  wire::PrepareResponse prepared;
};

// What a restarted agent makes of the checkpointed containers whose process
// died: gone (never named to the isolator), or orphans, named and destroyed
// after recovery as Mesos destroys a recovered container whose executor died.
enum class DeadContainers { gone, orphans };

// Every method may be called from several threads at once; failures throw.
class Agent {
 public:
  Agent(const AgentOptions& options, Report* report);

  void start();
  void stop();
  // As the agent does after a restart: the containers of its state still
  // running are alive, the others are handled as `dead` says. Running
  // containers it had not checkpointed are orphans, destroyed after
  // recovery. `quiet` prints nothing.
  wire::RecoverResponse recover(bool quiet = false, DeadContainers dead = DeadContainers::gone);
  // Prepare, then start the container's process with the returned commands.
  Launched launch(const std::string& id, const Environment& environment);
  // The task ends, then the isolator cleans up, as the containerizer's destroy
  // does; also for a container whose launch failed, which has no process.
  void destroy(const std::string& id);

  LaunchedContainer find(const std::string& id) const;
  std::vector<LaunchedContainer> containers() const;
  // The containers recover found gone.
  const std::vector<LaunchedContainer>& gone() const { return gone_; }
  std::string statePath() const { return options_.work + "/agent-state"; }

 private:
  std::string call(int kind, const std::string& request);
  void remember(const LaunchedContainer& container);
  void cleanup(const std::string& id);

  const AgentOptions& options_;
  Report& report_;
  RuntimeLibrary library_;
  mutable std::mutex mutex_;
  std::vector<LaunchedContainer> containers_;
  std::vector<LaunchedContainer> gone_;
};

}  // namespace dvdi::sim
