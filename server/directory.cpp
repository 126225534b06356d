#include "server/directory.hpp"

#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

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
