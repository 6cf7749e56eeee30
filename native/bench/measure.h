// What dvdi-runtime-bench measures, each on a runtime already started.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "runtime_library.h"

namespace dvdi::bench {

struct RoundTrips {
  std::vector<double> samples_us;  // one per call, every thread's
  double wall_ms = 0;              // first call submitted to last completed
};

// `threads` threads each make `calls` calls one after another; `call` returns
// false when the answer is wrong, which fails the run.
RoundTrips measureRoundTrips(unsigned threads, unsigned calls, const std::function<bool()>& call);

// One thread's round trips through a and through b in alternating blocks of
// `calls`, `blocks` of each, so a load that comes and goes weighs on both alike.
std::pair<RoundTrips, RoundTrips> measureInterleaved(unsigned blocks, unsigned calls, const std::function<bool()>& a,
                                                     const std::function<bool()>& b);

// Makes the echo bundle's handler call process.exit, then times until the
// next echo call is answered; once per restart.
std::vector<double> measureRestarts(sim::RuntimeLibrary& runtime, unsigned restarts, const std::string& echo);

// Prepare then cleanup of one volume through the real bundle, a new container
// (sandbox under `sandboxes`) each round; returns the measured rounds' times.
std::vector<double> measureVolumeRounds(sim::RuntimeLibrary& runtime, unsigned warmup, unsigned rounds,
                                        const std::string& sandboxes,
                                        const std::vector<std::pair<std::string, std::string>>& environment);

}  // namespace dvdi::bench
