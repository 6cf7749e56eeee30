// What the simulated agent checkpoints about the containers it launched, as
// the Mesos agent does in its meta directory: a restarted simulator knows
// which containers it had, and recovers the ones still running.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dvdi::sim {

struct LaunchedContainer {
  std::string id;
  pid_t pid = 0;
  unsigned long long start_time = 0;    // of the pid, so a recycled pid is not taken for it
  std::string directory;
  std::string executor_info;             // serialized mesos.ExecutorInfo
  std::vector<std::string> mountpoints;  // the volumes' host mountpoints, for the checks
};

// One container a line: id, pid, start time, directory, hex ExecutorInfo, mountpoints,
// separated by spaces (the simulator's ids and paths have none). A missing
// file is an agent that never ran.
std::vector<LaunchedContainer> loadAgentState(const std::string& path);

// The container's process is still the one the agent started.
bool stillRunning(const LaunchedContainer& container);

// Written to a temporary file and renamed over, so a kill -9 leaves the old
// or the new state, never half of one.
void saveAgentState(const std::string& path, const std::vector<LaunchedContainer>& containers);

}  // namespace dvdi::sim
