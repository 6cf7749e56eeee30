// Field numbers from mesos.proto (REFERENCE.md §2): ExecutorInfo.executor_id = 1,
// .command = 7; CommandInfo.environment = 2, .value = 3, .shell = 6;
// Environment.variables = 1; Variable.name = 1, .value = 2; ExecutorID.value = 1.
#include "executor_info.h"

#include "protobuf_wire.h"

namespace dvdi::sim {

using namespace dvdi::wire;

std::string encodeExecutorInfo(const std::string& executor_id, const std::string& command,
                               const Environment& environment) {
  std::string env;
  for (const auto& [name, value] : environment) {
    std::string variable;
    appendBytesField(&variable, 1, name);
    appendBytesField(&variable, 2, value);
    appendBytesField(&env, 1, variable);
  }
  std::string command_info;
  appendBytesField(&command_info, 2, env);
  appendBytesField(&command_info, 3, command);
  appendVarintField(&command_info, 6, 1);

  std::string id;
  appendBytesField(&id, 1, executor_id);
  std::string executor;
  appendBytesField(&executor, 1, id);
  appendBytesField(&executor, 7, command_info);
  return executor;
}

}  // namespace dvdi::sim
