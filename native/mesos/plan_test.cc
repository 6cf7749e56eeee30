// Unit tests of the module's Mesos-independent half; no Mesos tree needed.
// Prints "N passed, N failed" and exits non-zero on any failure.
#include <stdio.h>

#include <string>
#include <vector>

#include "../wire/protobuf_wire.h"
#include "expect.h"
#include "plan.h"

using dvdi::shim::ModuleOptions;
using dvdi::shim::Parameters;
using dvdi::shim::PreparePlan;
using dvdi::shim::PrepareShape;
using dvdi::wire::PrepareResponse;

static PrepareResponse bindResponse() {
  PrepareResponse r;
  r.commands.push_back("mount --make-rslave /");
  r.commands.push_back("mount -n --rbind '/var/lib/dvdi/v' '/data'");
  r.mount_namespace = true;
  dvdi::wire::PreparedMount bound;
  bound.driver = "rexray";
  bound.name = "v";
  bound.mountpoint = "/var/lib/dvdi/v";
  bound.container_path = "/data";
  r.mounts.push_back(bound);
  dvdi::wire::PreparedMount unbound = bound;
  unbound.name = "w";
  unbound.mountpoint = "/var/lib/dvdi/w";
  unbound.container_path = "";
  r.mounts.push_back(unbound);
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
  EXPECT(dvdi::shim::prepareShapeOf(2803, &shape) && shape == PrepareShape::CommandListWithNamespaces);
  // 1.2.1 orders above every 0.2x release, unlike dot-stripped 121.
  EXPECT(dvdi::shim::prepareShapeOf(10201, &shape) && shape == PrepareShape::CommandListWithNamespaces);
  EXPECT(dvdi::shim::prepareShapeOf(10403, &shape) && shape == PrepareShape::CommandListWithNamespaces);
  EXPECT(dvdi::shim::prepareShapeOf(10500, &shape) && shape == PrepareShape::BindMounts);
  EXPECT(dvdi::shim::prepareShapeOf(11100, &shape) && shape == PrepareShape::BindMounts);
  EXPECT(!dvdi::shim::prepareShapeOf(11200, &shape));
}

// The fields of a planned message this test looks at, read back with the wire reader.
struct Message {
  std::string value;                      // CommandInfo.value = 3
  bool shell = false;                     // CommandInfo.shell = 6
  std::vector<std::string> commands;      // field 1, each a CommandInfo's value
  std::vector<uint64_t> namespaces;       // field 4
  std::vector<std::string> mount_fields;  // field 17, as "target<source<flags"
};

static bool readCommand(const std::string& bytes, Message* out) {
  dvdi::wire::Reader reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  while (!reader.done()) {
    uint32_t field;
    dvdi::wire::WireType type;
    uint64_t number;
    if (!reader.readKey(&field, &type)) return false;
    if (field == 3) {
      if (!reader.readBytesField(type, &out->value)) return false;
    } else if (field == 6) {
      if (!reader.readVarintField(type, &number)) return false;
      out->shell = number != 0;
    } else if (!reader.skip(type)) {
      return false;
    }
  }
  return true;
}

static std::string readMount(const std::string& bytes) {
  dvdi::wire::Reader reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  std::string target, source;
  uint64_t flags = 0;
  while (!reader.done()) {
    uint32_t field;
    dvdi::wire::WireType type;
    if (!reader.readKey(&field, &type)) return "malformed";
    bool ok = field == 1 ? reader.readBytesField(type, &target)
            : field == 2 ? reader.readBytesField(type, &source)
            : field == 4 ? reader.readVarintField(type, &flags)
                         : reader.skip(type);
    if (!ok) return "malformed";
  }
  return target + "<" + source + "<" + std::to_string(flags);
}

static bool readMessage(const std::string& bytes, Message* out) {
  dvdi::wire::Reader reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  while (!reader.done()) {
    uint32_t field;
    dvdi::wire::WireType type;
    std::string nested;
    uint64_t number;
    if (!reader.readKey(&field, &type)) return false;
    if (field == 1) {
      Message command;
      if (!reader.readBytesField(type, &nested) || !readCommand(nested, &command) || !command.shell) return false;
      out->commands.push_back(command.value);
    } else if (field == 4) {
      if (!reader.readVarintField(type, &number)) return false;
      out->namespaces.push_back(number);
    } else if (field == 17) {
      if (!reader.readBytesField(type, &nested)) return false;
      out->mount_fields.push_back(readMount(nested));
    } else if (!reader.skip(type)) {
      return false;
    }
  }
  return true;
}

static Message planned(PrepareShape shape, bool global_newns) {
  PreparePlan plan;
  std::string error;
  Message message;
  EXPECT(dvdi::shim::planPrepare(bindResponse(), shape, global_newns, &plan, &error));
  EXPECT(!plan.none);
  EXPECT(readMessage(plan.message, &message));
  return message;
}

static void testBindPerGeneration() {
  const std::vector<std::string> commands = bindResponse().commands;
  const std::vector<uint64_t> newns(1, 0x20000);
  // 0.23: one shell CommandInfo, the namespace from namespaces().
  PreparePlan plan;
  std::string error;
  Message joined;
  EXPECT(dvdi::shim::planPrepare(bindResponse(), PrepareShape::JoinedCommand, true, &plan, &error));
  EXPECT(readCommand(plan.message, &joined) && joined.shell);
  EXPECT(joined.value == "mount --make-rslave / && mount -n --rbind '/var/lib/dvdi/v' '/data'");
  // 0.24: a shell command each, the namespace from namespaces().
  Message list = planned(PrepareShape::CommandList, true);
  EXPECT(list.commands == commands && list.namespaces.empty() && list.mount_fields.empty());
  // 0.25-1.4: a shell command each and CLONE_NEWNS for this container only.
  Message withNamespaces = planned(PrepareShape::CommandListWithNamespaces, false);
  EXPECT(withNamespaces.commands == commands && withNamespaces.namespaces == newns);
  // 1.5+: the launcher binds (MS_BIND | MS_REC) what has a container path; no shell.
  Message mounts = planned(PrepareShape::BindMounts, false);
  EXPECT(mounts.commands.empty() && mounts.namespaces == newns);
  EXPECT(mounts.mount_fields == std::vector<std::string>(1, "/data</var/lib/dvdi/v<20480"));
}

// A DOCKER_VOLUME volume of mode RO: the isolator's commands remount the bind
// read-only; from 1.5 the plan asks the launcher for the bind and then for a
// read-only remount of it (MS_BIND | MS_REMOUNT | MS_RDONLY, no source).
static PrepareResponse readOnlyResponse() {
  PrepareResponse r = bindResponse();
  r.commands.resize(1);
  r.commands.push_back("mount -n --rbind '/var/lib/dvdi/v' '/ro'");
  r.commands.push_back("mount -n -o remount,bind,ro '/ro'");
  r.commands.push_back("mount -n --rbind '/var/lib/dvdi/v' '/rw'");
  r.mounts[0].container_path = "/ro";
  r.mounts[0].read_only = true;
  r.mounts[1] = r.mounts[0];
  r.mounts[1].container_path = "/rw";
  r.mounts[1].read_only = false;
  return r;
}

static void testReadOnlyBind() {
  const std::vector<uint64_t> newns(1, 0x20000);
  PreparePlan plan;
  std::string error;
  Message message;
  EXPECT(dvdi::shim::planPrepare(readOnlyResponse(), PrepareShape::CommandListWithNamespaces, false, &plan, &error));
  EXPECT(readMessage(plan.message, &message));
  EXPECT(message.commands == readOnlyResponse().commands && message.namespaces == newns && message.mount_fields.empty());

  Message mounts;
  EXPECT(dvdi::shim::planPrepare(readOnlyResponse(), PrepareShape::BindMounts, false, &plan, &error));
  EXPECT(readMessage(plan.message, &mounts));
  EXPECT(mounts.commands.empty() && mounts.namespaces == newns);
  std::vector<std::string> expected;
  expected.push_back("/ro</var/lib/dvdi/v<20480");  // MS_BIND | MS_REC
  expected.push_back("/ro<<4129");                  // MS_BIND | MS_REMOUNT | MS_RDONLY, after the bind
  expected.push_back("/rw</var/lib/dvdi/v<20480");
  EXPECT(mounts.mount_fields == expected);
  EXPECT((dvdi::shim::kMsBind | dvdi::shim::kMsRemount | dvdi::shim::kMsRdonly) == 4129u);
}

static void testNoBind() {
  PrepareResponse empty;
  PreparePlan plan;
  std::string error;
  EXPECT(dvdi::shim::planPrepare(empty, PrepareShape::JoinedCommand, true, &plan, &error) && plan.none);
  EXPECT(dvdi::shim::planPrepare(empty, PrepareShape::CommandList, false, &plan, &error) && plan.none);
  EXPECT(dvdi::shim::planPrepare(empty, PrepareShape::CommandListWithNamespaces, false, &plan, &error) && plan.none);
  EXPECT(dvdi::shim::planPrepare(empty, PrepareShape::BindMounts, false, &plan, &error) && plan.none);
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

// Serialized mesos.ContainerIDs as Mesos writes them: value = 1, parent = 2.
static void testContainerIds() {
  std::string id, error;
  EXPECT(dvdi::shim::containerIdOf(std::string("\x0a\x03top", 5), &id, &error) && id == "top");
  // A task-group task (1.1+): its executor's container is the parent, written after the value.
  const std::string nested("\x0a\x04task\x12\x05\x0a\x03top", 13);
  EXPECT(dvdi::shim::containerIdOf(nested, &id, &error) && id == "top.task");
  // Two levels, with the parent first and an unknown field skipped.
  const std::string deep("\x12\x0d\x0a\x04task\x12\x05\x0a\x03top\x18\x01\x0a\x05" "debug", 24);
  EXPECT(dvdi::shim::containerIdOf(deep, &id, &error) && id == "top.task.debug");
  EXPECT(!dvdi::shim::containerIdOf(std::string("\x12\x00", 2), &id, &error));
  EXPECT(error == "cannot decode ContainerID: missing required field value");
  EXPECT(!dvdi::shim::containerIdOf(std::string("\x0a\x09top", 5), &id, &error));
}

static void testDefaultRuntimeLibrary() {
  EXPECT(dvdi::shim::defaultRuntimeLibrary("/usr/lib/dvdi/libmesos_dvdi_isolator-0.27.2.so") ==
         "/usr/lib/dvdi/libdvdi_runtime.so");
  EXPECT(dvdi::shim::defaultRuntimeLibrary("libmesos_dvdi_isolator-0.27.2.so") == "libdvdi_runtime.so");
}

int main() {
  testShapes();
  testBindPerGeneration();
  testReadOnlyBind();
  testNoBind();
  testBindRefusedWithoutGlobalNamespace();
  testParameters();
  testContainerIds();
  testDefaultRuntimeLibrary();
  return dvdi::unit::report();
}
