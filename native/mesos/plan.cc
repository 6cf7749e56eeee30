#include "plan.h"

namespace dvdi {
namespace shim {

bool prepareShapeOf(int version_int, PrepareShape* shape) {
  if (version_int < DVDI_MESOS_FIRST || version_int >= DVDI_MESOS_END) return false;
  if (version_int < DVDI_MESOS_0_24) {
    *shape = PrepareShape::JoinedCommand;
  } else if (version_int < DVDI_MESOS_0_25) {
    *shape = PrepareShape::CommandList;
  } else {
    *shape = PrepareShape::CommandListWithNamespaces;
  }
  return true;
}

bool parseModuleOptions(const Parameters& parameters, ModuleOptions* options, std::string* error) {
  for (Parameters::const_iterator p = parameters.begin(); p != parameters.end(); ++p) {
    if (p->first == "namespaces") {
      if (p->second != "true" && p->second != "false") {
        *error = "parameter namespaces: expected true or false, got \"" + p->second + "\"";
        return false;
      }
      options->namespaces = p->second == "true";
    } else if (p->first == "runtime_library") {
      if (p->second.empty() || p->second[0] != '/') {
        *error = "parameter runtime_library: expected an absolute path, got \"" + p->second + "\"";
        return false;
      }
      options->runtime_library = p->second;
    }
  }
  return true;
}

bool planPrepare(const wire::PrepareResponse& response, PrepareShape shape, bool global_newns, PreparePlan* plan,
                 std::string* error) {
  *plan = PreparePlan();
  bool per_container = shape == PrepareShape::CommandListWithNamespaces;
  if (response.commands.empty() && !(per_container && response.mount_namespace)) return true;
  if (!per_container && response.mount_namespace && !global_newns) {
    *error =
        "the volume's bind needs a mount namespace, which this Mesos release gives only with the module "
        "parameter namespaces=true";
    return false;
  }
  plan->none = false;
  plan->clone_newns = per_container && response.mount_namespace;
  if (shape != PrepareShape::JoinedCommand) {
    plan->commands = response.commands;
    return true;
  }
  std::string joined;
  for (size_t i = 0; i < response.commands.size(); ++i) {
    if (i > 0) joined += " && ";
    joined += response.commands[i];
  }
  plan->commands.push_back(joined);
  return true;
}

std::string defaultRuntimeLibrary(const std::string& module_path) {
  size_t slash = module_path.rfind('/');
  // A module found through the library path: so is the runtime library.
  if (slash == std::string::npos) return "libdvdi_runtime.so";
  return module_path.substr(0, slash + 1) + "libdvdi_runtime.so";
}

}  // namespace shim
}  // namespace dvdi
