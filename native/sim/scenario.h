// The main job: dvdi's loop-device plugin, the simulated agent in two lives
// with a kill -9 between them, and a summary. The scenario process is the
// agent's parent and the containers' subreaper (as systemd is on an agent
// host), so containers outlive the agent they were launched by.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dvdi::sim {

struct ScenarioOptions {
  std::string self;  // this program, run again for each agent life
  std::string runtime_library;
  std::string node;
  std::string dvdi;  // dist/cli/main.js, for `dvdi plugin serve`
  std::string work;  // empty: a new directory under /tmp
  std::vector<std::pair<std::string, std::string>> params;  // module parameters over the scenario's own
  bool show_logs = true;
};

int runScenario(ScenarioOptions options);

}  // namespace dvdi::sim
