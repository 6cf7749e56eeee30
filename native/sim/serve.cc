#include "serve.h"

#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace dvdi::sim {

namespace {

// Reasons are answered on one line.
std::string oneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

void destroy(Agent& agent, Report& report, const std::string& id) {
  try {
    agent.destroy(id);
    report.line("= destroyed " + id);
  } catch (const std::exception& e) {
    report.line("= destroy-failed " + id + " " + oneLine(e.what()));
  }
}

// A failed launch is destroyed, as the containerizer destroys a container whose prepare failed.
void launch(Agent& agent, Report& report, const std::string& id, const Environment& environment) {
  try {
    const Launched launched = agent.launch(id, environment);
    report.line("= launched " + id + " " + std::to_string(launched.container.pid));
    return;
  } catch (const std::exception& e) {
    report.line("= launch-failed " + id + " " + oneLine(e.what()));
  }
  destroy(agent, report, id);
}

void serve(Agent& agent, Report& report, const std::string& request) {
  std::istringstream words(request);
  std::string verb, id;
  words >> verb >> id;
  if (verb == "destroy" && !id.empty()) return destroy(agent, report, id);
  Environment environment;
  for (std::string variable; words >> variable;) {
    const size_t equals = variable.find('=');
    if (equals == std::string::npos) verb = "";
    environment.emplace_back(variable.substr(0, equals), variable.substr(equals + 1));
  }
  if (verb == "launch" && !id.empty()) return launch(agent, report, id, environment);
  report.line("= unknown " + oneLine(request));
}

}  // namespace

int runServeLife(const AgentOptions& options, DeadContainers dead) {
  Report report(options.show_logs);
  Agent agent(options, &report);
  try {
    agent.start();
    agent.recover(false, dead);
  } catch (const std::exception& e) {
    report.line(std::string("= failed ") + oneLine(e.what()));
    return 1;
  }
  std::string alive;
  for (const LaunchedContainer& c : agent.containers()) alive += " " + c.id;
  report.line("= recovered" + alive);
  std::vector<std::thread> requests;
  for (std::string request; std::getline(std::cin, request);) {
    requests.emplace_back([&agent, &report, request] { serve(agent, report, request); });
  }
  for (std::thread& t : requests) t.join();
  agent.stop();
  return 0;
}

}  // namespace dvdi::sim
