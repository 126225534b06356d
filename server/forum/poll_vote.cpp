// poll.vote {poll_id, option, salt, previous?, sig} -> {poll}
// (docs/protocol.md "Polls"). The store keeps a commitment to the choice,
// never the choice: `salt` (32 random bytes the client keeps) makes it
// hiding, and a change must open the stored commitment with `previous`
// ({option, salt} of the vote it replaces).
#include "server/forum/poll_views.hpp"

#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"
#include "server/validation.hpp"

#include <algorithm>

namespace hearth::server::forum {

namespace {

struct opening_text {
  std::uint64_t option = 0;
  std::string salt;  // base64url, as signed
};

opening_text opening_fields(fields const& f, std::string_view where) {
  auto const option = f.integer("option");
  if (option < 0 || option >= static_cast<std::int64_t>(storage::max_poll_options))
    fail(errc::bad_request, std::string(where) + "field 'option' is not an option's index");
  auto salt = f.str("salt");
  auto b = crypto::base64url_decode(salt);
  if (!b || b->size() != storage::vote_salt_bytes)
    fail(errc::bad_request, std::string(where) + "field 'salt' must be 32 bytes in base64url");
  return {static_cast<std::uint64_t>(option), std::move(salt)};
}

storage::vote_opening to_opening(opening_text const& t) {
  return {t.option, *crypto::base64url_decode(t.salt)};
}

bool certified_under(storage::pseudonym_record const& p, std::string const& key_id) {
  return std::any_of(p.certifications.begin(), p.certifications.end(),
                     [&](storage::certification const& cert) { return cert.key_id == key_id; });
}

}  // namespace

void op_poll_vote(forum_call const& c) {
  fields f(c->body);
  auto id = poll_id_field(f);
  auto choice = opening_fields(f, "");
  std::optional<opening_text> previous;
  if (auto const* v = c->body.if_contains("previous"); v && !v->is_null()) {
    if (!v->is_object()) fail(errc::bad_request, "field 'previous' must be an object {option, salt}");
    previous = opening_fields(fields(v->as_object()), "in 'previous': ");
  }
  auto sig = f.b64("sig");
  auto pk = pseudonym_of(c);
  run(pool::io, c, [c, id, choice, previous, sig, pk, certs = c->conn->forum().certs](storage::access a) {
    auto& polls = c->ctx.polls().view(a);
    auto poll = load_poll(c->ctx, id, a);
    auto const n = poll.options.size();
    if (choice.option >= n || (previous && previous->option >= n))
      fail(errc::bad_request, "field 'option' is not an option's index of this poll");
    auto voter = check(c->ctx.store().view(a).pseudonym(pk));
    if (!certified_under(voter, poll.key_id))
      fail(errc::forbidden, "only pseudonyms certified under the key that was active when this poll opened may vote");
    check_may_act(c->ctx, pk, certs, a);
    auto const next = to_opening(choice);
    std::optional<storage::vote_opening> prev;
    if (previous) prev = to_opening(*previous);
    auto const stored = check(polls.commitment(id, pk));
    bool const repeat = stored && crypto::equal(*stored, storage::vote_commitment(id, next.option, next.salt));
    if (prev && !repeat &&
        (!stored || !crypto::equal(*stored, storage::vote_commitment(id, prev->option, prev->salt))))
      fail(errc::forbidden, "field 'previous' does not open this pseudonym's vote");
    auto const bytes = crypto::domain::vote(c->ctx.issuer_name(), id, choice.option, choice.salt,
                                            previous ? std::to_string(previous->option) : std::string(),
                                            previous ? previous->salt : std::string());
    if (!crypto::ed25519::verify(pk, crypto::as_bytes(bytes), sig))
      fail(errc::invalid_signature, "the vote signature does not verify for this pseudonym");
    auto out = polls.vote(id, pk, next, prev, c->rt.now());
    if (!out && out.error() == make_error_code(errc::conflict)) {
      if (poll.closes_at <= c->rt.now()) fail(errc::conflict, "this poll has closed");
      fail(errc::conflict, "this pseudonym has voted; to change its vote, send the vote it replaces as 'previous'");
    }
    if (!out && out.error() == make_error_code(errc::forbidden))
      fail(errc::forbidden, "field 'previous' does not open this pseudonym's vote");
    auto r = check(std::move(out));
    if (r.effect != storage::vote_effect::repeated) publish_poll(c->ctx, r.poll);
    return json::object{{"poll", poll_view(r.poll, c->rt.now(), c->ctx.cfg().min_crowd, true)}};
  });
}

}  // namespace hearth::server::forum
