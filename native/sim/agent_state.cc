#include "agent_state.h"

#include <stdio.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "process.h"

namespace dvdi::sim {

namespace {

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string unhex(const std::string& text) {
  if (text.size() % 2 != 0) throw std::runtime_error("agent state: odd hex length");
  std::string out;
  for (size_t i = 0; i < text.size(); i += 2) out += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
  return out;
}

}  // namespace

std::vector<LaunchedContainer> loadAgentState(const std::string& path) {
  std::vector<LaunchedContainer> containers;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    LaunchedContainer c;
    std::string executor_hex, mountpoint;
    if (!(fields >> c.id >> c.pid >> c.start_time >> c.directory >> executor_hex)) {
      throw std::runtime_error("agent state " + path + ": malformed line: " + line);
    }
    c.executor_info = unhex(executor_hex);
    while (fields >> mountpoint) c.mountpoints.push_back(mountpoint);
    containers.push_back(c);
  }
  return containers;
}

bool stillRunning(const LaunchedContainer& container) {
  return container.start_time != 0 && processStartTime(container.pid) == container.start_time;
}

void saveAgentState(const std::string& path, const std::vector<LaunchedContainer>& containers) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    for (const LaunchedContainer& c : containers) {
      out << c.id << ' ' << c.pid << ' ' << c.start_time << ' ' << c.directory << ' ' << hex(c.executor_info);
      for (const std::string& m : c.mountpoints) out << ' ' << m;
      out << '\n';
    }
    out.flush();
    if (!out) throw std::runtime_error("cannot write agent state " + temporary);
  }
  if (rename(temporary.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename agent state to " + path);
}

}  // namespace dvdi::sim
