// polls {channel, before?, limit?} -> {polls, next}: a channel's polls,
// pinned ones first, each group newest first (docs/protocol.md "Polls").
#include "server/forum/poll_views.hpp"

#include "server/validation.hpp"

namespace hearth::server::forum {

void op_polls(forum_call const& c) {
  fields f(c->body);
  auto channel = channel_field(f);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  auto pk = pseudonym_of(c);
  run(pool::blocking, c, [c, channel, before, limit, pk](storage::access a) {
    return page_view(c->ctx.polls().view(a).list(channel, before, limit), "polls",
                     [&](storage::poll_record const& p) { return poll_view_for(c, pk, p, a); }, "no such channel");
  });
}

}  // namespace hearth::server::forum
