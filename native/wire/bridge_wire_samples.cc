// Cross-checks bridge_wire against protobufjs (test/wire.test.ts):
//   bridge_wire_samples encode DIR    writes recover.bin, prepare.bin, cleanup.bin and
//                                     status.bin, the sample requests below, encoded here
//   bridge_wire_samples decode KIND   decodes a prepare, recover, cleanup or status
//                                     response from stdin and prints it as JSON
#include <stdio.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "bridge_wire.h"

using namespace dvdi::wire;

namespace {

const std::string kExecutorInfo("\x0a\x03\x0a\x01x\x3a\x00", 7);

bool write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path.c_str(), std::ios::binary);
  out << bytes;
  return static_cast<bool>(out);
}

bool encodeSamples(const std::string& dir) {
  LiveContainer full;
  full.container_id = "web-1";
  full.has_pid = true;
  full.pid = 1099511627776ULL;  // 2^40: a uint64 beyond 32 bits
  full.has_directory = true;
  full.directory = "/var/lib/mesos/sandbox \xc3\xbc";
  full.has_executor_info = true;
  full.executor_info = kExecutorInfo;
  LiveContainer bare;
  bare.container_id = std::string(200, 'b');

  PrepareRequest prepare;
  prepare.container_id = "db-1";
  prepare.executor_info = kExecutorInfo;
  prepare.directory = "/sandbox";
  prepare.has_rootfs = true;
  prepare.rootfs = "";

  StatusRequest status;
  status.has_samples_after = true;
  status.samples_after = 1099511627776ULL;
  status.volumes = true;

  return write(dir + "/recover.bin", encodeRecoverRequest({full, bare}, {"orphan-1", "orphan-2"})) &&
         write(dir + "/status.bin", encodeStatusRequest(status)) &&
         write(dir + "/prepare.bin", encodePrepareRequest(prepare)) &&
         write(dir + "/cleanup.bin", encodeCleanupRequest("web-1"));
}

std::string json(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json(bool b) { return b ? "true" : "false"; }

std::string json(const std::vector<std::string>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) out += (i ? "," : "") + json(list[i]);
  return out + "]";
}

std::string json(const PrepareResponse& r) {
  std::string mounts = "[";
  for (size_t i = 0; i < r.mounts.size(); ++i) {
    const PreparedMount& m = r.mounts[i];
    mounts += std::string(i ? "," : "") + "{\"driver\":" + json(m.driver) + ",\"name\":" + json(m.name) +
              ",\"mountpoint\":" + json(m.mountpoint) + ",\"container_path\":" + json(m.container_path) +
              ",\"shared\":" + json(m.shared) + (m.read_only ? ",\"read_only\":true" : "") + "}";
  }
  return "{\"commands\":" + json(r.commands) + ",\"mount_namespace\":" + json(r.mount_namespace) +
         ",\"mounts\":" + mounts + "]}";
}

std::string json(const RecoverResponse& r) {
  return "{\"kept\":" + json(r.kept) + ",\"releasing\":" + json(r.releasing) + ",\"pending\":" + json(r.pending) + "}";
}

std::string json(const CleanupResponse& r) {
  std::string out = "{\"released\":[";
  for (size_t i = 0; i < r.released.size(); ++i) {
    const ReleasedVolume& v = r.released[i];
    out += std::string(i ? "," : "") + "{\"driver\":" + json(v.driver) + ",\"name\":" + json(v.name) +
           ",\"unmounted\":" + json(v.unmounted) + "}";
  }
  return out + "]}";
}

std::string json(const std::vector<uint64_t>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) out += (i ? "," : "") + std::to_string(list[i]);
  return out + "]";
}

std::string json(const StatusResponse& r) {
  const std::pair<const char*, uint64_t> counts[] = {
      {"runtime_restarts", r.runtime_restarts}, {"prepares", r.prepares}, {"prepare_failures", r.prepare_failures},
      {"cleanups", r.cleanups}, {"mounts", r.mounts}, {"mount_failures", r.mount_failures},
      {"unmounts", r.unmounts}, {"unmount_failures", r.unmount_failures}, {"volumes_mounted", r.volumes_mounted},
      {"containers_holding", r.containers_holding}, {"unmounts_pending", r.unmounts_pending},
      {"last_sample", r.last_sample}};
  std::string out = "{";
  for (const auto& c : counts) out += std::string("\"") + c.first + "\":" + std::to_string(c.second) + ",";
  out += "\"mount_us\":" + json(r.mount_us) + ",\"unmount_us\":" + json(r.unmount_us);
  if (r.has_volumes_json) out += ",\"volumes_json\":" + json(r.volumes_json);
  return out + "}";
}

template <typename Response, typename Decode>
int decodeAndPrint(const std::string& bytes, Decode decode) {
  Response response;
  std::string error;
  if (!decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &response, &error)) {
    fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  printf("%s\n", json(response).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[1] : "";
  if (mode == "encode") return encodeSamples(argv[2]) ? 0 : 1;
  if (mode == "decode") {
    const std::string kind = argv[2];
    const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (kind == "prepare") return decodeAndPrint<PrepareResponse>(input, decodePrepareResponse);
    if (kind == "recover") return decodeAndPrint<RecoverResponse>(input, decodeRecoverResponse);
    if (kind == "cleanup") return decodeAndPrint<CleanupResponse>(input, decodeCleanupResponse);
    if (kind == "status") return decodeAndPrint<StatusResponse>(input, decodeStatusResponse);
  }
  fprintf(stderr, "usage: bridge_wire_samples encode DIR | decode prepare|recover|cleanup|status < RESPONSE\n");
  return 2;
}
