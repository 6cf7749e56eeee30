// A container as the Mesos launcher makes one: a process that runs the
// isolator's prepare commands as root (in a new mount namespace when asked)
// before it becomes the task, and stays in that namespace, so the binds
// live as long as it does.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "bridge_wire.h"

namespace dvdi::sim {

// Starts the container's process in `directory`, marked as container `id` of
// the agent working in `work`, and waits until the commands ran; throws with
// their error output when one fails.
pid_t startContainer(const wire::PrepareResponse& prepared, const std::string& directory, const std::string& work,
                     const std::string& id);

struct MarkedContainer {
  pid_t pid = 0;
  std::string id;
};

// The running processes marked as containers of the agent working in `work`:
// the mark is in their environment from their first instruction on, so a
// restarted agent finds the containers it started but had not checkpointed
// yet, as Mesos' Linux launcher finds them by their cgroups.
std::vector<MarkedContainer> markedContainers(const std::string& work);

// Runs a task's shell script inside the container's mount namespace
// (nsenter), returns its output without the trailing newline; throws on failure.
std::string runInContainer(pid_t container, const std::string& script);

}  // namespace dvdi::sim
