// dvdi-agent-sim: a stand-in for the Mesos agent that loads
// libdvdi_runtime.so as the agent loads the module, and plays the main job.
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <exception>
#include <iostream>
#include <string>

#include "lives.h"
#include "scenario.h"
#include "serve.h"

namespace {

const char kUsage[] =
    "usage: dvdi-agent-sim [options] scenario\n"
    "       dvdi-agent-sim [options] agent first|restart|teardown --driver PLUGIN\n"
    "       dvdi-agent-sim [options] agent serve --driver PLUGIN [--dead gone|orphans]\n"
    "\n"
    "scenario: dvdi's loop-device plugin, an agent life that launches containers, its kill -9,\n"
    "          a restart that recovers, a summary; everything is cleaned up (root needed)\n"
    "agent:    one life of the agent, as the scenario runs it; `serve` takes requests on\n"
    "          standard input (launch ID NAME=VALUE..., destroy ID) for test/chaos, after a\n"
    "          recovery that takes checkpointed containers whose process died as --dead says\n"
    "\n"
    "  --runtime LIB       libdvdi_runtime.so (default: next to this program)\n"
    "  --work DIR          work directory (default: a new one under /tmp)\n"
    "  --param KEY=VALUE   a module parameter (bundle, heap_limit, mount_timeout, …); repeatable\n"
    "  --node NODE         node for the plugin (default: node)\n"
    "  --dvdi MAIN_JS      dvdi's CLI for the plugin (default: dist/cli/main.js)\n"
    "  --quiet             no INFO lines of the isolator's log\n";

std::string selfPath() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string();
}

std::string directoryOf(const std::string& path) { return path.substr(0, path.rfind('/')); }

int usage(const std::string& problem) {
  std::cerr << "dvdi-agent-sim: " << problem << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  dvdi::sim::ScenarioOptions scenario;
  dvdi::sim::AgentOptions agent;
  dvdi::sim::DeadContainers dead = dvdi::sim::DeadContainers::gone;
  scenario.self = selfPath();
  scenario.runtime_library = directoryOf(scenario.self) + "/libdvdi_runtime.so";
  scenario.node = "node";
  scenario.dvdi = "dist/cli/main.js";
  std::vector<std::string> positionals;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--quiet") {
      scenario.show_logs = false;
    } else if (arg == "--runtime" && has_value) {
      scenario.runtime_library = argv[++i];
    } else if (arg == "--work" && has_value) {
      scenario.work = argv[++i];
    } else if (arg == "--node" && has_value) {
      scenario.node = argv[++i];
    } else if (arg == "--dvdi" && has_value) {
      scenario.dvdi = argv[++i];
    } else if (arg == "--driver" && has_value) {
      agent.driver = argv[++i];
    } else if (arg == "--dead" && has_value && (std::string(argv[i + 1]) == "gone" || std::string(argv[i + 1]) == "orphans")) {
      dead = std::string(argv[++i]) == "gone" ? dvdi::sim::DeadContainers::gone : dvdi::sim::DeadContainers::orphans;
    } else if (arg == "--param" && has_value) {
      const std::string param = argv[++i];
      const size_t equals = param.find('=');
      if (equals == std::string::npos) return usage("--param needs KEY=VALUE, got " + param);
      scenario.params.emplace_back(param.substr(0, equals), param.substr(equals + 1));
    } else if (arg.rfind("--", 0) == 0) {
      return usage("unknown or incomplete option " + arg);
    } else {
      positionals.push_back(arg);
    }
  }
  try {
    if (positionals == std::vector<std::string>{"scenario"}) return dvdi::sim::runScenario(scenario);
    if (positionals.size() == 2 && positionals[0] == "agent" && !agent.driver.empty() && !scenario.work.empty()) {
      agent.runtime_library = scenario.runtime_library;
      agent.params = scenario.params;
      agent.work = scenario.work;
      agent.show_logs = scenario.show_logs;
      if (positionals[1] == "first") return dvdi::sim::runFirstLife(agent);
      if (positionals[1] == "restart") return dvdi::sim::runRestartLife(agent);
      if (positionals[1] == "teardown") return dvdi::sim::runTeardownLife(agent);
      if (positionals[1] == "serve") return dvdi::sim::runServeLife(agent, dead);
    }
  } catch (const std::exception& e) {
    std::cerr << "dvdi-agent-sim: " << e.what() << "\n";
    return 1;
  }
  return usage("expected `scenario`, or `agent first|restart|teardown|serve` with --driver and --work");
}
