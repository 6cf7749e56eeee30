// Encoding of dvdi's bridge messages (src/bridge/bridge.proto) in plain
// C++11 with no dependencies, so the per-release Mesos shim (C++11, the
// agent's ABI) and the agent simulator build it into themselves, and it is
// unit-tested without Mesos or Node. Only the messages a host sends or reads
// are here.
#ifndef DVDI_BRIDGE_WIRE_H
#define DVDI_BRIDGE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

namespace dvdi {
namespace wire {

struct LiveContainer {
  std::string container_id;
  bool has_pid = false;
  uint64_t pid = 0;
  bool has_directory = false;
  std::string directory;
  bool has_executor_info = false;
  std::string executor_info;  // serialized mesos.ExecutorInfo
};

struct PrepareRequest {
  std::string container_id;
  // One of the two: the release's ContainerConfig (0.27+) or ExecutorInfo, serialized.
  bool has_container_config = false;
  std::string container_config;
  std::string executor_info;
  std::string directory;
  bool has_user = false;
  std::string user;
  bool has_rootfs = false;
  std::string rootfs;
};

struct PreparedMount {
  std::string driver;
  std::string name;
  std::string mountpoint;
  std::string container_path;  // empty: no bind
  bool shared = false;         // another container had it mounted already
  bool read_only = false;      // the bind must be read-only (a DOCKER_VOLUME volume of mode RO)
};

struct PrepareResponse {
  std::vector<std::string> commands;
  bool mount_namespace = false;
  std::vector<PreparedMount> mounts;
};

// Volumes are named `driver/name`.
struct RecoverResponse {
  std::vector<std::string> kept;
  std::vector<std::string> releasing;
  std::vector<std::string> pending;
};

struct ReleasedVolume {
  std::string driver;
  std::string name;
  bool unmounted = false;
};

struct CleanupResponse {
  std::vector<ReleasedVolume> released;
};

struct StatusRequest {
  bool has_samples_after = false;  // without it, no latency samples come back
  uint64_t samples_after = 0;
  bool volumes = false;
};

// The engine's counters count from 0 again after each runtime restart.
struct StatusResponse {
  uint64_t runtime_restarts = 0;
  uint64_t prepares = 0;
  uint64_t prepare_failures = 0;
  uint64_t cleanups = 0;
  uint64_t mounts = 0;
  uint64_t mount_failures = 0;
  uint64_t unmounts = 0;
  uint64_t unmount_failures = 0;
  uint64_t volumes_mounted = 0;
  uint64_t containers_holding = 0;
  uint64_t unmounts_pending = 0;
  std::vector<uint64_t> mount_us;  // latency samples, microseconds, oldest first
  std::vector<uint64_t> unmount_us;
  uint64_t last_sample = 0;
  bool has_volumes_json = false;
  std::string volumes_json;
};

std::string encodeRecoverRequest(const std::vector<LiveContainer>& alive, const std::vector<std::string>& orphans);
std::string encodePrepareRequest(const PrepareRequest& request);
std::string encodeCleanupRequest(const std::string& container_id);
std::string encodeStatusRequest(const StatusRequest& request);

// Unknown fields are skipped; returns false with a reason on malformed bytes
// or a missing required field.
bool decodePrepareResponse(const uint8_t* data, size_t size, PrepareResponse* out, std::string* error);
bool decodeRecoverResponse(const uint8_t* data, size_t size, RecoverResponse* out, std::string* error);
bool decodeCleanupResponse(const uint8_t* data, size_t size, CleanupResponse* out, std::string* error);
bool decodeStatusResponse(const uint8_t* data, size_t size, StatusResponse* out, std::string* error);

}  // namespace wire
}  // namespace dvdi

#endif
