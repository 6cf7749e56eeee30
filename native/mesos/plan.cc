#include "plan.h"

#include "../wire/protobuf_wire.h"

namespace dvdi {
namespace shim {

namespace {

// mesos.CommandInfo: value = 3, shell = 6.
std::string shellCommand(const std::string& value) {
  std::string command;
  wire::appendBytesField(&command, 3, value);
  wire::appendVarintField(&command, 6, 1);
  return command;
}

// mesos.slave.ContainerMountInfo: target = 1, source = 2, flags = 4.
std::string bindMount(const wire::PreparedMount& mount) {
  std::string info;
  wire::appendBytesField(&info, 1, mount.container_path);
  wire::appendBytesField(&info, 2, mount.mountpoint);
  wire::appendVarintField(&info, 4, kMsBind | kMsRec);
  return info;
}

// Linux ignores MS_RDONLY on the mount(2) that creates a bind, and the
// launchers of 1.5-1.7 pass the flags to one mount(2) as they are (only
// 1.8's fs::mount remounts by itself): so a read-only bind is a second
// ContainerMountInfo, without source, that remounts the bind read-only, as
// 1.7's docker/volume isolator asks for it. It changes this bind alone.
std::string readOnlyRemount(const wire::PreparedMount& mount) {
  std::string info;
  wire::appendBytesField(&info, 1, mount.container_path);
  wire::appendVarintField(&info, 4, kMsBind | kMsRemount | kMsRdonly);
  return info;
}

}  // namespace

bool prepareShapeOf(int version_int, PrepareShape* shape) {
  if (version_int < DVDI_MESOS_FIRST || version_int >= DVDI_MESOS_END) return false;
  if (version_int < DVDI_MESOS_0_24) {
    *shape = PrepareShape::JoinedCommand;
  } else if (version_int < DVDI_MESOS_0_25) {
    *shape = PrepareShape::CommandList;
  } else if (version_int < DVDI_MESOS_1_5) {
    *shape = PrepareShape::CommandListWithNamespaces;
  } else {
    *shape = PrepareShape::BindMounts;
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
  bool global = shape == PrepareShape::JoinedCommand || shape == PrepareShape::CommandList;
  if (response.commands.empty() && !(!global && response.mount_namespace)) return true;
  if (global && response.mount_namespace && !global_newns) {
    *error =
        "the volume's bind needs a mount namespace, which this Mesos release gives only with the module "
        "parameter namespaces=true";
    return false;
  }
  plan->none = false;
  std::string& out = plan->message;
  switch (shape) {
    case PrepareShape::JoinedCommand: {
      std::string joined;
      for (size_t i = 0; i < response.commands.size(); ++i) {
        if (i > 0) joined += " && ";
        joined += response.commands[i];
      }
      out = shellCommand(joined);
      return true;
    }
    case PrepareShape::BindMounts:
      // The launcher makes `/` a slave in the new namespace, then these binds: no shell.
      for (size_t i = 0; i < response.mounts.size(); ++i) {
        const wire::PreparedMount& mount = response.mounts[i];
        if (mount.container_path.empty()) continue;
        wire::appendBytesField(&out, 17, bindMount(mount));
        if (mount.read_only) wire::appendBytesField(&out, 17, readOnlyRemount(mount));
      }
      break;
    default:
      for (size_t i = 0; i < response.commands.size(); ++i) {
        wire::appendBytesField(&out, 1, shellCommand(response.commands[i]));
      }
  }
  if (response.mount_namespace && !global) wire::appendVarintField(&out, 4, kCloneNewns);
  return true;
}

bool containerIdOf(const std::string& serialized, std::string* id, std::string* error) {
  std::string value, parent;
  bool has_parent = false;
  bool ok = wire::decodeMessage(
      "ContainerID", reinterpret_cast<const uint8_t*>(serialized.data()), serialized.size(), {{1, "value"}},
      [&](uint32_t field, wire::WireType type, wire::Reader* reader) {
        if (field == 1) return reader->readBytesField(type, &value);
        if (field != 2) return reader->skip(type);
        has_parent = true;
        return reader->readBytesField(type, &parent);
      },
      error);
  if (!ok) return false;
  if (!has_parent) {
    *id = value;
    return true;
  }
  if (!containerIdOf(parent, id, error)) return false;
  *id += "." + value;
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
