#include "container.h"

#include <unistd.h>

#include <stdexcept>
#include <vector>

#include "process.h"

namespace dvdi::sim {

namespace {

const char kStarted[] = "started\n";

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

pid_t startContainer(const wire::PrepareResponse& prepared, const std::string& directory) {
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
  const pid_t pid = spawnProgram(argv, out[1], err[1]);
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

std::string runInContainer(pid_t container, const std::string& script) {
  const ProgramOutput r =
      runProgram({"nsenter", "--target", std::to_string(container), "--mount", "--", "/bin/sh", "-c", script});
  if (r.status != 0) {
    throw std::runtime_error(script + ": " + (r.err.empty() ? "exit " + std::to_string(r.status) : trimmed(r.err)));
  }
  return trimmed(r.out);
}

}  // namespace dvdi::sim
