// The lives of the simulated agent that the scenario plays, each in its own
// process. Each returns the process's exit status: 0 when every check passed.
#pragma once

#include "agent.h"

namespace dvdi::sim {

// The line a first life prints once its containers run; its parent kills it then.
extern const char kAgentRunning[];

// Recovers (nothing to recover yet), launches a shared and a private volume's
// containers from several threads, writes data through the binds, and then
// keeps running until it is killed.
int runFirstLife(const AgentOptions& options);

// After the crash: recovers the containers still running, checks that gone
// ones lost their volumes, launches and destroys containers concurrently,
// and ends with every volume unmounted.
int runRestartLife(const AgentOptions& options);

// Whatever a failed scenario left: kills the containers in the agent's state
// and recovers with none alive, so every volume is released.
int runTeardownLife(const AgentOptions& options);

}  // namespace dvdi::sim
