#include "check.h"
#include "libnode_files.h"
#include "params.h"

using dvdi::RuntimeOptions;
using Parameters = std::vector<std::pair<std::string, std::string>>;

namespace {

bool parse(const Parameters& parameters, RuntimeOptions* options, std::string* error) {
  return dvdi::parse_runtime_options(parameters, options, error);
}

}  // namespace

TEST(defaults_without_runtime_parameters) {
  RuntimeOptions options;
  std::string error;
  CHECK(parse({{"mounter", "plugin"}, {"mount_timeout", "60"}}, &options, &error));
  CHECK(options.bundle.empty());
  CHECK_EQ(options.heap_limit_mb, 256u);
  CHECK_EQ(options.watchdog_timeout_s, 10u);
  CHECK_EQ(options.start_timeout_s, 60u);
}

TEST(reads_runtime_parameters) {
  RuntimeOptions options;
  std::string error;
  CHECK(parse({{"bundle", "/opt/dvdi/dvdi-runtime.cjs"},
               {"heap_limit", "64"},
               {"watchdog_timeout", "2"},
               {"start_timeout", "5"}},
              &options, &error));
  CHECK_EQ(options.bundle, std::string("/opt/dvdi/dvdi-runtime.cjs"));
  CHECK_EQ(options.heap_limit_mb, 64u);
  CHECK_EQ(options.watchdog_timeout_s, 2u);
  CHECK_EQ(options.start_timeout_s, 5u);
}

TEST(refuses_malformed_numbers) {
  for (const char* bad : {"", "-1", "12MB", " 64", "0x40", "1e3", "99999999999", "15", "16385"}) {
    RuntimeOptions options;
    std::string error;
    CHECK(!parse({{"heap_limit", bad}}, &options, &error));
    CHECK(error.find("heap_limit must be a whole number of MB from 16 to 16384") == 0);
  }
  RuntimeOptions options;
  std::string error;
  CHECK(!parse({{"watchdog_timeout", "0"}}, &options, &error));
  CHECK(!parse({{"start_timeout", "3601"}}, &options, &error));
}

TEST(refuses_relative_bundle_and_repeats) {
  RuntimeOptions options;
  std::string error;
  CHECK(!parse({{"bundle", "dvdi-runtime.cjs"}}, &options, &error));
  CHECK(error == "bundle must be an absolute path, not 'dvdi-runtime.cjs'");
  CHECK(!parse({{"mounter", "plugin"}, {"mounter", "dvdcli"}}, &options, &error));
  CHECK(error == "module parameter 'mounter' is given more than once");
  CHECK(!parse({{"", "x"}}, &options, &error));
}

TEST(finds_the_first_unreadable_file) {
  CHECK_EQ(dvdi::first_unreadable("/proc/self/status:/etc/hostname"), std::string(""));
  CHECK_EQ(dvdi::first_unreadable("/proc/self/status:/nonexistent/a.js:/nonexistent/b.js"),
           std::string("/nonexistent/a.js"));
  CHECK_EQ(dvdi::first_unreadable(""), std::string(""));
}

TEST(libnode_builtin_files_are_present_here) {
  CHECK_EQ(dvdi::missing_libnode_file(), std::string(""));
}
