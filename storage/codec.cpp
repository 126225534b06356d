#include "storage/codec.hpp"

#include <cstring>
#include <string.h>

namespace hearth::storage {

signing_key_record signing_key_record::clone() const {
  signing_key_record r;
  r.key_id = key_id;
  r.epoch = epoch;
  r.bits = bits;
  r.spki = spki;
  r.pkcs8 = pkcs8.clone();
  r.issue_from = issue_from;
  r.issue_until = issue_until;
  r.accept_until = accept_until;
  r.state = state;
  return r;
}

namespace codec {

void writer::varint(std::uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void writer::be64(std::uint64_t v) { out_.append(codec::be64(v)); }

std::uint8_t reader::u8() {
  if (!ok_ || in_.empty()) {
    ok_ = false;
    return 0;
  }
  auto v = static_cast<std::uint8_t>(in_[0]);
  in_.remove_prefix(1);
  return v;
}

std::uint64_t reader::varint() {
  std::uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (!ok_ || in_.empty()) break;
    auto b = static_cast<std::uint8_t>(in_[0]);
    in_.remove_prefix(1);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  ok_ = false;
  return 0;
}

std::string_view reader::view() {
  auto n = varint();
  if (!ok_ || n > in_.size()) {
    ok_ = false;
    return {};
  }
  auto s = in_.substr(0, n);
  in_.remove_prefix(n);
  return s;
}

std::string reader::str() { return std::string(view()); }

bytes reader::blob() {
  auto s = view();
  return bytes(s.begin(), s.end());
}

std::string be64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

std::uint64_t read_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[i]);
  return v;
}

std::string hex16(std::uint64_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) {
    s[i] = digits[v & 0xf];
    v >>= 4;
  }
  return s;
}

std::optional<std::uint64_t> parse_hex16(std::string_view s) {
  if (s.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return std::nullopt;
    v = (v << 4) | d;
  }
  return v;
}

namespace {

bool start(reader& r) { return r.u8() == record_version && r.ok(); }

void put_map(writer& w, std::map<std::string, std::uint64_t> const& m) {
  w.varint(m.size());
  for (auto const& [k, v] : m) {
    w.str(k);
    w.varint(v);
  }
}

void get_map(reader& r, std::map<std::string, std::uint64_t>& m) {
  m.clear();
  auto n = r.varint();
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    auto k = r.str();
    m[k] = r.varint();
  }
}

std::uint32_t fnv1a(std::string_view a, std::string_view b, std::string_view c) {
  std::uint32_t h = 2166136261u;
  auto mix = [&](std::string_view s) {
    for (unsigned char ch : s) {
      h ^= ch;
      h *= 16777619u;
    }
    h ^= 0xff;  // separator
    h *= 16777619u;
  };
  mix(a);
  mix(b);
  mix(c);
  return h;
}

}  // namespace

std::string encode(employee_record const& r) {
  writer w;
  w.u8(record_version);
  w.str(r.employee_id);
  w.str(r.code_hash);
  w.str(r.password_hash);
  return w.take();
}
bool decode(std::string_view in, employee_record& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.employee_id = rd.str();
  r.code_hash = rd.str();
  r.password_hash = rd.str();
  return rd.done();
}

std::string encode(signing_key_record const& r) {
  writer w;
  w.u8(record_version);
  w.str(r.key_id);
  w.varint(r.epoch);
  w.varint(r.bits);
  w.blob(r.spki);
  w.blob(r.pkcs8.view());
  w.zigzag(r.issue_from);
  w.zigzag(r.issue_until);
  w.zigzag(r.accept_until);
  w.u8(static_cast<std::uint8_t>(r.state));
  return w.take();
}
bool decode(std::string_view in, signing_key_record& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.key_id = rd.str();
  r.epoch = rd.varint();
  r.bits = static_cast<unsigned>(rd.varint());
  r.spki = rd.blob();
  r.pkcs8 = secret_bytes(crypto::as_bytes(rd.view()));
  r.issue_from = rd.zigzag();
  r.issue_until = rd.zigzag();
  r.accept_until = rd.zigzag();
  auto s = rd.u8();
  if (s > 2) return false;
  r.state = static_cast<key_state>(s);
  return rd.done();
}

std::string encode(quota_record const& r) {
  writer w;
  w.u8(record_version);
  w.varint(r.used);
  w.blob(r.last_blinded_msg);
  w.blob(r.last_blind_sig);
  return w.take();
}
bool decode(std::string_view in, quota_record& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.used = static_cast<std::uint32_t>(rd.varint());
  r.last_blinded_msg = rd.blob();
  r.last_blind_sig = rd.blob();
  return rd.done();
}

std::string encode(staff_record const& r) {
  writer w;
  w.u8(record_version);
  w.str(r.username);
  w.u8(static_cast<std::uint8_t>(r.role));
  w.str(r.password_hash);
  return w.take();
}
bool decode(std::string_view in, staff_record& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.username = rd.str();
  auto role = rd.u8();
  if (role > 1) return false;
  r.role = static_cast<staff_role>(role);
  r.password_hash = rd.str();
  return rd.done();
}

std::string encode(audit_entry const& r) {
  writer w;
  w.u8(record_version);
  w.str(r.id);
  w.zigzag(r.at);
  w.str(r.actor);
  w.u8(static_cast<std::uint8_t>(r.actor_role));
  w.str(r.action);
  w.str(r.target);
  w.str(r.detail);
  return w.take();
}
bool decode(std::string_view in, audit_entry& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.id = rd.str();
  r.at = rd.zigzag();
  r.actor = rd.str();
  auto role = rd.u8();
  if (role > 1) return false;
  r.actor_role = static_cast<staff_role>(role);
  r.action = rd.str();
  r.target = rd.str();
  r.detail = rd.str();
  return rd.done();
}

std::string encode(pseudonym_record const& r) {
  writer w;
  w.u8(record_version);
  w.blob(r.pk);
  w.str(r.handle);
  w.varint(r.since_epoch);
  w.varint(r.certifications.size());
  for (auto const& c : r.certifications) {
    w.str(c.key_id);
    w.varint(c.epoch);
    w.zigzag(c.accept_until);
  }
  return w.take();
}
bool decode(std::string_view in, pseudonym_record& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.pk = rd.blob();
  r.handle = rd.str();
  r.since_epoch = rd.varint();
  auto n = rd.varint();
  r.certifications.clear();
  for (std::uint64_t i = 0; i < n && rd.ok(); ++i) {
    certification c;
    c.key_id = rd.str();
    c.epoch = rd.varint();
    c.accept_until = rd.zigzag();
    r.certifications.push_back(std::move(c));
  }
  r.posts = 0;
  return rd.done();
}

std::string encode(post_record const& r) {
  writer w;
  w.u8(record_version);
  w.str(r.id);
  w.str(r.channel);
  w.str(r.parent);
  w.blob(r.author_pk);
  w.str(r.author_handle);
  w.str(r.body);
  w.zigzag(r.created_at);
  w.str(r.nonce);
  w.blob(r.sig);
  put_map(w, r.reactions);
  w.varint(r.replies);
  w.u8(static_cast<std::uint8_t>((r.hidden ? 1 : 0) | (r.deleted ? 2 : 0)));
  return w.take();
}
bool decode(std::string_view in, post_record& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.id = rd.str();
  r.channel = rd.str();
  r.parent = rd.str();
  r.author_pk = rd.blob();
  r.author_handle = rd.str();
  r.body = rd.str();
  r.created_at = rd.zigzag();
  r.nonce = rd.str();
  r.sig = rd.blob();
  get_map(rd, r.reactions);
  r.replies = rd.varint();
  auto f = rd.u8();
  if (f > 3) return false;
  r.hidden = f & 1;
  r.deleted = f & 2;
  return rd.done();
}

std::string encode(modlog_entry const& r) {
  writer w;
  w.u8(record_version);
  w.str(r.id);
  w.zigzag(r.at);
  w.str(r.action);
  w.str(r.target);
  w.str(r.reason);
  w.str(r.actor_role);
  if (!r.actor.empty()) w.str(r.actor);  // absent in older entries
  return w.take();
}
bool decode(std::string_view in, modlog_entry& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.id = rd.str();
  r.at = rd.zigzag();
  r.action = rd.str();
  r.target = rd.str();
  r.reason = rd.str();
  r.actor_role = rd.str();
  r.actor = rd.ok() && !rd.done() ? rd.str() : std::string();
  return rd.done();
}

std::string encode(channel_record const& r) {
  writer w;
  w.u8(record_version);
  w.str(r.name);
  w.str(r.description);
  return w.take();
}
bool decode(std::string_view in, channel_record& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.name = rd.str();
  r.description = rd.str();
  return rd.done();
}

std::string encode(pinned_issuer const& r) {
  writer w;
  w.u8(record_version);
  w.blob(r.master_pk);
  w.str(r.issuer_url);
  return w.take();
}
bool decode(std::string_view in, pinned_issuer& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.master_pk = rd.blob();
  r.issuer_url = rd.str();
  return rd.done();
}

std::string encode(directory_copy const& r) {
  writer w;
  w.u8(record_version);
  w.varint(r.seq);
  w.str(r.json);
  return w.take();
}
bool decode(std::string_view in, directory_copy& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.seq = rd.varint();
  r.json = rd.str();
  return rd.done();
}

std::string encode(flag_summary const& r) {
  writer w;
  w.u8(record_version);
  w.varint(r.flags);
  put_map(w, r.reasons);
  w.u8(r.queued ? 1 : 0);
  return w.take();
}
bool decode(std::string_view in, flag_summary& r) {
  reader rd(in);
  if (!start(rd)) return false;
  r.flags = rd.varint();
  get_map(rd, r.reasons);
  auto q = rd.u8();
  if (q > 1) return false;
  r.queued = q;
  return rd.done();
}

std::string make_cursor(char kind, std::string_view payload_hex, std::string_view context) {
  std::string c(1, kind);
  c.append(payload_hex);
  auto h = fnv1a(std::string_view(&kind, 1), payload_hex, context);
  c.append(hex16(h).substr(8));
  return c;
}

std::optional<std::string> parse_cursor(std::string_view cursor, char kind, std::size_t payload_len,
                                        std::string_view context) {
  if (cursor.size() != 1 + payload_len + 8 || cursor[0] != kind) return std::nullopt;
  for (char c : cursor.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  auto payload = cursor.substr(1, payload_len);
  if (make_cursor(kind, payload, context) != cursor) return std::nullopt;
  return std::string(payload);
}

void wipe(std::string& s) noexcept {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
}

}  // namespace codec
}  // namespace hearth::storage
