#include "host.h"

#include <fstream>
#include <sstream>

#include "process.h"

namespace dvdi::sim {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescapeOctal(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::vector<std::string> mountpoints() {
  std::vector<std::string> found;
  std::ifstream table("/proc/self/mountinfo");
  std::string line;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mountpoint;
    if (fields >> id >> parent >> device >> root >> mountpoint) found.push_back(unescapeOctal(mountpoint));
  }
  return found;
}

bool atOrUnder(const std::string& path, const std::string& dir) {
  return path == dir || path.rfind(dir + "/", 0) == 0;
}

}  // namespace

bool isMountpoint(const std::string& path) {
  for (const std::string& m : mountpoints()) {
    if (m == path) return true;
  }
  return false;
}

std::vector<std::string> mountsUnder(const std::string& dir) {
  std::vector<std::string> found;
  for (const std::string& m : mountpoints()) {
    if (atOrUnder(m, dir)) found.push_back(m);
  }
  return found;
}

std::vector<std::string> loopDevicesUnder(const std::string& dir) {
  std::vector<std::string> found;
  std::istringstream lines(runProgram({"losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"}).out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string device, file;
    if (fields >> device >> file && atOrUnder(file, dir)) found.push_back(device);
  }
  return found;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace dvdi::sim
