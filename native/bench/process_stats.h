// What the benchmarks watch of their own process, read from /proc/self.
#pragma once

#include <map>
#include <string>

namespace dvdi::bench {

struct ProcessStats {
  long rss_kb = 0;  // VmRSS
  int fds = 0;      // entries of /proc/self/fd
  std::map<std::string, int> fd_kinds;  // "socket", "pipe", "file", "anon_inode:[eventfd]", …
  int threads = 0;  // Threads
};

ProcessStats readProcessStats();

}  // namespace dvdi::bench
