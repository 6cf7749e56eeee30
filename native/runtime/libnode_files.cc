#include "libnode_files.h"

#include <unistd.h>

namespace dvdi {

std::string first_unreadable(const std::string& colon_separated) {
  size_t start = 0;
  while (start < colon_separated.size()) {
    size_t end = colon_separated.find(':', start);
    if (end == std::string::npos) end = colon_separated.size();
    std::string path = colon_separated.substr(start, end - start);
    if (!path.empty() && access(path.c_str(), R_OK) != 0) return path;
    start = end + 1;
  }
  return "";
}

std::string missing_libnode_file() {
  std::string missing = first_unreadable(DVDI_LIBNODE_BUILTIN_FILES);
  if (missing.empty()) return "";
  return "libnode cannot start: its builtin file " + missing +
         " is missing (install Debian's node-acorn, node-cjs-module-lexer and node-undici)";
}

}  // namespace dvdi
