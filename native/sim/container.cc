#include "container.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "process.h"

namespace dvdi::sim {

namespace {

const char kStarted[] = "started\n";
const std::string kWorkMark = "DVDI_SIM_AGENT_WORK=";
const std::string kIdMark = "DVDI_SIM_CONTAINER_ID=";

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string readAll(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  return text;
}

}  // namespace

pid_t startContainer(const wire::PrepareResponse& prepared, const std::string& directory, const std::string& work,
                     const std::string& id) {
  // The commands quote every path themselves; the launcher joins them as Mesos 0.23 does.
  std::string script = "cd " + shellQuote(directory);
  for (const std::string& command : prepared.commands) script += " && " + command;
  script += " && echo started && exec sleep infinity";
  std::vector<std::string> argv = {"/bin/sh", "-c", script};
  if (prepared.mount_namespace) {
    // A new mount namespace with the host's propagation kept: `mount --make-rslave /` is the commands' job.
    argv.insert(argv.begin(), {"unshare", "--mount", "--propagation", "unchanged", "--"});
  }
  int out[2], err[2];
  makePipe(out);
  makePipe(err);
  const pid_t pid = spawnProgram(argv, out[1], err[1], false, {kWorkMark + work, kIdMark + id});
  close(out[1]);
  close(err[1]);
  std::string said;
  char c;
  while (said.size() < sizeof kStarted - 1 && read(out[0], &c, 1) == 1) said += c;
  close(out[0]);
  if (said == kStarted) {
    close(err[0]);
    return pid;
  }
  const std::string error = trimmed(readAll(err[0]));
  close(err[0]);
  const int status = waitChild(pid);
  throw std::runtime_error("container commands failed (exit " + std::to_string(status) + "): " + error);
}

std::vector<MarkedContainer> markedContainers(const std::string& work) {
  std::vector<MarkedContainer> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) throw std::runtime_error("cannot read /proc");
  while (const dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(atoi(entry->d_name));
    if (pid <= 0 || !processRunning(pid)) continue;
    std::ifstream environment("/proc/" + std::string(entry->d_name) + "/environ");
    bool ours = false;
    MarkedContainer c{pid, ""};
    for (std::string variable; std::getline(environment, variable, '\0');) {
      if (variable == kWorkMark + work) ours = true;
      if (variable.rfind(kIdMark, 0) == 0) c.id = variable.substr(kIdMark.size());
    }
    if (ours && !c.id.empty()) found.push_back(c);
  }
  closedir(proc);
  return found;
}

std::string runInContainer(pid_t container, const std::string& script) {
  const ProgramOutput r =
      runProgram({"nsenter", "--target", std::to_string(container), "--mount", "--", "/bin/sh", "-c", script});
  if (r.status != 0) {
    throw std::runtime_error(script + ": " + (r.err.empty() ? "exit " + std::to_string(r.status) : trimmed(r.err)));
  }
  return trimmed(r.out);
}

}  // namespace dvdi::sim
