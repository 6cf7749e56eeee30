// A serialized mesos.ExecutorInfo as an agent hands it to the isolator: for a
// command task, the task's environment sits in the executor's CommandInfo.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dvdi::sim {

using Environment = std::vector<std::pair<std::string, std::string>>;

std::string encodeExecutorInfo(const std::string& executor_id, const std::string& command,
                               const Environment& environment);

}  // namespace dvdi::sim
