#include "scenario.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "lives.h"
#include "agent_state.h"
#include "host.h"
#include "process.h"
#include "report.h"

namespace dvdi::sim {

namespace {

const char kPlugin[] = "dvdi-sim";
const int kPluginStartSeconds = 30;

// Ctrl-C or SIGTERM: the scenario stops where it is and tears down. Its
// children run in their own process groups, so only the scenario gets the
// terminal's signal, and the plugin stays up for the teardown.
volatile sig_atomic_t interrupted = 0;

void onInterrupt(int) { interrupted = 1; }

void catchInterrupts() {
  struct sigaction action = {};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a blocked read of an agent's output returns at once.
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void stopIfInterrupted() {
  if (interrupted) throw std::runtime_error("interrupted");
}

class Scenario {
 public:
  explicit Scenario(const ScenarioOptions& options) : options_(options), report_(options.show_logs) {}

  int run() {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) throw std::runtime_error("prctl(PR_SET_CHILD_SUBREAPER) failed");
    catchInterrupts();
    report_.line("dvdi-agent-sim: the embedded isolator through its native bridge, dvdi's loop-device plugin and "
                 "real mount namespaces\n  work directory " + options_.work);
    std::string failure;
    try {
      startPlugin();
      play();
    } catch (const std::exception& e) {
      failure = e.what();
      report_.line(std::string("\n  FAILED: ") + failure);
    }
    if (!failure.empty() || report_.failed() > 0) {
      report_.line("\n  tearing down what the scenario left");
      interrupted = 0;  // a second interrupt stops the teardown
      life("teardown", false);
    }
    stopPlugin();
    reapOrphans();
    const std::vector<std::string> leftovers = leftoversUnder(options_.work);
    std::string listed;
    for (const std::string& l : leftovers) listed += " " + l;
    report_.check("nothing left mounted or attached" + (listed.empty() ? "" : ":" + listed), leftovers.empty());
    // With leftovers the work directory stays, so an operator can look at what was left.
    if (leftovers.empty()) runProgram({"rm", "-rf", "--", options_.work});
    report_.line("\nsummary: " + std::to_string(report_.passed()) + " checks passed, " +
                 std::to_string(report_.failed()) + " failed" + (failure.empty() ? "" : ", scenario aborted"));
    return failure.empty() && report_.failed() == 0 ? 0 : 1;
  }

 private:
  void play() {
    stopIfInterrupted();
    report_.line("\n== the agent's first life");
    const pid_t agent = life("first", true);
    if (agent <= 0) throw std::runtime_error("the agent's first life ended before its containers ran");

    report_.line("\n== kill -9 of the agent (pid " + std::to_string(agent) + ") while its containers run");
    kill(agent, SIGKILL);
    waitChild(agent);
    // Open until the kill, so a late log line never meets a closed pipe.
    fclose(running_output_);
    running_output_ = nullptr;
    const std::vector<LaunchedContainer> launched = loadAgentState(options_.work + "/agent-state");
    bool all_running = !launched.empty();
    for (const LaunchedContainer& c : launched) all_running = stillRunning(c) && all_running;
    report_.check("its " + std::to_string(launched.size()) + " containers outlived it", all_running);
    for (const LaunchedContainer& c : launched) {
      if (c.id != "db-1") continue;
      report_.line("  db-1's task ends while the agent is down (kill of pid " + std::to_string(c.pid) + ")");
      killAndWait(c.pid, 10);
    }
    reapOrphans();
    stopIfInterrupted();

    report_.line("\n== the agent restarts and recovers");
    if (life("restart", false) != 0) throw std::runtime_error("the agent's restart failed");
  }

  // Runs one agent life as a child, relaying its lines. With `until_running`,
  // returns its pid once it says its containers run; otherwise waits for its
  // end and returns its exit status.
  int life(const std::string& name, bool until_running) {
    std::vector<std::string> argv = {options_.self, "agent", name,  "--runtime", options_.runtime_library,
                                     "--work",      options_.work,    "--driver", kPlugin};
    if (!options_.show_logs) argv.push_back("--quiet");
    for (const auto& [key, value] : moduleParameters()) {
      argv.push_back("--param");
      argv.push_back(key + "=" + value);
    }
    int out[2];
    makePipe(out);
    const pid_t pid = spawnProgram(argv, out[1], -1, true);
    close(out[1]);
    FILE* lines = fdopen(out[0], "r");
    char* line = nullptr;
    size_t capacity = 0;
    ssize_t n;
    bool running = false;
    while (!running && (n = getline(&line, &capacity, lines)) > 0) {
      const std::string text(line, static_cast<size_t>(line[n - 1] == '\n' ? n - 1 : n));
      report_.relay(text);
      running = until_running && text == kAgentRunning;
    }
    free(line);
    if (interrupted) {
      kill(pid, SIGKILL);
      waitChild(pid);
      fclose(lines);
      stopIfInterrupted();
    }
    if (running) {
      running_output_ = lines;
      return pid;
    }
    fclose(lines);
    const int status = waitChild(pid);
    return until_running ? -1 : status;
  }

  std::vector<std::pair<std::string, std::string>> moduleParameters() const {
    std::vector<std::pair<std::string, std::string>> params = {
        {"checkpoint", options_.work + "/checkpoint/dvdimounts.pb"},
        {"mounter", "plugin"},
        {"plugin_socket_dirs", options_.work + "/plugins"},
    };
    for (const auto& given : options_.params) {
      auto same = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == given.first; });
      if (same == params.end()) {
        params.push_back(given);
      } else {
        same->second = given.second;
      }
    }
    return params;
  }

  void startPlugin() {
    const std::string socket = options_.work + "/plugins/" + kPlugin + ".sock";
    const std::string log = options_.work + "/plugin.log";
    const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot create " + log);
    plugin_ = spawnProgram({options_.node, options_.dvdi, "plugin", "serve", "--backend", "loop", "--name", kPlugin,
                            "--socket", socket, "--root", options_.work + "/plugin-root"},
                           log_fd, log_fd, true);
    close(log_fd);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kPluginStartSeconds);
    struct stat info;
    while (stat(socket.c_str(), &info) != 0) {
      if (waitpid(plugin_, nullptr, WNOHANG) == plugin_ || std::chrono::steady_clock::now() > deadline) {
        plugin_ = -1;
        throw std::runtime_error("the volume plugin did not start; see " + log);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    report_.line(std::string("  volume plugin \"") + kPlugin + "\" (loop backend, `dvdi plugin serve`) on " + socket);
  }

  void stopPlugin() {
    if (plugin_ <= 0) return;
    kill(plugin_, SIGTERM);
    waitChild(plugin_);
    plugin_ = -1;
  }

  // Containers whose agent died are ours now; a dead one is reaped here.
  void reapOrphans() {
    pid_t pid;
    while ((pid = waitpid(-1, nullptr, WNOHANG)) > 0) {
      if (pid == plugin_) plugin_ = -1;
    }
  }

  static std::vector<std::string> leftoversUnder(const std::string& dir) {
    std::vector<std::string> found = mountsUnder(dir);
    for (const std::string& device : loopDevicesUnder(dir)) found.push_back(device);
    return found;
  }

  ScenarioOptions options_;
  Report report_;
  pid_t plugin_ = -1;
  FILE* running_output_ = nullptr;  // the first life's output, open until it is killed
};

}  // namespace

int runScenario(ScenarioOptions options) {
  if (options.work.empty()) {
    char work[] = "/tmp/dvdi-sim-XXXXXX";
    if (mkdtemp(work) == nullptr) throw std::runtime_error("mkdtemp failed");
    options.work = work;
  }
  return Scenario(options).run();
}

}  // namespace dvdi::sim
