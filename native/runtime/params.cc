#include "params.h"

#include <set>

namespace dvdi {

namespace {

// A whole decimal number in [min, max]; no sign, no spaces, no suffix.
bool parse_bounded(const std::string& text, uint32_t min, uint32_t max, uint32_t* out) {
  if (text.empty() || text.size() > 9) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value < min || value > max) return false;
  *out = value;
  return true;
}

struct Bounded {
  const char* key;
  uint32_t RuntimeOptions::*field;
  uint32_t min;
  uint32_t max;
  const char* unit;
};

const Bounded kBounded[] = {
    {"heap_limit", &RuntimeOptions::heap_limit_mb, 16, 16384, "MB"},
    {"watchdog_timeout", &RuntimeOptions::watchdog_timeout_s, 1, 3600, "seconds"},
    {"start_timeout", &RuntimeOptions::start_timeout_s, 1, 3600, "seconds"},
};

}  // namespace

bool parse_runtime_options(const std::vector<std::pair<std::string, std::string>>& parameters,
                           RuntimeOptions* options, std::string* error) {
  std::set<std::string> seen;
  for (const auto& [key, value] : parameters) {
    if (key.empty()) {
      *error = "a module parameter has an empty key";
      return false;
    }
    if (!seen.insert(key).second) {
      *error = "module parameter '" + key + "' is given more than once";
      return false;
    }
    if (key == "bundle") {
      if (value.empty() || value[0] != '/') {
        *error = "bundle must be an absolute path, not '" + value + "'";
        return false;
      }
      options->bundle = value;
      continue;
    }
    for (const Bounded& b : kBounded) {
      if (key != b.key) continue;
      if (!parse_bounded(value, b.min, b.max, &(options->*b.field))) {
        *error = key + " must be a whole number of " + b.unit + " from " + std::to_string(b.min) +
                 " to " + std::to_string(b.max) + ", not '" + value + "'";
        return false;
      }
    }
  }
  return true;
}

}  // namespace dvdi
