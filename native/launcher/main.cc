// dvdi: runs the operator CLI (dvdi-cli.cjs, beside this program's real file)
// on Debian's libnode, the one the module embeds, so every `dvdi` command
// works on an agent host with the module's runtime packages and no Node.js.
// Installed in /usr/lib/dvdi; /usr/bin/dvdi may be a symbolic link to it.
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include <node.h>

#include "libnode_files.h"

namespace {

std::string own_directory() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "";
  self[n] = '\0';
  std::string path(self);
  return path.substr(0, path.rfind('/'));
}

int fail(const std::string& reason) {
  std::fprintf(stderr, "dvdi: %s\n", reason.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string directory = own_directory();
  if (directory.empty()) return fail(std::string("cannot find this program's directory: ") + strerror(errno));
  std::string bundle = directory + "/dvdi-cli.cjs";
  if (access(bundle.c_str(), R_OK) != 0) return fail("cannot read " + bundle + ": " + strerror(errno));
  // libnode aborts when one of its builtin files is missing: say which instead.
  std::string missing = dvdi::missing_libnode_file();
  if (!missing.empty()) return fail(missing);
  // A root tool behaves the same whatever Node settings its caller has.
  unsetenv("NODE_OPTIONS");

  // libuv keeps argv's memory for the process title and assumes one block.
  std::vector<std::string> args = {argv[0], bundle};
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  std::vector<char> block;
  std::vector<size_t> starts;
  for (const std::string& a : args) {
    starts.push_back(block.size());
    block.insert(block.end(), a.begin(), a.end());
    block.push_back('\0');
  }
  std::vector<char*> node_argv;
  for (size_t start : starts) node_argv.push_back(block.data() + start);
  node_argv.push_back(nullptr);
  return node::Start(static_cast<int>(args.size()), node_argv.data());
}
