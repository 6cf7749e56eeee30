// `agent serve`: one life of the agent driven from standard input, for the
// randomized crash test (test/chaos). It starts the runtime and recovers,
// then serves each request line on its own thread, as the containerizer
// calls the isolator for several containers at once, and answers each on a
// line of standard output that starts with "= ":
//
//   (at start)                 = recovered [ID...]   the containers alive now
//   launch ID NAME=VALUE...    = launched ID PID, or = launch-failed ID REASON
//                              followed by its destroy's answer
//   destroy ID                 = destroyed ID, or = destroy-failed ID REASON
//
// At the end of its input it waits for the requests in flight, stops the
// runtime and exits 0.
#pragma once

#include "agent.h"

namespace dvdi::sim {

int runServeLife(const AgentOptions& options, DeadContainers dead);

}  // namespace dvdi::sim
