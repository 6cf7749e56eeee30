#include "lives.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>

#include "container.h"
#include "host.h"
#include "process.h"

namespace dvdi::sim {

const char kAgentRunning[] = "  agent running; waiting for kill -9";

namespace {

const int kBackgroundUnmountSeconds = 60;

// Runs each step on its own thread, as the containerizer calls an isolator
// for several containers at once; rethrows the first failure.
void concurrently(const std::vector<std::function<void()>>& steps) {
  std::vector<std::exception_ptr> failures(steps.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < steps.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        steps[i]();
      } catch (...) {
        failures[i] = std::current_exception();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
}

// Waits for the background unmount the runtime does after recover.
bool waitUnmounted(const std::string& mountpoint) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kBackgroundUnmountSeconds);
  while (isMountpoint(mountpoint)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

Environment volume(const AgentOptions& options, const std::string& name, const std::string& opts,
                   const std::string& container_path) {
  return {{"DVDI_VOLUME_DRIVER", options.driver},
          {"DVDI_VOLUME_NAME", name},
          {"DVDI_VOLUME_OPTS", opts},
          {"DVDI_VOLUME_CONTAINERPATH", container_path}};
}

Environment sharedVolume(const AgentOptions& options) { return volume(options, "shared", "size=64M", "data"); }

Environment privateVolume(const AgentOptions& options) {
  return volume(options, "private", "size=64M,newfstype=ext4", "db");
}

const char kNote[] = "written by web-1 before the crash";

// Runs a life, turning an exception into a reported failure.
int life(const AgentOptions& options, const std::function<void(Agent&, Report&)>& body) {
  Report report(options.show_logs);
  try {
    Agent agent(options, &report);
    body(agent, report);
  } catch (const std::exception& e) {
    report.line(std::string("\n  FAILED: ") + e.what());
    return 1;
  }
  return report.failed() > 0 ? 1 : 0;
}

}  // namespace

int runFirstLife(const AgentOptions& options) {
  return life(options, [&](Agent& agent, Report& report) {
    agent.start();
    agent.recover();
    Launched web1, web2, db1;
    report.line("\n  launching web-1 and web-2 (volume \"shared\") and db-1 (volume \"private\") from three threads");
    concurrently({[&] { web1 = agent.launch("web-1", sharedVolume(options)); },
                  [&] { web2 = agent.launch("web-2", sharedVolume(options)); },
                  [&] { db1 = agent.launch("db-1", privateVolume(options)); }});
    const wire::PreparedMount& a = web1.prepared.mounts.at(0);
    const wire::PreparedMount& b = web2.prepared.mounts.at(0);
    report.check("web-1 and web-2 share one mount of \"shared\"", a.mountpoint == b.mountpoint && a.shared != b.shared);

    report.line("\n  inside the containers (each its own mount namespace, binds from the returned commands)");
    runInContainer(web1.container.pid,
                   "echo " + shellQuote(kNote) + " > " + shellQuote(a.container_path + "/hello.txt"));
    const std::string seen = runInContainer(web2.container.pid, "cat " + shellQuote(b.container_path + "/hello.txt"));
    report.check("web-2 reads what web-1 wrote: \"" + seen + "\"", seen == kNote);
    report.check("the host sees it at the volume's mountpoint",
                 readFile(a.mountpoint + "/hello.txt") == std::string(kNote) + "\n");
    const wire::PreparedMount& d = db1.prepared.mounts.at(0);
    runInContainer(db1.container.pid, "echo rows > " + shellQuote(d.container_path + "/table"));
    report.check("db-1 writes to its own volume", readFile(d.mountpoint + "/table") == "rows\n");
    report.check("binds stayed inside the namespaces (none on the host)",
                 !isMountpoint(a.container_path) && !isMountpoint(d.container_path));
    report.line(kAgentRunning);
    for (;;) pause();
  });
}

int runRestartLife(const AgentOptions& options) {
  return life(options, [&](Agent& agent, Report& report) {
    agent.start();
    const wire::RecoverResponse recovered = agent.recover();
    std::vector<std::string> kept = recovered.kept;
    std::sort(kept.begin(), kept.end());
    report.check("the running containers web-1 and web-2 keep their volumes",
                 kept == std::vector<std::string>{"web-1", "web-2"});
    report.check("db-1 is gone: its volume is released",
                 recovered.releasing == std::vector<std::string>{options.driver + "/private"});
    const LaunchedContainer web1 = agent.find("web-1");
    const LaunchedContainer web2 = agent.find("web-2");
    report.check("\"shared\" stayed mounted through the crash", isMountpoint(web1.mountpoints.at(0)));
    const std::string seen = runInContainer(web2.pid, "cat " + shellQuote(web2.directory + "/data/hello.txt"));
    report.check("web-2 still reads web-1's data through its bind", seen == kNote);
    bool gone_unmounted = !agent.gone().empty();
    for (const LaunchedContainer& c : agent.gone()) {
      for (const std::string& m : c.mountpoints) gone_unmounted = waitUnmounted(m) && gone_unmounted;
    }
    report.check("db-1's volume is unmounted in the background", gone_unmounted);

    report.line("\n  web-3 and db-2 launch while web-1 is destroyed, from three threads");
    Launched web3, db2;
    concurrently({[&] { web3 = agent.launch("web-3", sharedVolume(options)); },
                  [&] { db2 = agent.launch("db-2", privateVolume(options)); },
                  [&] { agent.destroy("web-1"); }});
    report.check("web-3 joins the mounted \"shared\"", web3.prepared.mounts.at(0).shared);
    const std::string rows =
        runInContainer(db2.container.pid, "cat " + shellQuote(db2.prepared.mounts.at(0).container_path + "/table"));
    report.check("db-2 reads what db-1 wrote before the crash: \"" + rows + "\"", rows == "rows");

    report.line("\n  destroying every container, from three threads");
    std::vector<std::string> mountpoints;
    std::vector<std::function<void()>> destroys;
    for (const LaunchedContainer& c : agent.containers()) {
      mountpoints.insert(mountpoints.end(), c.mountpoints.begin(), c.mountpoints.end());
      destroys.push_back([&agent, id = c.id] { agent.destroy(id); });
    }
    concurrently(destroys);
    report.check("every volume is unmounted after its last user",
                 std::none_of(mountpoints.begin(), mountpoints.end(), isMountpoint));
    report.check("the agent has no containers left", agent.containers().empty());
    agent.stop();
  });
}

int runTeardownLife(const AgentOptions& options) {
  return life(options, [&](Agent& agent, Report& report) {
    for (const LaunchedContainer& c : loadAgentState(agent.statePath())) {
      if (stillRunning(c)) killAndWait(c.pid, kContainerStopSeconds);
    }
    agent.start();
    // Nothing is alive: every volume is released, also mounts interrupted by
    // the failure; the unmounts run in the background until none is pending.
    wire::RecoverResponse recovered = agent.recover();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kBackgroundUnmountSeconds);
    while (!recovered.pending.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      recovered = agent.recover(true);
    }
    report.check("teardown: the isolator released every volume", recovered.pending.empty());
    agent.stop();
  });
}

}  // namespace dvdi::sim
