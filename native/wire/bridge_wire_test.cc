// Unit tests of the bridge encoding: exact bytes for what a host sends, and
// decoding of well-formed, extended and malformed responses. Exit 0 when
// every check passes. The cross-check against protobufjs is
// test/wire.test.ts, through bridge_wire_samples.
#include <stdio.h>

#include <string>
#include <vector>

#include "bridge_wire.h"

using namespace dvdi::wire;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "FAIL %s\n", what);
    ++failures;
  }
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

const uint8_t* data(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

void testEncoding() {
  check(encodeCleanupRequest("ab") == bytes({0x0a, 2, 'a', 'b'}), "CleanupRequest bytes");

  PrepareRequest prepare;
  prepare.container_id = "c";
  prepare.executor_info = bytes({0x3a, 0});
  prepare.directory = "/s";
  prepare.has_user = true;
  prepare.user = "u";
  check(encodePrepareRequest(prepare) ==
            bytes({0x0a, 1, 'c', 0x12, 2, 0x3a, 0, 0x1a, 2, '/', 's', 0x22, 1, 'u'}),
        "PrepareRequest bytes, optional user present, rootfs absent");

  LiveContainer alive;
  alive.container_id = "a";
  alive.has_pid = true;
  alive.pid = 300;
  check(encodeRecoverRequest({alive}, {"o"}) ==
            bytes({0x0a, 6, 0x0a, 1, 'a', 0x10, 0xac, 0x02, 0x12, 1, 'o'}),
        "RecoverRequest bytes, a two-byte varint pid");
  check(encodeRecoverRequest({}, {}).empty(), "an empty RecoverRequest is empty");

  const std::string long_id(200, 'x');
  const std::string encoded = encodeCleanupRequest(long_id);
  check(encoded.substr(0, 3) == bytes({0x0a, 0xc8, 0x01}) && encoded.size() == 203, "a length over 127 takes two bytes");
}

void testPrepareResponse() {
  const std::string mount = bytes({0x0a, 1, 'd', 0x12, 1, 'n', 0x1a, 2, '/', 'm', 0x22, 2, '/', 't', 0x28, 1});
  std::string message = bytes({0x0a, 3, 'o', 'n', 'e', 0x10, 1, 0x1a, static_cast<int>(mount.size())}) + mount;
  // Fields of a later release, one of each wire type, are skipped.
  message += bytes({0x40, 0xff, 0x01, 0x49, 1, 2, 3, 4, 5, 6, 7, 8, 0x55, 1, 2, 3, 4, 0x5a, 1, 'z'});
  message += bytes({0x0a, 3, 't', 'w', 'o'});
  PrepareResponse response;
  std::string error;
  check(decodePrepareResponse(data(message), message.size(), &response, &error), "PrepareResponse decodes");
  check(response.commands.size() == 2 && response.commands[0] == "one" && response.commands[1] == "two",
        "commands in order");
  check(response.mount_namespace, "mount_namespace");
  check(response.mounts.size() == 1 && response.mounts[0].driver == "d" && response.mounts[0].name == "n" &&
            response.mounts[0].mountpoint == "/m" && response.mounts[0].container_path == "/t" &&
            response.mounts[0].shared,
        "the mount");

  // read_only = 6 (a DOCKER_VOLUME volume of mode RO); absent is false, as above.
  const std::string ro_mount = bytes({0x0a, 1, 'd', 0x12, 1, 'n', 0x1a, 2, '/', 'm', 0x22, 2, '/', 'r', 0x30, 1});
  const std::string with_ro = bytes({0x10, 1, 0x1a, static_cast<int>(ro_mount.size())}) + ro_mount;
  check(decodePrepareResponse(data(with_ro), with_ro.size(), &response, &error) && response.mounts.size() == 1 &&
            response.mounts[0].read_only && !response.mounts[0].shared,
        "a read-only mount");
  check(decodePrepareResponse(data(message), message.size(), &response, &error) && !response.mounts[0].read_only,
        "read_only absent is false");

  const std::string empty_namespace = bytes({0x10, 0});
  check(decodePrepareResponse(data(empty_namespace), empty_namespace.size(), &response, &error) &&
            response.commands.empty() && !response.mount_namespace && response.mounts.empty(),
        "a response without commands replaces what was there");
}

void expectError(const std::string& message, const std::string& reason, const char* what) {
  PrepareResponse response;
  response.commands.push_back("kept");
  std::string error;
  const bool ok = decodePrepareResponse(data(message), message.size(), &response, &error);
  check(!ok && error.find(reason) != std::string::npos && response.commands.size() == 1, what);
  if (ok || error.find(reason) == std::string::npos) fprintf(stderr, "  got: %s\n", error.c_str());
}

void testMalformedPrepareResponse() {
  expectError(bytes({0x0a, 1, 'a'}), "missing required field mount_namespace", "missing mount_namespace");
  expectError(bytes({0x10, 1, 0x0a, 5, 'a'}), "length beyond the end", "a string running past the end");
  expectError(bytes({0x10, 0x80}), "truncated varint", "a truncated varint");
  expectError(bytes({0x10, 1, 0x08, 1}), "unexpected wire type", "commands as a varint");
  expectError(bytes({0x10, 1, 0x4b}), "unsupported wire type", "an unknown group field");
  expectError(bytes({0x10, 1, 0x1a, 3, 0x0a, 1, 'd'}), "PreparedMount: missing required field name", "a mount without name");
  expectError(bytes({0x00, 1}), "invalid field number", "field number 0");
}

void testOtherResponses() {
  const std::string recover = bytes({0x0a, 1, 'k', 0x12, 1, 'r', 0x1a, 1, 'p', 0x1a, 1, 'q', 0x30, 1});
  RecoverResponse recovered;
  std::string error;
  check(decodeRecoverResponse(data(recover), recover.size(), &recovered, &error) && recovered.kept.size() == 1 &&
            recovered.releasing[0] == "r" && recovered.pending.size() == 2 && recovered.pending[1] == "q",
        "RecoverResponse");

  const std::string cleanup = bytes({0x0a, 8, 0x0a, 1, 'd', 0x12, 1, 'n', 0x18, 1});
  CleanupResponse cleaned;
  check(decodeCleanupResponse(data(cleanup), cleanup.size(), &cleaned, &error) && cleaned.released.size() == 1 &&
            cleaned.released[0].driver == "d" && cleaned.released[0].name == "n" && cleaned.released[0].unmounted,
        "CleanupResponse");
  const std::string incomplete = bytes({0x0a, 6, 0x0a, 1, 'd', 0x12, 1, 'n'});
  check(!decodeCleanupResponse(data(incomplete), incomplete.size(), &cleaned, &error) &&
            error.find("missing required field unmounted") != std::string::npos,
        "a released volume without unmounted");
}

void testStatus() {
  StatusRequest request;
  check(encodeStatusRequest(request).empty(), "a StatusRequest asking for nothing is empty");
  request.has_samples_after = true;
  request.samples_after = 300;
  request.volumes = true;
  check(encodeStatusRequest(request) == bytes({0x08, 0xac, 0x02, 0x10, 1}), "StatusRequest bytes");

  // Fields 1-11 and 14 as 1..11 and 14; samples unpacked (12) and packed (13); the volumes' JSON.
  std::string status;
  for (int field = 1; field <= 11; ++field) status += bytes({field << 3, field});
  status += bytes({0x60, 0xe8, 0x07, 0x60, 5, 0x6a, 3, 7, 0xac, 0x02, 0x70, 14, 0x7a, 2, '[', ']'});
  StatusResponse decoded;
  std::string error;
  check(decodeStatusResponse(data(status), status.size(), &decoded, &error), "StatusResponse decodes");
  check(decoded.runtime_restarts == 1 && decoded.prepares == 2 && decoded.mounts == 5 && decoded.unmount_failures == 8 &&
            decoded.volumes_mounted == 9 && decoded.containers_holding == 10 && decoded.unmounts_pending == 11 &&
            decoded.last_sample == 14,
        "the counters and gauges");
  check(decoded.mount_us == std::vector<uint64_t>({1000, 5}) && decoded.unmount_us == std::vector<uint64_t>({7, 300}),
        "samples, unpacked and packed");
  check(decoded.has_volumes_json && decoded.volumes_json == "[]", "the volumes' JSON");

  const std::string without = status.substr(0, status.size() - 6);
  check(!decodeStatusResponse(data(without), without.size(), &decoded, &error) &&
            error.find("missing required field last_sample") != std::string::npos,
        "a StatusResponse without last_sample");
  const std::string bad_run = bytes({0x6a, 1, 0x80});
  check(!decodeStatusResponse(data(bad_run), bad_run.size(), &decoded, &error) &&
            error.find("truncated varint") != std::string::npos,
        "a packed run with a truncated varint");
}

}  // namespace

int main() {
  testEncoding();
  testPrepareResponse();
  testMalformedPrepareResponse();
  testOtherResponses();
  testStatus();
  if (failures > 0) {
    fprintf(stderr, "bridge_wire_test: %d checks failed\n", failures);
    return 1;
  }
  printf("bridge_wire_test: all checks passed\n");
  return 0;
}
