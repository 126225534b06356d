// certify {key_id, prefix, sig, pseudonym_pk, handle} -> {pseudonym} (PROTOCOL.md §6):
// verifies the RFC 9474 token, spends it and creates or renews the pseudonym,
// atomically.
#include "server/forum/ops.hpp"

#include "crypto/blind_rsa.hpp"
#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/random.hpp"
#include "server/validation.hpp"

namespace hearth::server::forum {

namespace {

crypto::bytes pk_field(fields const& f, std::string_view name) {
  auto pk = f.b64(name);
  if (pk.size() != crypto::ed25519::public_key_bytes || !crypto::ed25519::is_valid_public_key(pk))
    fail(errc::bad_request, "field '" + std::string(name) + "' must be a canonical Ed25519 public key of large order");
  return pk;
}

crypto::bytes token_id(std::string_view key_id, crypto::byte_view prepared) {
  std::string in = "hearth/token/v1";
  in.push_back('\0');
  in += key_id;
  in.push_back('\0');
  in.append(reinterpret_cast<char const*>(prepared.data()), prepared.size());
  return crypto::sha256(crypto::as_bytes(in));
}

}  // namespace

void op_certify(forum_call const& c) {
  fields f(c->body);
  auto key_id = f.str("key_id");
  auto prefix = f.b64("prefix");
  auto sig = f.b64("sig");
  auto pk = pk_field(f, "pseudonym_pk");
  auto handle = handle_field(f);
  if (prefix.size() != crypto::blind_rsa::prefix_bytes) fail(errc::bad_request, "field 'prefix' must be 32 bytes");
  if (!c->conn->auth_bucket.take()) fail(errc::rate_limited, "too many attempts on this connection; slow down");
  auto dir = c->ctx.directory();
  auto const* key = dir->find(key_id);
  if (!key) {
    c->ctx.keys().unknown_key();  // the issuer may have rotated since the forum last looked
    fail(errc::key_unknown, "no key with this key_id; fetch the key directory again");
  }
  if (key->state == storage::key_state::revoked) fail(errc::key_expired, "this key was revoked");
  if (key->accept_until <= c->rt.now()) fail(errc::key_expired, "tokens of this key are no longer accepted");

  run(pool::io, c, [c, dir, key, prefix = std::move(prefix), sig = std::move(sig), pk = std::move(pk),
                          handle = std::move(handle)](storage::access a) {
    auto const msg = crypto::domain::pseudonym_token_msg(pk);
    crypto::bytes prepared = prefix;
    prepared.insert(prepared.end(), msg.begin(), msg.end());
    if (!crypto::blind_rsa::verify(key->public_key, crypto::blind_rsa::variant::pss_randomized, prepared, sig))
      fail(errc::invalid_token, "the token's signature does not verify under this key");
    storage::certification cert{key->key_id, key->epoch, key->accept_until};
    auto out = c->ctx.store().view(a).certify(token_id(key->key_id, prepared), pk, handle, cert);
    if (!out && out.error() == make_error_code(errc::conflict))
      fail(errc::conflict, "this handle is taken; choose another");
    if (!out && out.error() == make_error_code(errc::token_spent))
      fail(errc::token_spent, "this token was already used");
    return json::object{{"pseudonym", pseudonym_view(check(std::move(out)).pseudonym, *dir)}};
  });
}

}  // namespace hearth::server::forum
