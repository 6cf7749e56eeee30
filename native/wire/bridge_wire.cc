// Field numbers are those of src/bridge/bridge.proto.
#include "bridge_wire.h"

#include "protobuf_wire.h"

namespace dvdi {
namespace wire {

namespace {

std::string encodeLiveContainer(const LiveContainer& container) {
  std::string out;
  appendBytesField(&out, 1, container.container_id);
  if (container.has_pid) appendVarintField(&out, 2, container.pid);
  if (container.has_directory) appendBytesField(&out, 3, container.directory);
  if (container.has_executor_info) appendBytesField(&out, 4, container.executor_info);
  return out;
}

}  // namespace

std::string encodeRecoverRequest(const std::vector<LiveContainer>& alive, const std::vector<std::string>& orphans) {
  std::string out;
  for (size_t i = 0; i < alive.size(); ++i) appendBytesField(&out, 1, encodeLiveContainer(alive[i]));
  for (size_t i = 0; i < orphans.size(); ++i) appendBytesField(&out, 2, orphans[i]);
  return out;
}

std::string encodePrepareRequest(const PrepareRequest& request) {
  std::string out;
  appendBytesField(&out, 1, request.container_id);
  if (!request.has_container_config) appendBytesField(&out, 2, request.executor_info);
  appendBytesField(&out, 3, request.directory);
  if (request.has_user) appendBytesField(&out, 4, request.user);
  if (request.has_rootfs) appendBytesField(&out, 5, request.rootfs);
  if (request.has_container_config) appendBytesField(&out, 6, request.container_config);
  return out;
}

std::string encodeCleanupRequest(const std::string& container_id) {
  std::string out;
  appendBytesField(&out, 1, container_id);
  return out;
}

std::string encodeStatusRequest(const StatusRequest& request) {
  std::string out;
  if (request.has_samples_after) appendVarintField(&out, 1, request.samples_after);
  if (request.volumes) appendVarintField(&out, 2, 1);
  return out;
}

namespace {

const uint8_t* bytesOf(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

bool readBool(Reader* reader, WireType type, bool* out) {
  uint64_t value = 0;
  if (!reader->readVarintField(type, &value)) return false;
  *out = value != 0;
  return true;
}

bool readString(Reader* reader, WireType type, std::vector<std::string>* out) {
  out->push_back(std::string());
  return reader->readBytesField(type, &out->back());
}

bool decodePreparedMount(const std::string& bytes, PreparedMount* out, std::string* error) {
  return decodeMessage(
      "PreparedMount", bytesOf(bytes), bytes.size(), {{1, "driver"}, {2, "name"}, {3, "mountpoint"}},
      [&](uint32_t field, WireType type, Reader* reader) {
        switch (field) {
          case 1:
            return reader->readBytesField(type, &out->driver);
          case 2:
            return reader->readBytesField(type, &out->name);
          case 3:
            return reader->readBytesField(type, &out->mountpoint);
          case 4:
            return reader->readBytesField(type, &out->container_path);
          case 5:
            return readBool(reader, type, &out->shared);
          case 6:
            return readBool(reader, type, &out->read_only);
          default:
            return reader->skip(type);
        }
      },
      error);
}

bool decodeReleasedVolume(const std::string& bytes, ReleasedVolume* out, std::string* error) {
  return decodeMessage(
      "ReleasedVolume", bytesOf(bytes), bytes.size(), {{1, "driver"}, {2, "name"}, {3, "unmounted"}},
      [&](uint32_t field, WireType type, Reader* reader) {
        switch (field) {
          case 1:
            return reader->readBytesField(type, &out->driver);
          case 2:
            return reader->readBytesField(type, &out->name);
          case 3:
            return readBool(reader, type, &out->unmounted);
          default:
            return reader->skip(type);
        }
      },
      error);
}

// A repeated uint64, unpacked (a varint per field) or packed (one length-delimited run).
bool readUint64s(Reader* reader, WireType type, std::vector<uint64_t>* out) {
  uint64_t value = 0;
  if (type == kVarint) {
    if (!reader->readVarintField(type, &value)) return false;
    out->push_back(value);
    return true;
  }
  std::string packed;
  if (!reader->readBytesField(type, &packed)) return false;
  Reader run(bytesOf(packed), packed.size());
  while (!run.done()) {
    if (!run.readVarintField(kVarint, &value)) return reader->fail(run.error());
    out->push_back(value);
  }
  return true;
}

// Reads an embedded message field with `decode`, carrying its error up.
template <typename T, typename Decode>
bool readMessage(Reader* reader, WireType type, Decode decode, std::vector<T>* out) {
  std::string bytes, error;
  if (!reader->readBytesField(type, &bytes)) return false;
  out->push_back(T());
  return decode(bytes, &out->back(), &error) || reader->fail(error);
}

}  // namespace

bool decodePrepareResponse(const uint8_t* data, size_t size, PrepareResponse* out, std::string* error) {
  PrepareResponse response;
  const bool ok = decodeMessage(
      "PrepareResponse", data, size, {{2, "mount_namespace"}},
      [&](uint32_t field, WireType type, Reader* reader) {
        switch (field) {
          case 1:
            return readString(reader, type, &response.commands);
          case 2:
            return readBool(reader, type, &response.mount_namespace);
          case 3:
            return readMessage(reader, type, decodePreparedMount, &response.mounts);
          default:
            return reader->skip(type);
        }
      },
      error);
  if (ok) *out = response;
  return ok;
}

bool decodeRecoverResponse(const uint8_t* data, size_t size, RecoverResponse* out, std::string* error) {
  RecoverResponse response;
  const bool ok = decodeMessage(
      "RecoverResponse", data, size, {},
      [&](uint32_t field, WireType type, Reader* reader) {
        switch (field) {
          case 1:
            return readString(reader, type, &response.kept);
          case 2:
            return readString(reader, type, &response.releasing);
          case 3:
            return readString(reader, type, &response.pending);
          default:
            return reader->skip(type);
        }
      },
      error);
  if (ok) *out = response;
  return ok;
}

bool decodeCleanupResponse(const uint8_t* data, size_t size, CleanupResponse* out, std::string* error) {
  CleanupResponse response;
  const bool ok = decodeMessage(
      "CleanupResponse", data, size, {},
      [&](uint32_t field, WireType type, Reader* reader) {
        return field == 1 ? readMessage(reader, type, decodeReleasedVolume, &response.released) : reader->skip(type);
      },
      error);
  if (ok) *out = response;
  return ok;
}

bool decodeStatusResponse(const uint8_t* data, size_t size, StatusResponse* out, std::string* error) {
  StatusResponse response;
  uint64_t* const counts[] = {&response.runtime_restarts, &response.prepares, &response.prepare_failures,
                              &response.cleanups, &response.mounts, &response.mount_failures,
                              &response.unmounts, &response.unmount_failures, &response.volumes_mounted,
                              &response.containers_holding, &response.unmounts_pending};
  const bool ok = decodeMessage(
      "StatusResponse", data, size,
      {{1, "runtime_restarts"}, {2, "prepares"}, {3, "prepare_failures"}, {4, "cleanups"}, {5, "mounts"},
       {6, "mount_failures"}, {7, "unmounts"}, {8, "unmount_failures"}, {9, "volumes_mounted"},
       {10, "containers_holding"}, {11, "unmounts_pending"}, {14, "last_sample"}},
      [&](uint32_t field, WireType type, Reader* reader) {
        if (field >= 1 && field <= 11) return reader->readVarintField(type, counts[field - 1]);
        switch (field) {
          case 12:
            return readUint64s(reader, type, &response.mount_us);
          case 13:
            return readUint64s(reader, type, &response.unmount_us);
          case 14:
            return reader->readVarintField(type, &response.last_sample);
          case 15:
            response.has_volumes_json = true;
            return reader->readBytesField(type, &response.volumes_json);
          default:
            return reader->skip(type);
        }
      },
      error);
  if (ok) *out = response;
  return ok;
}

}  // namespace wire
}  // namespace dvdi
