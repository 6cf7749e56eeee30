// dvdi-runtime-bench: the host of `npm run bench:runtime` (bench/runtime/).
// Loads libdvdi_runtime.so with dlopen and drives it through the C interface
// only, as the Mesos module does, and prints what it measured as one JSON
// object a line; bench/runtime/run.js turns them into ratios. Log lines of the
// runtime at WARNING and ERROR go to stderr, INFO lines are dropped.
#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "hand_off.h"
#include "measure.h"
#include "runtime_library.h"

namespace {

using dvdi::bench::HandOff;
using dvdi::bench::measureRestarts;
using dvdi::bench::measureRoundTrips;
using dvdi::bench::measureVolumeRounds;
using dvdi::bench::RoundTrips;
using dvdi::sim::RuntimeLibrary;
using Pairs = std::vector<std::pair<std::string, std::string>>;

const char kUsage[] =
    "usage: dvdi-runtime-bench --library=PATH --mode=MODE [OPTION...]\n"
    "  start      start the runtime until ready, then stop it\n"
    "  roundtrip  echo calls from 1 and 4 threads (--calls=N each), the same through a\n"
    "             thread hand-off alone, then --restarts=N restarts (bench/runtime/echo-bundle.cjs)\n"
    "  volume     --warmup=N and --rounds=N prepare+cleanup rounds of one volume (the real bundle),\n"
    "             sandboxes under --sandboxes=DIR, task variables --env=NAME=VALUE...\n"
    "  --param=KEY=VALUE  a module parameter; repeatable\n";

// The echo bundle answers with the request.
const std::string kEcho = "ping";
constexpr unsigned kWarmupCalls = 2000;

struct Options {
  std::string library, mode, sandboxes;
  unsigned calls = 10000, restarts = 5, warmup = 5, rounds = 30;
  Pairs params, environment;
};

std::pair<std::string, std::string> splitPair(const std::string& text) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos) throw std::invalid_argument("expected KEY=VALUE, got " + text);
  return {text.substr(0, equals), text.substr(equals + 1)};
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const auto [name, value] = splitPair(argv[i]);
    if (name == "--library") options.library = value;
    else if (name == "--mode") options.mode = value;
    else if (name == "--sandboxes") options.sandboxes = value;
    else if (name == "--calls") options.calls = std::stoul(value);
    else if (name == "--restarts") options.restarts = std::stoul(value);
    else if (name == "--warmup") options.warmup = std::stoul(value);
    else if (name == "--rounds") options.rounds = std::stoul(value);
    else if (name == "--param") options.params.push_back(splitPair(value));
    else if (name == "--env") options.environment.push_back(splitPair(value));
    else throw std::invalid_argument("unknown option " + name);
  }
  if (options.library.empty()) throw std::invalid_argument("--library is needed");
  if (options.mode != "start" && options.mode != "roundtrip" && options.mode != "volume") {
    throw std::invalid_argument("--mode must be start, roundtrip or volume");
  }
  if (options.mode == "volume" && options.sandboxes.empty()) throw std::invalid_argument("--sandboxes is needed");
  return options;
}

// Resident memory of this process, from /proc/self/status.
long residentKb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  throw std::runtime_error("no VmRSS in /proc/self/status");
}

std::string json(const std::vector<double>& values) {
  std::ostringstream out;
  out.precision(4);
  out << std::fixed << '[';
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  out << ']';
  return out.str();
}

void emit(const std::string& line) { std::cout << '{' << line << "}\n" << std::flush; }

void emitRoundTrips(const std::string& path, unsigned threads, const RoundTrips& r) {
  emit("\"event\":\"roundtrip\",\"path\":\"" + path + "\",\"threads\":" + std::to_string(threads) +
       ",\"wall_ms\":" + std::to_string(r.wall_ms) + ",\"samples_us\":" + json(r.samples_us));
}

void roundTrips(RuntimeLibrary& runtime, const Options& options) {
  HandOff handOff;
  const auto throughRuntime = [&] {
    const dvdi::sim::CallResult r = runtime.call(DVDI_CALL_PREPARE, kEcho);
    return r.ok && r.data == kEcho;
  };
  const auto throughHandOff = [&] { return handOff.call(kEcho) == kEcho; };
  measureRoundTrips(1, kWarmupCalls, throughRuntime);
  measureRoundTrips(1, kWarmupCalls, throughHandOff);
  for (unsigned threads : {1u, 4u}) {
    emitRoundTrips("runtime", threads, measureRoundTrips(threads, options.calls, throughRuntime));
    emitRoundTrips("handoff", threads, measureRoundTrips(threads, options.calls, throughHandOff));
  }
  emit("\"event\":\"restart\",\"samples_ms\":" + json(measureRestarts(runtime, options.restarts, kEcho)));
}

int run(const Options& options) {
  using Clock = std::chrono::steady_clock;
  const auto millis = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  const long before = residentKb();
  const Clock::time_point t0 = Clock::now();
  RuntimeLibrary runtime(options.library);
  const Clock::time_point t1 = Clock::now();
  runtime.start(options.params, [](int level, const std::string& line) {
    if (level != DVDI_LOG_INFO) std::cerr << (level == DVDI_LOG_WARNING ? "WARNING " : "ERROR ") << line << '\n';
  });
  const Clock::time_point t2 = Clock::now();
  emit("\"event\":\"start\",\"dlopen_ms\":" + std::to_string(millis(t1 - t0)) +
       ",\"start_ms\":" + std::to_string(millis(t2 - t1)) + ",\"rss_before_kb\":" + std::to_string(before) +
       ",\"rss_ready_kb\":" + std::to_string(residentKb()));

  if (options.mode == "roundtrip") {
    roundTrips(runtime, options);
  } else if (options.mode == "volume") {
    emit("\"event\":\"volume\",\"samples_ms\":" +
         json(measureVolumeRounds(runtime, options.warmup, options.rounds, options.sandboxes, options.environment)));
  }
  emit("\"event\":\"end\",\"rss_kb\":" + std::to_string(residentKb()));
  runtime.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "dvdi-runtime-bench: " << e.what() << '\n' << kUsage;
    return 2;
  }
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "dvdi-runtime-bench: " << e.what() << '\n';
    // The runtime's threads may still run: leave without static destructors.
    std::_Exit(1);
  }
}
