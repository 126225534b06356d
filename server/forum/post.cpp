// post {channel, parent, body, nonce, sig} -> {post} (PROTOCOL.md §6): signed
// by the logged-in pseudonym; a repeated (author, nonce) returns the stored post.
#include "server/forum/ops.hpp"

#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "server/forum/notify.hpp"
#include "server/validation.hpp"

namespace hearth::server::forum {

namespace {
constexpr std::size_t max_body_code_points = 10000;
constexpr std::size_t min_client_nonce = 16, max_client_nonce = 64;

bool valid_client_nonce(std::string_view n) {
  return matches_name(n, min_client_nonce, max_client_nonce, "-_");
}

}  // namespace

void op_post(forum_call const& c) {
  fields f(c->body);
  storage::new_post p;
  p.channel = channel_field(f);
  auto parent = f.opt_str("parent");
  if (parent) {
    if (parent->empty() || parent->size() > 64 || !printable_line(*parent))
      fail(errc::bad_request, "field 'parent' is not a post id");
    p.parent = *parent;
  }
  p.body = f.str("body");
  p.nonce = f.str("nonce");
  p.sig = f.b64("sig");
  auto const n = code_points(p.body);
  if (n == 0) fail(errc::bad_request, "field 'body' must not be empty");
  if (n > max_body_code_points) fail(errc::too_large, "field 'body' is longer than 10000 characters");
  if (!valid_client_nonce(p.nonce)) fail(errc::bad_request, "field 'nonce' must be 16..64 base64url characters");
  p.author_pk = pseudonym_of(c);
  p.author_handle = c->conn->forum().handle;
  if (!c->ctx.take_post_slot(p.author_pk)) fail(errc::rate_limited, "posting too fast; wait a moment");
  run(pool::io, c, [c, p = std::move(p), certs = c->conn->forum().certs](storage::access a) {
    auto const bytes = crypto::domain::post(c->ctx.issuer_name(), p.channel, p.parent, p.nonce, p.body);
    if (!crypto::ed25519::verify(p.author_pk, crypto::as_bytes(bytes), p.sig))
      fail(errc::invalid_signature, "the post signature does not verify for this pseudonym");
    check_may_act(c->ctx, p.author_pk, certs, a);
    auto out = c->ctx.store().view(a).append_post(p, c->rt.now());
    if (!out && out.error() == make_error_code(errc::conflict))
      fail(errc::conflict, "this nonce was already used for a different post");
    if (!out && out.error() == make_error_code(errc::not_found))
      fail(errc::not_found, p.parent.empty() ? "no such channel" : "no such channel or parent post");
    if (!out && out.error() == make_error_code(errc::bad_request))
      fail(errc::bad_request, "the parent must be a top-level post in the same channel");
    auto r = check(std::move(out));
    auto view = post_view(r.post);
    if (r.created && c->ctx.has_subscribers(r.post.channel)) c->ctx.publish(r.post.channel, event_frame("post", view));
    if (r.created) notify::reply(c->ctx, r.post);  // tells the parent's author, if another
    return json::object{{"post", std::move(view)}};
  });
}

}  // namespace hearth::server::forum
