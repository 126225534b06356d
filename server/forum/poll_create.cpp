// poll.create {channel, question, options, closes_at, live?, nonce, sig} ->
// {poll} (docs/protocol.md "Polls"): signed by the logged-in pseudonym like a
// post; a repeated (author, nonce) returns the stored poll. Who may vote is
// fixed now: pseudonyms certified under the key active at this moment.
#include "server/forum/poll_views.hpp"

#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "server/validation.hpp"

namespace hearth::server::forum {

void op_poll_create(forum_call const& c) {
  fields f(c->body);
  storage::new_poll p;
  p.channel = channel_field(f);
  p.question = poll_question_field(f);
  p.options = poll_options_field(f);
  p.closes_at = poll_closes_at_field(f, c->rt.now(), c->ctx.cfg().time_granularity);
  if (auto const* live = c->body.if_contains("live"); live && !live->is_null()) p.live = f.boolean("live");
  p.nonce = client_nonce_field(f);
  p.sig = f.b64("sig");
  p.author_pk = pseudonym_of(c);
  p.author_handle = c->conn->forum().handle;
  if (!c->ctx.take_post_slot(p.author_pk)) fail(errc::rate_limited, "posting too fast; wait a moment");
  run(pool::io, c, [c, p = std::move(p), certs = c->conn->forum().certs](storage::access a) mutable {
    auto const* active = c->ctx.directory()->active();
    if (!active) fail(errc::key_expired, "no key is active, so nobody could vote");
    check_may_act(c->ctx, p.author_pk, certs, a);
    auto const bytes =
        crypto::domain::poll(c->ctx.issuer_name(), p.channel, p.closes_at, p.live, p.nonce, p.question, p.options);
    if (!crypto::ed25519::verify(p.author_pk, crypto::as_bytes(bytes), p.sig))
      fail(errc::invalid_signature, "the poll signature does not verify for this pseudonym");
    p.key_id = active->key_id;
    auto out = c->ctx.polls().view(a).create(p, c->rt.now());
    if (!out && out.error() == make_error_code(errc::conflict))
      fail(errc::conflict, "this nonce was already used for a different poll");
    if (!out && out.error() == make_error_code(errc::not_found)) fail(errc::not_found, "no such channel");
    auto r = check(std::move(out));
    if (r.created) publish_poll(c->ctx, r.poll);
    return json::object{{"poll", poll_view(r.poll, c->rt.now(), c->ctx.cfg().min_crowd, false)}};
  });
}

}  // namespace hearth::server::forum
