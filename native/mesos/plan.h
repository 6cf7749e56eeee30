// The Mesos-independent half of the isolator module: which interface
// generation a release belongs to, the module's own parameters, and how a
// prepare response becomes the serialized message that generation's prepare
// returns (the module parses it into the release's own type). Plain C++11 so
// that it builds into the module (the agent's ABI) and is unit-tested
// without a Mesos tree.
#ifndef DVDI_MESOS_PLAN_H
#define DVDI_MESOS_PLAN_H

#include <stdint.h>

#include <string>
#include <utility>
#include <vector>

#include "../wire/bridge_wire.h"

// First release of each interface generation, as MESOS_VERSION_INT
// (major*10000 + minor*100 + patch), so the module's #if and the code below
// agree on where a generation starts.
#define DVDI_MESOS_FIRST 2300  // IsolatorProcess, ExecutorRunState, Option<CommandInfo>
#define DVDI_MESOS_0_24 2400   // Isolator, ContainerState, ContainerPrepareInfo
#define DVDI_MESOS_0_25 2500   // namespaces per prepare result; namespaces() gone
#define DVDI_MESOS_0_27 2700   // prepare(ContainerConfig) -> ContainerLaunchInfo
#define DVDI_MESOS_0_28 2800   // A: status(); ContainerConfig.executor_info
#define DVDI_MESOS_1_0 10000   // B: nothing pure virtual; pre_exec_commands
#define DVDI_MESOS_1_1 10100   // C: supportsNesting(); ContainerConfig.command_info; nested ContainerIDs
#define DVDI_MESOS_1_2 10200   // D: clone_namespaces
#define DVDI_MESOS_1_5 10500   // E: supportsStandalone(); ContainerMountInfo mounts
#define DVDI_MESOS_1_7 10700   // F: recover(std::vector<ContainerState>, …)
#define DVDI_MESOS_1_10 11000  // G: update(id, resourceRequests, resourceLimits)
#define DVDI_MESOS_END 11200   // first release not supported

namespace dvdi {
namespace shim {

// How a generation's prepare expresses the binds and the mount namespace.
enum class PrepareShape {
  JoinedCommand,                   // 0.23: one shell CommandInfo; CLONE_NEWNS only via namespaces()
  CommandList,                     // 0.24: a CommandInfo each (field 1); CLONE_NEWNS only via namespaces()
  // 0.25-1.4: field 1 each (commands, pre_exec_commands from 1.0); CLONE_NEWNS in field 4 when needed:
  // uint32 namespaces up to 1.1, repeated int32 clone_namespaces from 1.2, the same bytes.
  CommandListWithNamespaces,
  BindMounts,  // 1.5+: ContainerMountInfo mounts = 17, made by the launcher; clone_namespaces
};

// The shape of the release with this MESOS_VERSION_INT; false when unsupported.
bool prepareShapeOf(int version_int, PrepareShape* shape);

typedef std::vector<std::pair<std::string, std::string>> Parameters;

// The parameters the module reads itself. The runtime gets every parameter,
// these included, and checks the names and values it does not read.
struct ModuleOptions {
  // 0.23/0.24: ask for CLONE_NEWNS for every container through namespaces().
  bool namespaces = true;
  // The bridge library to dlopen; empty: libdvdi_runtime.so next to the module.
  std::string runtime_library;
};

// False with a reason on a bad value of the module's own parameters.
bool parseModuleOptions(const Parameters& parameters, ModuleOptions* options, std::string* error);

// What prepare returns: nothing (None), or the serialized message of the
// generation (CommandInfo for 0.23, ContainerPrepareInfo for 0.24-0.26,
// ContainerLaunchInfo from 0.27).
struct PreparePlan {
  bool none = true;
  std::string message;
};

// `global_newns`: on 0.23/0.24, whether namespaces() asked for CLONE_NEWNS.
// Binds that need a mount namespace the release cannot give are refused,
// since they would otherwise be made in the agent's own namespace.
bool planPrepare(const wire::PrepareResponse& response, PrepareShape shape, bool global_newns, PreparePlan* plan,
                 std::string* error);

// Linux's values, fixed by the kernel ABI, so that the plan needs no Linux headers.
const uint32_t kCloneNewns = 0x00020000;
const uint32_t kMsRdonly = 1;
const uint32_t kMsRemount = 32;
const uint32_t kMsBind = 4096;
const uint32_t kMsRec = 16384;

// A serialized mesos.ContainerID as Mesos prints it: a nested container's
// id (1.1+) is its parents' values and its own, joined with '.'.
bool containerIdOf(const std::string& serialized, std::string* id, std::string* error);

// The runtime library's path when none is configured: beside the module.
std::string defaultRuntimeLibrary(const std::string& module_path);

}  // namespace shim
}  // namespace dvdi

#endif
