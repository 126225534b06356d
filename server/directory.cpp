#include "server/directory.hpp"

#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

namespace hearth::server {

namespace json = boost::json;
using storage::key_state;

std::string_view key_state_name(key_state s) noexcept {
  switch (s) {
    case key_state::active: return "active";
    case key_state::retired: return "retired";
    case key_state::revoked: return "revoked";
  }
  return "revoked";
}

key_entry const* directory_snapshot::find(std::string_view key_id) const noexcept {
  for (auto const& k : keys)
    if (k.key_id == key_id) return &k;
  return nullptr;
}

key_entry const* directory_snapshot::active() const noexcept {
  for (auto const& k : keys)
    if (k.state == key_state::active) return &k;
  return nullptr;
}

result<std::shared_ptr<directory_snapshot const>> load_directory(storage::issuer_store& store,
                                                                 std::string const& issuer) {
  auto master = store.master_secret_key();
  if (!master) return master.error();
  auto kp = crypto::ed25519::from_secret_key(master->view());
  if (!kp) return kp.error();
  auto seq = store.directory_seq();
  if (!seq) return seq.error();
  auto records = store.signing_keys();
  if (!records) return records.error();

  auto snap = std::make_shared<directory_snapshot>();
  snap->issuer = issuer;
  snap->seq = *seq;
  snap->master_key = crypto::base64url_encode(kp->public_key);
  std::vector<crypto::domain::directory_line> lines;
  json::array keys;
  for (auto& rec : *records) {
    auto pub = crypto::blind_rsa::public_key::from_spki(rec.spki);
    if (!pub) return pub.error();
    key_entry e{rec.key_id, rec.epoch, rec.bits, rec.issue_from, rec.issue_until, rec.accept_until,
                rec.state, *pub, std::nullopt};
    if (rec.state == key_state::active) {
      auto sk = crypto::blind_rsa::secret_key::from_pkcs8(rec.pkcs8.view());
      if (!sk) return sk.error();
      e.secret_key = std::move(*sk);
    }
    lines.push_back({rec.key_id, rec.epoch, rec.issue_from, rec.issue_until, rec.accept_until,
                     std::string(key_state_name(rec.state))});
    keys.push_back(json::object{{"key_id", rec.key_id},
                                {"spki", crypto::base64url_encode(rec.spki)},
                                {"bits", rec.bits},
                                {"epoch", rec.epoch},
                                {"issue_from", rec.issue_from},
                                {"issue_until", rec.issue_until},
                                {"accept_until", rec.accept_until},
                                {"state", key_state_name(rec.state)}});
    snap->keys.push_back(std::move(e));
  }
  auto const signed_bytes = crypto::domain::key_directory(issuer, snap->seq, lines);
  auto const sig = crypto::ed25519::sign(kp->secret_key, crypto::as_bytes(signed_bytes));
  json::object doc{{"issuer", issuer},
                   {"master_key", snap->master_key},
                   {"seq", snap->seq},
                   {"keys", std::move(keys)},
                   {"sig", crypto::base64url_encode(sig)}};
  snap->json = json::serialize(doc);
  return std::shared_ptr<directory_snapshot const>(std::move(snap));
}

namespace {

std::optional<key_state> parse_state(std::string_view s) {
  if (s == "active") return key_state::active;
  if (s == "retired") return key_state::retired;
  if (s == "revoked") return key_state::revoked;
  return std::nullopt;
}

// A JSON integer that fits T (Boost.JSON may hold it as int64 or uint64).
template <class T>
std::optional<T> integer_of(json::object const& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end()) return std::nullopt;
  auto const& v = it->value();
  if (v.is_int64()) {
    auto const x = v.as_int64();
    if (x < 0 && std::is_unsigned_v<T>) return std::nullopt;
    return static_cast<T>(x);
  }
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
    return static_cast<T>(v.as_uint64());
  return std::nullopt;
}

std::optional<std::string> string_of(json::object const& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

}  // namespace

result<std::shared_ptr<directory_snapshot const>> parse_directory(std::string_view text, crypto::byte_view master_pk) {
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return errc::bad_request;
  auto const& o = doc.as_object();
  auto issuer = string_of(o, "issuer");
  auto master = string_of(o, "master_key");
  auto seq = integer_of<std::uint64_t>(o, "seq");
  auto sig_text = string_of(o, "sig");
  auto keys_it = o.find("keys");
  if (!issuer || !master || !seq || !sig_text || keys_it == o.end() || !keys_it->value().is_array())
    return errc::bad_request;
  if (issuer->empty() || issuer->size() > 128 || issuer->find('\n') != std::string::npos) return errc::bad_request;
  auto master_bytes = crypto::base64url_decode(*master);
  if (!master_bytes || master_bytes->size() != crypto::ed25519::public_key_bytes ||
      !crypto::equal(*master_bytes, master_pk))
    return errc::bad_request;  // another master key than the pinned one
  auto sig = crypto::base64url_decode(*sig_text);
  if (!sig) return errc::bad_request;

  auto snap = std::make_shared<directory_snapshot>();
  snap->issuer = *issuer;
  snap->seq = *seq;
  snap->master_key = *master;
  std::vector<crypto::domain::directory_line> lines;
  std::size_t active = 0;
  for (auto const& kv : keys_it->value().as_array()) {
    if (!kv.is_object()) return errc::bad_request;
    auto const& k = kv.as_object();
    auto key_id = string_of(k, "key_id");
    auto spki_text = string_of(k, "spki");
    auto state_text = string_of(k, "state");
    auto epoch = integer_of<std::uint64_t>(k, "epoch");
    auto from = integer_of<std::int64_t>(k, "issue_from");
    auto until = integer_of<std::int64_t>(k, "issue_until");
    auto accept = integer_of<std::int64_t>(k, "accept_until");
    if (!key_id || !spki_text || !state_text || !epoch || !from || !until || !accept) return errc::bad_request;
    auto state = parse_state(*state_text);
    auto spki = crypto::base64url_decode(*spki_text);
    if (!state || !spki) return errc::bad_request;
    auto pub = crypto::blind_rsa::public_key::from_spki(*spki);  // e = 65537, 2048..4096 bits
    if (!pub) return errc::bad_request;
    if (crypto::base64url_encode(pub->key_id()) != *key_id) return errc::bad_request;
    if (!snap->keys.empty() && snap->keys.back().epoch >= *epoch) return errc::bad_request;
    if (*state == key_state::active) ++active;
    lines.push_back({*key_id, *epoch, *from, *until, *accept, std::string(key_state_name(*state))});
    snap->keys.push_back(key_entry{*key_id, *epoch, pub->bits(), *from, *until, *accept, *state, std::move(*pub),
                                   std::nullopt});
  }
  if (active > 1) return errc::bad_request;
  auto const signed_bytes = crypto::domain::key_directory(snap->issuer, snap->seq, lines);
  if (!crypto::ed25519::verify(master_pk, crypto::as_bytes(signed_bytes), *sig)) return errc::invalid_signature;
  if (auto it = o.find("issued"); it != o.end() && it->value().is_object()) {
    for (auto const& [id, n] : it->value().as_object()) {
      if (!snap->find(id)) continue;
      if (n.is_int64() && n.as_int64() >= 0) snap->issued[std::string(id)] = static_cast<std::uint64_t>(n.as_int64());
      else if (n.is_uint64()) snap->issued[std::string(id)] = n.as_uint64();
    }
  }
  snap->json = std::string(text);
  return std::shared_ptr<directory_snapshot const>(std::move(snap));
}

namespace {

constexpr double seconds_per_day = 86400;

result<storage::signing_key_record> make_key(rotation const& r, std::uint64_t epoch, std::int64_t now) {
  if (!(r.issue_days > 0) || !(r.accept_days >= r.issue_days)) return errc::bad_request;
  auto sk = crypto::blind_rsa::secret_key::generate(r.bits);
  if (!sk) return sk.error();
  auto pub = sk->public_key();
  storage::signing_key_record rec;
  rec.key_id = crypto::base64url_encode(pub.key_id());
  rec.epoch = epoch;
  rec.bits = r.bits;
  rec.spki = pub.spki();
  rec.pkcs8 = sk->pkcs8();
  rec.issue_from = now;
  rec.issue_until = now + static_cast<std::int64_t>(std::ceil(r.issue_days * seconds_per_day));
  rec.accept_until = now + static_cast<std::int64_t>(std::ceil(r.accept_days * seconds_per_day));
  rec.state = key_state::active;
  return rec;
}

}  // namespace

std::optional<std::string> rotation_problem(directory_snapshot const& dir, rotation const& r, double min_window_days,
                                            std::int64_t now) {
  if (r.issue_days < min_window_days)
    return "the issuing window must be at least keys.min_window_days (" + std::to_string(min_window_days) +
           " days): a shorter window could single an employee out";
  std::int64_t last = 0;
  for (auto const& k : dir.keys)
    if (k.epoch > 1) last = std::max(last, k.issue_from);
  auto const next_allowed = last + static_cast<std::int64_t>(std::ceil(min_window_days * seconds_per_day));
  if (last && now < next_allowed)
    return "the last rotation was less than keys.min_window_days ago; rotate again in " +
           std::to_string((next_allowed - now + 3599) / 3600) + " hour(s), or revoke the key if it is compromised";
  return std::nullopt;
}

result<void> initialise_directory(storage::issuer_store& store, rotation const& r, std::int64_t now) {
  auto master = crypto::ed25519::generate();
  if (auto s = store.set_master_secret_key(master.secret_key); !s) return s.error();
  auto seq = store.directory_seq();
  if (!seq) return seq.error();
  auto first = make_key(r, 1, now);
  if (!first) return first.error();
  std::vector<storage::signing_key_record> changed;
  changed.push_back(std::move(*first));
  auto u = store.update_directory(*seq, changed);
  if (!u) return u.error();
  return {};
}

result<void> rotate_keys(storage::issuer_store& store, rotation const& r, std::int64_t now) {
  auto seq = store.directory_seq();
  if (!seq) return seq.error();
  auto records = store.signing_keys();
  if (!records) return records.error();
  std::uint64_t epoch = 0;
  std::vector<storage::signing_key_record> changed;
  for (auto& rec : *records) {
    epoch = std::max(epoch, rec.epoch);
    if (rec.state == key_state::active) {
      rec.state = key_state::retired;
      // A retired key issues no more; it is still accepted until accept_until,
      // which needs only its public key: the private key is dropped.
      rec.issue_until = std::min(rec.issue_until, now);
      rec.pkcs8 = crypto::secret_bytes();
      changed.push_back(std::move(rec));
    }
  }
  auto fresh = make_key(r, epoch + 1, now);
  if (!fresh) return fresh.error();
  changed.push_back(std::move(*fresh));
  auto u = store.update_directory(*seq, changed);
  if (!u) return u.error();
  return {};
}

result<void> revoke_key(storage::issuer_store& store, std::string_view key_id, rotation const& r, std::int64_t now) {
  auto seq = store.directory_seq();
  if (!seq) return seq.error();
  auto records = store.signing_keys();
  if (!records) return records.error();
  std::uint64_t epoch = 0;
  bool was_active = false;
  std::vector<storage::signing_key_record> changed;
  for (auto& rec : *records) {
    epoch = std::max(epoch, rec.epoch);
    if (rec.key_id != key_id) continue;
    if (rec.state == key_state::revoked) return errc::conflict;
    was_active = rec.state == key_state::active;
    rec.state = key_state::revoked;
    rec.pkcs8 = crypto::secret_bytes();
    changed.push_back(std::move(rec));
  }
  if (changed.empty()) return errc::not_found;
  if (was_active) {
    auto fresh = make_key(r, epoch + 1, now);
    if (!fresh) return fresh.error();
    changed.push_back(std::move(*fresh));
  }
  auto u = store.update_directory(*seq, changed);
  if (!u) return u.error();
  return {};
}

}  // namespace hearth::server
