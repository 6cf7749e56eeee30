// A container as the Mesos launcher makes one: a process that runs the
// isolator's prepare commands as root (in a new mount namespace when asked)
// before it becomes the task, and stays in that namespace, so the binds
// live as long as it does.
#pragma once

#include <sys/types.h>

#include <string>

#include "bridge_wire.h"

namespace dvdi::sim {

// Starts the container's process in `directory` and waits until the commands
// ran; throws with their error output when one fails.
pid_t startContainer(const wire::PrepareResponse& prepared, const std::string& directory);

// Runs a task's shell script inside the container's mount namespace
// (nsenter), returns its output without the trailing newline; throws on failure.
std::string runInContainer(pid_t container, const std::string& script);

}  // namespace dvdi::sim
