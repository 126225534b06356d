// challenge -> {nonce}: 32 random bytes for this connection's next login.
#include "server/forum/ops.hpp"

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

namespace hearth::server::forum {

namespace {
constexpr std::size_t nonce_bytes = 32;
}

void op_challenge(forum_call const& c) {
  auto& st = c->conn->forum();
  st.nonce = crypto::random_bytes(nonce_bytes);
  st.nonce_expiry = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(c->ctx.cfg().nonce_ttl));
  c->ok(json::object{{"nonce", crypto::base64url_encode(st.nonce)}});
}

}  // namespace hearth::server::forum
