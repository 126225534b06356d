// The key directory (PROTOCOL.md §4): the signing keys with their public
// objects, the active key's private key, and the signed JSON clients fetch.
// A snapshot is immutable; rotation and revocation publish a new one.
#pragma once

#include "common/errc.hpp"
#include "crypto/blind_rsa.hpp"
#include "storage/records.hpp"
#include "storage/stores.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::server {

struct key_entry {
  std::string key_id;
  std::uint64_t epoch = 0;
  unsigned bits = 0;
  std::int64_t issue_from = 0, issue_until = 0, accept_until = 0;
  storage::key_state state = storage::key_state::active;
  crypto::blind_rsa::public_key public_key;
  std::optional<crypto::blind_rsa::secret_key> secret_key;  // active key only
};

std::string_view key_state_name(storage::key_state s) noexcept;

struct directory_snapshot {
  std::string issuer;
  std::uint64_t seq = 0;
  std::vector<key_entry> keys;    // ascending epoch
  std::string master_key;         // base64url Ed25519 public key
  std::string json;               // the signed directory, serialized
  // Tokens issued per key, as the issuer last published them (unsigned; only
  // in copies parsed by parse_directory; the issuer keeps its own counts).
  std::map<std::string, std::uint64_t, std::less<>> issued;
  key_entry const* find(std::string_view key_id) const noexcept;
  key_entry const* active() const noexcept;
};

// Builds a snapshot from the issuer store, signing it with the master key.
[[nodiscard]] result<std::shared_ptr<directory_snapshot const>> load_directory(storage::issuer_store& store,
                                                                               std::string const& issuer);

// A directory as the issuer serves it (GET /v1/keys), checked as PROTOCOL.md
// §4 asks of a client: the issuer's master key is master_pk, every key_id is
// the SHA-256 of its spki, every key is RSA with e = 65537 and at least 2048
// bits, keys ascend by epoch, at most one is active, and sig verifies. Any
// failure is bad_request (invalid_signature for a bad sig). The copy keeps
// the text as given in `json` and the unsigned `issued` counts.
[[nodiscard]] result<std::shared_ptr<directory_snapshot const>> parse_directory(std::string_view text,
                                                                                crypto::byte_view master_pk);

struct rotation {
  unsigned bits = 2048;
  double issue_days = 30;
  double accept_days = 60;
};

// Why a rotation may not happen now (PROTOCOL.md §7), or nullopt: the new
// key's issuing window is shorter than min_window_days, or the previous
// rotation (the newest key after epoch 1, which `hearth init` made) began
// less than min_window_days ago. Revocation is not limited.
std::optional<std::string> rotation_problem(directory_snapshot const& dir, rotation const& r, double min_window_days,
                                            std::int64_t now);

// Creates the master key and the first active key in a fresh issuer store.
[[nodiscard]] result<void> initialise_directory(storage::issuer_store& store, rotation const& r, std::int64_t now);
// The active key becomes retired; a new key becomes active. conflict if the
// directory changed concurrently.
[[nodiscard]] result<void> rotate_keys(storage::issuer_store& store, rotation const& r, std::int64_t now);
// Revokes key_id (not_found if unknown; conflict if already revoked). If it
// was the active key, a fresh key of the same size takes its place so that
// exactly one key stays active.
[[nodiscard]] result<void> revoke_key(storage::issuer_store& store, std::string_view key_id, rotation const& r,
                                      std::int64_t now);

}  // namespace hearth::server
