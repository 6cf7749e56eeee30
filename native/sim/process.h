// Child processes without a shell in between: the simulator is
// multi-threaded (Node runs in it), so children are started with
// posix_spawn, never fork.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dvdi::sim {

struct ProgramOutput {
  int status = -1;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// Starts argv[0] (searched in PATH) with stdin from /dev/null and stdout and
// stderr on the given descriptors (-1: inherited), in a process group of its
// own when asked (the terminal's Ctrl-C then does not reach it), with `extra_env`
// (NAME=VALUE) added to this process's environment. Throws on failure.
pid_t spawnProgram(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd, bool own_group = false,
                   const std::vector<std::string>& extra_env = {});

// Runs a program to its end, capturing its output.
ProgramOutput runProgram(const std::vector<std::string>& argv);

// Waits for a child and returns its exit code, or 128 + signal.
int waitChild(pid_t pid);

// The process's start time (clock ticks after boot), which tells it apart
// from a later process with the same pid; 0 when it is gone or a zombie (a
// zombie has left its mount namespace already).
unsigned long long processStartTime(pid_t pid);

inline bool processRunning(pid_t pid) { return processStartTime(pid) != 0; }

// SIGKILL, then waits until the process is gone or a zombie, for children and
// other processes alike; false if it is still running after `seconds`.
bool killAndWait(pid_t pid, int seconds);

// Single-quoted for sh.
std::string shellQuote(const std::string& text);

// Pipe ends closed on exec, so no child inherits another's pipe.
void makePipe(int fds[2]);

}  // namespace dvdi::sim
