// The module parameters the runtime itself reads; every parameter, these
// included, also goes to JavaScript through the bridge's parameters().
// Plain C++17, no Node, unit-tested by native/test/params_test.cc.
#ifndef DVDI_RUNTIME_PARAMS_H
#define DVDI_RUNTIME_PARAMS_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dvdi {

struct RuntimeOptions {
  std::string bundle;                  // `bundle`: path of the JS bundle; empty: next to the library
  uint32_t heap_limit_mb = 256;        // `heap_limit`: V8 old-space limit, MB
  uint32_t watchdog_timeout_s = 10;    // `watchdog_timeout`: seconds the event loop may stay unresponsive
  uint32_t start_timeout_s = 60;       // `start_timeout`: seconds until JavaScript must be ready
};

// Reads the runtime's own parameters; false with a one-line reason for a
// malformed or repeated one. Other keys are JavaScript's to check.
bool parse_runtime_options(const std::vector<std::pair<std::string, std::string>>& parameters,
                           RuntimeOptions* options, std::string* error);

}  // namespace dvdi

#endif
