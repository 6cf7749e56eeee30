// What the host itself shows, read independently of dvdi: the mount table
// and the loop devices.
#pragma once

#include <string>
#include <vector>

namespace dvdi::sim {

bool isMountpoint(const std::string& path);

// Mountpoints at or under `dir` in this process's mount namespace.
std::vector<std::string> mountsUnder(const std::string& dir);

// Loop devices (`/dev/loopN`) whose backing file is under `dir`.
std::vector<std::string> loopDevicesUnder(const std::string& dir);

// The whole file, or "" when it cannot be read.
std::string readFile(const std::string& path);

}  // namespace dvdi::sim
