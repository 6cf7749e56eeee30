#include "report.h"

#include <stdio.h>

namespace dvdi::sim {

void Report::print(const std::string& text) {
  fputs(text.c_str(), stdout);
  fputc('\n', stdout);
  // Line by line, also into a pipe: the scenario's parent reads it as it comes.
  fflush(stdout);
}

void Report::line(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  print(text);
}

namespace {

const std::string kOk = "    ok   ";
const std::string kFail = "    FAIL ";

}  // namespace

bool Report::check(const std::string& what, bool ok) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++(ok ? passed_ : failed_);
  print((ok ? kOk : kFail) + what);
  return ok;
}

void Report::relay(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (text.rfind(kOk, 0) == 0) ++passed_;
  if (text.rfind(kFail, 0) == 0) ++failed_;
  print(text);
}

void Report::log(int level, const std::string& text) {
  if (!show_logs_ && level == 0) return;
  static const char* const kLevels[] = {"", "WARN ", "ERROR "};
  std::lock_guard<std::mutex> lock(mutex_);
  print(std::string("      ") + kLevels[level >= 0 && level <= 2 ? level : 2] + "log: " + text);
}

int Report::passed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return passed_;
}

int Report::failed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failed_;
}

}  // namespace dvdi::sim
