// dvdi-runtime-bench: the host of `npm run bench:runtime` (bench/runtime/),
// of `make bench`'s bridge round trip (bench/bridge.js) and of `make soak`
// (bench/soak/). Loads libdvdi_runtime.so with dlopen and drives it through
// the C interface only, as the Mesos module does, and prints what it measured
// as one JSON object a line, which those scripts turn into ratios. Log lines
// of the runtime at WARNING and ERROR go to stderr, INFO lines are dropped.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "bridge_wire.h"
#include "hand_off.h"
#include "measure.h"
#include "process_stats.h"
#include "runtime_library.h"
#include "soak.h"

namespace {

using dvdi::bench::HandOff;
using dvdi::bench::HeapProbe;
using dvdi::bench::measureInterleaved;
using dvdi::bench::measureRestarts;
using dvdi::bench::measureRoundTrips;
using dvdi::bench::measureVolumeRounds;
using dvdi::bench::readProcessStats;
using dvdi::bench::RoundTrips;
using dvdi::bench::runSoak;
using dvdi::bench::SoakOptions;
using dvdi::bench::SoakWindow;
using dvdi::sim::RuntimeLibrary;
using Pairs = std::vector<std::pair<std::string, std::string>>;

const char kUsage[] =
    "usage: dvdi-runtime-bench --library=PATH --mode=MODE [OPTION...]\n"
    "  start      start the runtime until ready, then stop it\n"
    "  roundtrip  echo calls from 1 and 4 threads (--calls=N each), the same through a\n"
    "             thread hand-off alone, then --restarts=N restarts (bench/runtime/echo-bundle.cjs)\n"
    "  volume     --warmup=N and --rounds=N prepare+cleanup rounds of one volume (the real bundle),\n"
    "             sandboxes under --sandboxes=DIR, task variables --env=NAME=VALUE...\n"
    "  bridge     --calls=N cleanups of an unknown container from one thread (the real bundle) and\n"
    "             N round trips through a thread hand-off alone, in --blocks=N alternating blocks\n"
    "  soak       --warmup-calls=N, then --windows=N windows of --window-calls=N prepare and cleanup\n"
    "             calls from --threads=N threads, volumes of --driver=NAME, sandboxes under\n"
    "             --sandboxes=DIR, figures taken --settle-ms=N after each (bench/soak/soak-bundle.cjs)\n"
    "  --param=KEY=VALUE  a module parameter; repeatable\n";

// The echo bundle answers with the request.
const std::string kEcho = "ping";
constexpr unsigned kWarmupCalls = 2000;

struct Options {
  std::string library, mode, sandboxes;
  unsigned calls = 10000, restarts = 5, warmup = 5, rounds = 30, blocks = 10;
  Pairs params, environment;
  SoakOptions soak;
};

std::string param(const Options& options, const std::string& key) {
  for (const auto& [name, value] : options.params) {
    if (name == key) return value;
  }
  return "";
}

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
    else if (name == "--blocks") options.blocks = std::stoul(value);
    else if (name == "--threads") options.soak.threads = std::stoul(value);
    else if (name == "--warmup-calls") options.soak.warmup_calls = std::stoul(value);
    else if (name == "--window-calls") options.soak.window_calls = std::stoul(value);
    else if (name == "--windows") options.soak.windows = std::stoul(value);
    else if (name == "--settle-ms") options.soak.settle_ms = std::stoul(value);
    else if (name == "--driver") options.soak.driver = value;
    else if (name == "--param") options.params.push_back(splitPair(value));
    else if (name == "--env") options.environment.push_back(splitPair(value));
    else throw std::invalid_argument("unknown option " + name);
  }
  if (options.library.empty()) throw std::invalid_argument("--library is needed");
  const std::string modes[] = {"start", "roundtrip", "volume", "bridge", "soak"};
  if (std::find(std::begin(modes), std::end(modes), options.mode) == std::end(modes)) {
    throw std::invalid_argument("--mode must be start, roundtrip, volume, bridge or soak");
  }
  if ((options.mode == "volume" || options.mode == "soak") && options.sandboxes.empty()) {
    throw std::invalid_argument("--sandboxes is needed");
  }
  if (options.mode == "soak" && (options.soak.driver.empty() || options.soak.threads == 0)) {
    throw std::invalid_argument("--driver and at least one thread are needed");
  }
  if (options.blocks == 0 || options.calls < options.blocks) throw std::invalid_argument("--calls must be --blocks or more");
  options.soak.sandboxes = options.sandboxes;
  options.soak.checkpoint = param(options, "checkpoint");
  return options;
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

// The call that does no I/O: a cleanup of a container the isolator does not know.
void bridgeRoundTrips(RuntimeLibrary& runtime, const Options& options) {
  const dvdi::sim::CallResult recovered = runtime.call(DVDI_CALL_RECOVER, dvdi::wire::encodeRecoverRequest({}, {}));
  if (!recovered.ok) throw std::runtime_error("recover failed: " + recovered.data);
  const std::string request = dvdi::wire::encodeCleanupRequest("dvdi-bench-unknown");
  const dvdi::sim::CallResult first = runtime.call(DVDI_CALL_CLEANUP, request);
  dvdi::wire::CleanupResponse released;
  std::string error;
  if (!first.ok || !dvdi::wire::decodeCleanupResponse(reinterpret_cast<const uint8_t*>(first.data.data()),
                                                      first.data.size(), &released, &error) ||
      !released.released.empty()) {
    throw std::runtime_error("the cleanup of an unknown container released something or failed: " + first.data + error);
  }
  HandOff handOff;
  // Every answer must be the first one: the same empty CleanupResponse.
  const auto throughBridge = [&] {
    const dvdi::sim::CallResult r = runtime.call(DVDI_CALL_CLEANUP, request);
    return r.ok && r.data == first.data;
  };
  const auto throughHandOff = [&] { return handOff.call(request) == request; };
  measureRoundTrips(1, kWarmupCalls, throughBridge);
  measureRoundTrips(1, kWarmupCalls, throughHandOff);
  const auto [bridge, floor] = measureInterleaved(options.blocks, options.calls / options.blocks, throughBridge, throughHandOff);
  emitRoundTrips("bridge", 1, bridge);
  emitRoundTrips("handoff", 1, floor);
}

void soak(RuntimeLibrary& runtime, const Options& options, HeapProbe& heap) {
  runSoak(runtime, options.soak, heap, [](const SoakWindow& w) {
    std::ostringstream line;
    line.precision(3);
    line << std::fixed << "\"event\":\"window\",\"index\":" << w.index << ",\"calls\":" << w.calls
         << ",\"wall_s\":" << w.wall_s << ",\"p50_ms\":" << w.p50_ms << ",\"p99_ms\":" << w.p99_ms
         << ",\"rss_kb\":" << w.process.rss_kb << ",\"fds\":" << w.process.fds << ",\"threads\":" << w.process.threads
         << ",\"heap_used\":" << w.heap_used << ",\"checkpoint_bytes\":" << w.checkpoint_bytes << ",\"fd_kinds\":{";
    for (auto it = w.process.fd_kinds.begin(); it != w.process.fd_kinds.end(); ++it) {
      line << (it == w.process.fd_kinds.begin() ? "" : ",") << '"' << it->first << "\":" << it->second;
    }
    line << '}';
    emit(line.str());
  });
}

int run(const Options& options) {
  using Clock = std::chrono::steady_clock;
  const auto millis = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  const long before = readProcessStats().rss_kb;
  const Clock::time_point t0 = Clock::now();
  RuntimeLibrary runtime(options.library);
  const Clock::time_point t1 = Clock::now();
  HeapProbe heap;
  runtime.start(options.params, [&heap](int level, const std::string& line) {
    heap.seen(line);
    if (level != DVDI_LOG_INFO) std::cerr << (level == DVDI_LOG_WARNING ? "WARNING " : "ERROR ") << line << '\n';
  });
  const Clock::time_point t2 = Clock::now();
  emit("\"event\":\"start\",\"dlopen_ms\":" + std::to_string(millis(t1 - t0)) +
       ",\"start_ms\":" + std::to_string(millis(t2 - t1)) + ",\"rss_before_kb\":" + std::to_string(before) +
       ",\"rss_ready_kb\":" + std::to_string(readProcessStats().rss_kb));

  if (options.mode == "roundtrip") {
    roundTrips(runtime, options);
  } else if (options.mode == "bridge") {
    bridgeRoundTrips(runtime, options);
  } else if (options.mode == "soak") {
    soak(runtime, options, heap);
  } else if (options.mode == "volume") {
    emit("\"event\":\"volume\",\"samples_ms\":" +
         json(measureVolumeRounds(runtime, options.warmup, options.rounds, options.sandboxes, options.environment)));
  }
  emit("\"event\":\"end\",\"rss_kb\":" + std::to_string(readProcessStats().rss_kb));
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
