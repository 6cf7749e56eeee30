// The scenario's output, as `dvdi demo` prints it: steps, one line a check
// (`    ok   …` / `    FAIL …`), and the runtime's log lines indented.
// Threads print whole lines, never interleaved.
#pragma once

#include <mutex>
#include <string>

namespace dvdi::sim {

class Report {
 public:
  explicit Report(bool show_logs) : show_logs_(show_logs) {}

  void line(const std::string& text);
  // Prints and counts a check; returns `ok`.
  bool check(const std::string& what, bool ok);
  // A line from the runtime's log sink (dvdi_log_level).
  void log(int level, const std::string& text);
  // A line a child process printed in this format: printed, and counted when it is a check.
  void relay(const std::string& text);
  int passed() const;
  int failed() const;

 private:
  void print(const std::string& text);

  const bool show_logs_;
  mutable std::mutex mutex_;
  int passed_ = 0;
  int failed_ = 0;
};

}  // namespace dvdi::sim
