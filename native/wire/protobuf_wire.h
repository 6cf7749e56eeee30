// The few pieces of the protobuf wire format (proto2) that dvdi's hosts
// need to write and read their messages by hand, in plain C++11. Shared by
// the bridge messages (bridge_wire.cc) and hosts that build Mesos messages.
#ifndef DVDI_PROTOBUF_WIRE_H
#define DVDI_PROTOBUF_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <initializer_list>
#include <string>

namespace dvdi {
namespace wire {

enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

inline void appendVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

inline void appendKey(std::string* out, uint32_t field, WireType type) {
  appendVarint(out, (static_cast<uint64_t>(field) << 3) | type);
}

inline void appendVarintField(std::string* out, uint32_t field, uint64_t value) {
  appendKey(out, field, kVarint);
  appendVarint(out, value);
}

// A string, bytes or an embedded message (its serialized bytes).
inline void appendBytesField(std::string* out, uint32_t field, const std::string& bytes) {
  appendKey(out, field, kLengthDelimited);
  appendVarint(out, bytes.size());
  out->append(bytes);
}

// Reads one message's fields in order. Every method returns false on
// malformed input, with the reason in error().
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : at_(data), end_(data + size) {}

  bool done() const { return at_ == end_; }
  const std::string& error() const { return error_; }

  bool readKey(uint32_t* field, WireType* type) {
    uint64_t key = 0;
    if (!readVarint(&key)) return false;
    if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff) return fail("invalid field number");
    *field = static_cast<uint32_t>(key >> 3);
    *type = static_cast<WireType>(key & 7);
    return true;
  }

  // The value of a varint field (int, uint, bool, enum) whose key was just read as `type`.
  bool readVarintField(WireType type, uint64_t* value) {
    return expect(type, kVarint) && readVarint(value);
  }

  // The value of a string, bytes or message field whose key was just read as `type`.
  bool readBytesField(WireType type, std::string* out) {
    return expect(type, kLengthDelimited) && readBytes(out);
  }

  // Skips a field this reader does not know, as proto2 requires.
  bool skip(WireType type) {
    uint64_t ignored = 0;
    std::string bytes;
    switch (type) {
      case kVarint:
        return readVarint(&ignored);
      case kLengthDelimited:
        return readBytes(&bytes);
      case kFixed64:
        return advance(8);
      case kFixed32:
        return advance(4);
    }
    return fail("unsupported wire type " + std::to_string(static_cast<int>(type)));
  }

  bool fail(const std::string& reason) {
    error_ = reason;
    return false;
  }

 private:
  bool readVarint(uint64_t* value) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ == end_) return fail("truncated varint");
      const uint8_t byte = *at_++;
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return fail("varint longer than 10 bytes");
  }

  bool readBytes(std::string* out) {
    uint64_t size = 0;
    if (!readVarint(&size)) return false;
    if (size > static_cast<uint64_t>(end_ - at_)) return fail("length beyond the end of the message");
    out->assign(reinterpret_cast<const char*>(at_), static_cast<size_t>(size));
    at_ += size;
    return true;
  }

  bool expect(WireType type, WireType wanted) {
    return type == wanted || fail("unexpected wire type " + std::to_string(static_cast<int>(type)));
  }

  bool advance(size_t n) {
    if (n > static_cast<size_t>(end_ - at_)) return fail("truncated fixed-size field");
    at_ += n;
    return true;
  }

  const uint8_t* at_;
  const uint8_t* end_;
  std::string error_;
};

struct RequiredField {
  uint32_t number;  // below 64
  const char* name;
};

// Reads a whole message: `on_field(field, type, &reader)` consumes each
// field (Reader::skip for unknown ones) and returns false on a problem. A
// required field that never came makes the message undecodable, as in protobuf.
template <typename OnField>
bool decodeMessage(const std::string& name, const uint8_t* data, size_t size,
                   std::initializer_list<RequiredField> required, OnField on_field, std::string* error) {
  Reader reader(data, size);
  uint64_t seen = 0;
  while (!reader.done()) {
    uint32_t field = 0;
    WireType type = kVarint;
    if (!reader.readKey(&field, &type) || !on_field(field, type, &reader)) {
      *error = "cannot decode " + name + ": " + reader.error();
      return false;
    }
    if (field < 64) seen |= uint64_t(1) << field;
  }
  for (const RequiredField& r : required) {
    if ((seen & (uint64_t(1) << r.number)) == 0) {
      *error = "cannot decode " + name + ": missing required field " + r.name;
      return false;
    }
  }
  return true;
}

}  // namespace wire
}  // namespace dvdi

#endif
