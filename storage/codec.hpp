// Binary encoding of stored records and keys (internal to storage/).
// The format is documented in docs/storage.md: every record value starts with
// a one-byte format version, followed by its fields in declaration order.
// Integers are LEB128 varints (signed ones zigzag-encoded), strings and byte
// strings are a varint length followed by the raw bytes. Key components that
// must sort numerically are fixed 8-byte big-endian.
#pragma once

#include "storage/records.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::storage::codec {

inline constexpr std::uint8_t record_version = 1;

class writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void varint(std::uint64_t v);
  void zigzag(std::int64_t v) {
    varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void str(std::string_view s) {
    varint(s.size());
    out_.append(s);
  }
  void blob(crypto::byte_view b) { str({reinterpret_cast<char const*>(b.data()), b.size()}); }
  void raw(std::string_view s) { out_.append(s); }
  void be64(std::uint64_t v);

  std::string& out() { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  std::uint8_t u8();
  std::uint64_t varint();
  std::int64_t zigzag() {
    auto u = varint();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  std::string str();
  bytes blob();
  std::string_view view();  // a length-prefixed field without copying
  // True if every read so far was in bounds and nothing is left over.
  [[nodiscard]] bool done() const { return ok_ && in_.empty(); }
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  std::string_view in_;
  bool ok_ = true;
};

std::string be64(std::uint64_t v);
std::uint64_t read_be64(std::string_view s);  // s.size() >= 8
std::string hex16(std::uint64_t v);            // 16 lowercase hex digits
std::optional<std::uint64_t> parse_hex16(std::string_view s);

// Record values. decode_* return false on a malformed or unknown-version value.
std::string encode(employee_record const& r);
bool decode(std::string_view in, employee_record& r);
std::string encode(signing_key_record const& r);  // contains the private key: wipe after use
bool decode(std::string_view in, signing_key_record& r);
std::string encode(quota_record const& r);
bool decode(std::string_view in, quota_record& r);
std::string encode(staff_record const& r);
bool decode(std::string_view in, staff_record& r);
std::string encode(audit_entry const& r);
bool decode(std::string_view in, audit_entry& r);
std::string encode(pseudonym_record const& r);  // without `posts` (a counter)
bool decode(std::string_view in, pseudonym_record& r);
std::string encode(post_record const& r);
bool decode(std::string_view in, post_record& r);
std::string encode(modlog_entry const& r);
bool decode(std::string_view in, modlog_entry& r);
std::string encode(channel_record const& r);
bool decode(std::string_view in, channel_record& r);

std::string encode(pinned_issuer const& r);
bool decode(std::string_view in, pinned_issuer& r);

// The forum's last verified key directory.
struct directory_copy {
  std::uint64_t seq = 0;
  std::string json;  // exactly as verified
};
std::string encode(directory_copy const& r);
bool decode(std::string_view in, directory_copy& r);

struct flag_summary {
  std::uint64_t flags = 0;
  std::map<std::string, std::uint64_t> reasons;
  bool queued = false;  // an entry (inverted flags, post seq) exists in the queue
};
std::string encode(flag_summary const& r);
bool decode(std::string_view in, flag_summary& r);

// Cursors: printable ASCII, `kind` + hex payload + 8 hex digits of a check
// over kind, payload and context (e.g. the channel), so that a cursor from
// another listing or a hand-made string is refused.
std::string make_cursor(char kind, std::string_view payload_hex, std::string_view context);
std::optional<std::string> parse_cursor(std::string_view cursor, char kind, std::size_t payload_len,
                                        std::string_view context);

// Overwrites a buffer that held secret material.
void wipe(std::string& s) noexcept;

}  // namespace hearth::storage::codec
