// issue {key_id, blinded_msg} -> {blind_sig} (PROTOCOL.md §5): RFC 9474
// BlindSign with the active key, one quota unit, retries answered from the
// stored last signature.
#include "server/issuer/ops.hpp"

#include "crypto/blind_rsa.hpp"
#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

namespace hearth::server::issuer {

void op_issue(issuer_call const& c) {
  fields f(c->body);
  auto key_id = f.str("key_id");
  auto blinded = f.b64("blinded_msg");
  auto id = employee_of(c);
  auto dir = c->ctx.current();
  auto const* key = dir->find(key_id);
  if (!key) fail(errc::key_unknown, "no key with this key_id; fetch the key directory again");
  if (key->state != storage::key_state::active || !key->secret_key || key->issue_until <= c->rt.now())
    fail(errc::key_expired, "tokens are no longer issued under this key; use the active key");
  if (blinded.size() != key->public_key.modulus_bytes())
    fail(errc::bad_request, "blinded_msg must be exactly " + std::to_string(key->public_key.modulus_bytes()) + " bytes");
  if (!c->conn->issue_bucket.take()) fail(errc::rate_limited, "too many issue requests; slow down");

  auto const allowed = c->ctx.cfg().quota;
  // One CPU-pool task signs and commits: a single hand-off per issue. The
  // commit does not wait for its fsync (the reply does, see run()), so it
  // never stalls the pool.
  run(pool::cpu, c, [c, dir, key, id, blinded = std::move(blinded), allowed] {
    auto& store = c->ctx.store();
    // An employee removed from the roster while signed in gets nothing more.
    if (c->ctx.cfg().auth == employer_auth::roster && !store.employee(id))
      fail(errc::unauthenticated, "this employee is no longer on the roster");
    auto q = check(store.quota(id, key->key_id));
    if (!q.last_blinded_msg.empty() && crypto::equal(q.last_blinded_msg, blinded))
      return json::object{{"blind_sig", crypto::base64url_encode(q.last_blind_sig)}};
    if (q.used >= allowed) fail(errc::quota_exhausted, "this employee has used its tokens for this key");
    auto sig = check(crypto::blind_rsa::blind_sign(*key->secret_key, blinded));
    auto out = check(store.commit_issue(id, key->key_id, allowed, blinded, sig));
    return json::object{{"blind_sig", crypto::base64url_encode(out)}};
  });
}

}  // namespace hearth::server::issuer
