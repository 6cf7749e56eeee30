// The Mesos-independent half of the isolator module: which interface
// generation a release belongs to, the module's own parameters, and how a
// prepare response becomes what that generation's prepare returns. Plain
// C++11 so that it builds into the module (the agent's ABI) and is
// unit-tested without a Mesos tree.
#ifndef DVDI_MESOS_PLAN_H
#define DVDI_MESOS_PLAN_H

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
#define DVDI_MESOS_END 2800    // first release not supported

namespace dvdi {
namespace shim {

// How a generation's prepare expresses the commands and the mount namespace.
enum class PrepareShape {
  JoinedCommand,              // 0.23: one shell CommandInfo; CLONE_NEWNS only via namespaces()
  CommandList,                // 0.24: a CommandInfo each; CLONE_NEWNS only via namespaces()
  CommandListWithNamespaces,  // 0.25+: a CommandInfo each; namespaces = CLONE_NEWNS when needed
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

// What prepare returns: nothing (None), or shell commands and whether the
// container needs its own mount namespace.
struct PreparePlan {
  bool none = true;
  std::vector<std::string> commands;  // one joined command for JoinedCommand
  bool clone_newns = false;           // only for CommandListWithNamespaces
};

// `global_newns`: on 0.23/0.24, whether namespaces() asked for CLONE_NEWNS.
// Commands that need a mount namespace the release cannot give are refused,
// since they would otherwise run in the agent's own namespace.
bool planPrepare(const wire::PrepareResponse& response, PrepareShape shape, bool global_newns, PreparePlan* plan,
                 std::string* error);

// The runtime library's path when none is configured: beside the module.
std::string defaultRuntimeLibrary(const std::string& module_path);

}  // namespace shim
}  // namespace dvdi

#endif
