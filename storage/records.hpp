// Typed records of hearth's two stores. Nothing in an issuer record refers to
// anything in a forum record, and vice versa. Serialization lives in
// storage/ (see docs/storage.md); these structs are what the server sees.
#pragma once

#include "crypto/bytes.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hearth::storage {

using crypto::bytes;
using crypto::secret_bytes;

// A page of a newest-first (or most-flagged-first) listing. `next` is an
// opaque printable cursor to pass back as `before`, or empty at the end.
template <class T>
struct page {
  std::vector<T> items;
  std::optional<std::string> next;
};

// ---------------------------------------------------------------- issuer side

struct employee_record {
  std::string employee_id;
  std::string code_hash;      // hash of the one-time enrollment code (server/staff_common.hpp); empty once used
  std::string password_hash;  // Argon2id; empty until enrolled
};

enum class key_state : std::uint8_t { active = 0, retired = 1, revoked = 2 };

struct signing_key_record {
  std::string key_id;  // base64url SHA-256 of spki
  std::uint64_t epoch = 0;
  unsigned bits = 0;
  bytes spki;
  secret_bytes pkcs8;  // the RSA private key
  std::int64_t issue_from = 0;
  std::int64_t issue_until = 0;
  std::int64_t accept_until = 0;
  key_state state = key_state::active;

  signing_key_record clone() const;
};

struct quota_record {
  std::uint32_t used = 0;
  bytes last_blinded_msg;  // for safe retries: same blinded_msg -> same blind_sig
  bytes last_blind_sig;
};

enum class staff_role : std::uint8_t { moderator = 0, admin = 1 };

struct staff_record {
  std::string username;
  staff_role role = staff_role::moderator;
  std::string password_hash;
};

struct audit_entry {
  std::string id;          // assigned by the store, sortable, opaque
  std::int64_t at = 0;     // staff actions are not pseudonymous: full seconds
  std::string actor;       // staff username
  staff_role actor_role = staff_role::moderator;
  std::string action;      // e.g. "hide", "keys.rotate", "roster.import"
  std::string target;
  std::string detail;
};

// ----------------------------------------------------------------- forum side

struct certification {
  std::string key_id;
  std::uint64_t epoch = 0;
  std::int64_t accept_until = 0;
};

struct pseudonym_record {
  bytes pk;                    // Ed25519, 32 bytes
  std::string handle;          // as chosen (display case)
  std::uint64_t since_epoch = 0;
  std::vector<certification> certifications;  // one per key that certified it
  std::uint64_t posts = 0;     // visible posts (top-level and replies)
};

struct new_post {
  std::string channel;
  std::string parent;          // empty for a top-level post
  bytes author_pk;
  std::string author_handle;
  std::string body;
  std::string nonce;           // client nonce (base64url text)
  bytes sig;                   // Ed25519 over the post bytes
};

struct post_record {
  std::string id;              // opaque, unique, sortable in creation order; never reused
  std::string channel;
  std::string parent;          // empty for top-level
  bytes author_pk;
  std::string author_handle;
  std::string body;            // erased on delete
  std::int64_t created_at = 0; // coarsened to the store's granularity
  std::string nonce;           // erased on delete
  bytes sig;                   // erased on delete
  std::map<std::string, std::uint64_t> reactions;  // only non-zero counts
  std::uint64_t replies = 0;   // visible replies
  bool hidden = false;         // by a moderator
  bool deleted = false;        // by its author
};

struct flag_item {
  post_record post;
  std::uint64_t flags = 0;
  std::map<std::string, std::uint64_t> reasons;
  std::vector<std::string> notes;  // the flaggers' non-empty notes, without who wrote them
};

struct modlog_entry {
  std::string id;              // assigned by the store
  std::int64_t at = 0;         // coarsened like post times
  std::string action;          // hide restore ban unban keys.rotate keys.revoke
  std::string target;          // post id, handle, or key id
  std::string reason;
  std::string actor_role;      // "moderator" | "admin", never a username
  // The staff account that acted, kept so that an appeal goes to another
  // moderator; never in the public view. Empty for directory changes and
  // for entries written before it was kept.
  std::string actor{};
};

struct channel_record {
  std::string name;
  std::string description;
};

// The issuer a forum-role directory trusts (PROTOCOL §10): its master
// public key, handed over out of band at `hearth init --role forum`.
struct pinned_issuer {
  bytes master_pk;         // Ed25519, 32 bytes
  std::string issuer_url;  // where its /v1/keys is fetched
};

}  // namespace hearth::storage
