// login {pseudonym_pk, sig} -> {pseudonym}: Ed25519 over the login bytes
// (PROTOCOL.md §3) with this connection's challenge.
#include "server/forum/ops.hpp"

#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"

namespace hearth::server::forum {

void op_login(forum_call const& c) {
  fields f(c->body);
  auto pk = f.b64("pseudonym_pk");
  auto sig = f.b64("sig");
  if (!c->conn->auth_bucket.take()) fail(errc::rate_limited, "too many attempts on this connection; slow down");
  auto& st = c->conn->forum();
  auto nonce = std::move(st.nonce);  // any attempt consumes the challenge
  st.nonce.clear();
  if (nonce.empty()) fail(errc::unauthenticated, "ask for a 'challenge' first");
  if (std::chrono::steady_clock::now() > st.nonce_expiry)
    fail(errc::unauthenticated, "the challenge expired; ask for a new one");
  auto const bytes = crypto::domain::login(c->ctx.issuer_name(), crypto::base64url_encode(nonce));
  if (!crypto::ed25519::verify(pk, crypto::as_bytes(bytes), sig))
    fail(errc::unauthenticated, "the login signature does not verify");
  auto certs = std::make_shared<std::vector<storage::certification>>();  // filled by the work, kept by then
  run_then(
      pool::io, c,
      [c, pk, certs](storage::access a) {
        auto rec = c->ctx.store().view(a).pseudonym(pk);
        if (!rec) {
          if (rec.error() == make_error_code(errc::not_found)) fail(errc::unauthenticated, "unknown pseudonym; certify it first");
          check(std::move(rec));
        }
        check_not_banned(c->ctx, pk, a);
        auto dir = c->ctx.directory();
        if (valid_until(*rec, *dir) <= c->rt.now())
          fail(errc::key_expired, "this pseudonym's certification has lapsed; renew it with a new token (certify)");
        *certs = rec->certifications;
        return json::object{{"pseudonym", pseudonym_view(*rec, *dir)}};
      },
      [c, pk, certs](json::object& out) {
        auto& st = c->conn->forum();
        if (!st.pk.empty()) fail(errc::conflict, "this connection is already logged in");
        st.pk = pk;
        st.certs = certs;
        st.handle = std::string(out["pseudonym"].as_object()["handle"].as_string());
        c->ctx.pseudonym_online(pk, c->conn);
      });
}

}  // namespace hearth::server::forum
