#include "process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>

namespace dvdi::bench {

namespace {

// What an open file is, for telling which kind grows: a socket's or pipe's
// inode number and a file's path are left out.
std::string kindOf(const std::string& link) {
  const size_t bracket = link.find(":[");
  if (link.rfind("anon_inode:", 0) == 0) return link;
  if (bracket != std::string::npos) return link.substr(0, bracket);
  return "file";
}

void countFds(ProcessStats& stats) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) throw std::runtime_error("cannot list /proc/self/fd");
  const std::string own = std::to_string(dirfd(dir));
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.' || entry->d_name == own) continue;
    char link[4096];
    const ssize_t size = readlink(("/proc/self/fd/" + std::string(entry->d_name)).c_str(), link, sizeof link);
    if (size < 0) continue;  // closed meanwhile
    ++stats.fds;
    ++stats.fd_kinds[kindOf(std::string(link, size))];
  }
  closedir(dir);
}

}  // namespace

ProcessStats readProcessStats() {
  ProcessStats stats;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) stats.rss_kb = std::stol(line.substr(6));
    if (line.rfind("Threads:", 0) == 0) stats.threads = std::stoi(line.substr(8));
  }
  if (stats.rss_kb == 0 || stats.threads == 0) throw std::runtime_error("no VmRSS or Threads in /proc/self/status");
  status.close();
  countFds(stats);
  return stats;
}

}  // namespace dvdi::bench
