// Unit tests of the module's Mesos-independent half; no Mesos tree needed.
// Prints "N passed, N failed" and exits non-zero on any failure.
#include <stdio.h>

#include <string>
#include <vector>

#include "plan.h"

using dvdi::shim::ModuleOptions;
using dvdi::shim::Parameters;
using dvdi::shim::PreparePlan;
using dvdi::shim::PrepareShape;
using dvdi::wire::PrepareResponse;

static int passed = 0;
static int failed = 0;

#define EXPECT(cond)                                                  \
  do {                                                                \
    if (cond) {                                                       \
      ++passed;                                                       \
    } else {                                                          \
      ++failed;                                                       \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
    }                                                                 \
  } while (0)

static PrepareResponse bindResponse() {
  PrepareResponse r;
  r.commands.push_back("mount --make-rslave /");
  r.commands.push_back("mount -n --rbind '/var/lib/dvdi/v' '/data'");
  r.mount_namespace = true;
  return r;
}

static void testShapes() {
  PrepareShape shape;
  EXPECT(!dvdi::shim::prepareShapeOf(2299, &shape));
  EXPECT(dvdi::shim::prepareShapeOf(2300, &shape) && shape == PrepareShape::JoinedCommand);
  EXPECT(dvdi::shim::prepareShapeOf(2301, &shape) && shape == PrepareShape::JoinedCommand);
  EXPECT(dvdi::shim::prepareShapeOf(2402, &shape) && shape == PrepareShape::CommandList);
  EXPECT(dvdi::shim::prepareShapeOf(2500, &shape) && shape == PrepareShape::CommandListWithNamespaces);
  EXPECT(dvdi::shim::prepareShapeOf(2602, &shape) && shape == PrepareShape::CommandListWithNamespaces);
  EXPECT(dvdi::shim::prepareShapeOf(2703, &shape) && shape == PrepareShape::CommandListWithNamespaces);
  EXPECT(!dvdi::shim::prepareShapeOf(2800, &shape));
  // 1.2.1 orders above every 0.2x release, unlike dot-stripped 121.
  EXPECT(!dvdi::shim::prepareShapeOf(10201, &shape));
}

// A bind's commands as each generation's prepare returns them.
static void expectBindPlan(PrepareShape shape, bool global_newns, const std::vector<std::string>& commands,
                           bool clone_newns) {
  PreparePlan plan;
  std::string error;
  EXPECT(dvdi::shim::planPrepare(bindResponse(), shape, global_newns, &plan, &error));
  EXPECT(!plan.none);
  EXPECT(plan.commands == commands);
  EXPECT(plan.clone_newns == clone_newns);
}

static void testBindPerGeneration() {
  // 0.23: one shell command, the namespace from namespaces().
  expectBindPlan(PrepareShape::JoinedCommand, true,
                 std::vector<std::string>(1, "mount --make-rslave / && mount -n --rbind '/var/lib/dvdi/v' '/data'"),
                 false);
  // 0.24: a command each, the namespace from namespaces().
  expectBindPlan(PrepareShape::CommandList, true, bindResponse().commands, false);
  // 0.25+: a command each and CLONE_NEWNS for this container only.
  expectBindPlan(PrepareShape::CommandListWithNamespaces, false, bindResponse().commands, true);
}

static void testNoBind() {
  PrepareResponse empty;
  PreparePlan plan;
  std::string error;
  EXPECT(dvdi::shim::planPrepare(empty, PrepareShape::JoinedCommand, true, &plan, &error) && plan.none);
  EXPECT(dvdi::shim::planPrepare(empty, PrepareShape::CommandList, false, &plan, &error) && plan.none);
  EXPECT(dvdi::shim::planPrepare(empty, PrepareShape::CommandListWithNamespaces, false, &plan, &error) && plan.none);
}

static void testBindRefusedWithoutGlobalNamespace() {
  PreparePlan plan;
  std::string error;
  EXPECT(!dvdi::shim::planPrepare(bindResponse(), PrepareShape::JoinedCommand, false, &plan, &error));
  EXPECT(error.find("namespaces=true") != std::string::npos);
  error.clear();
  EXPECT(!dvdi::shim::planPrepare(bindResponse(), PrepareShape::CommandList, false, &plan, &error));
  EXPECT(error.find("namespaces=true") != std::string::npos);
}

static void testParameters() {
  Parameters all;
  all.push_back(std::make_pair("mounter", "plugin"));
  all.push_back(std::make_pair("namespaces", "false"));
  all.push_back(std::make_pair("runtime_library", "/opt/dvdi/libdvdi_runtime.so"));
  all.push_back(std::make_pair("heap_limit", "64"));
  ModuleOptions options;
  std::string error;
  EXPECT(dvdi::shim::parseModuleOptions(all, &options, &error));
  EXPECT(!options.namespaces);
  EXPECT(options.runtime_library == "/opt/dvdi/libdvdi_runtime.so");

  ModuleOptions defaults;
  EXPECT(dvdi::shim::parseModuleOptions(Parameters(), &defaults, &error));
  EXPECT(defaults.namespaces && defaults.runtime_library.empty());

  Parameters bad(1, std::make_pair(std::string("namespaces"), std::string("yes")));
  EXPECT(!dvdi::shim::parseModuleOptions(bad, &options, &error));
  EXPECT(error == "parameter namespaces: expected true or false, got \"yes\"");
  Parameters relative(1, std::make_pair(std::string("runtime_library"), std::string("lib/x.so")));
  EXPECT(!dvdi::shim::parseModuleOptions(relative, &options, &error));
  EXPECT(error.find("absolute path") != std::string::npos);
}

static void testDefaultRuntimeLibrary() {
  EXPECT(dvdi::shim::defaultRuntimeLibrary("/usr/lib/dvdi/libmesos_dvdi_isolator-0.27.2.so") ==
         "/usr/lib/dvdi/libdvdi_runtime.so");
  EXPECT(dvdi::shim::defaultRuntimeLibrary("libmesos_dvdi_isolator-0.27.2.so") == "libdvdi_runtime.so");
}

int main() {
  testShapes();
  testBindPerGeneration();
  testNoBind();
  testBindRefusedWithoutGlobalNamespace();
  testParameters();
  testDefaultRuntimeLibrary();
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
