// polls {channel, before?, limit?} -> {polls, next} for moderators: a
// channel's polls as pseudonyms see them (results only when they may be
// shown), hidden ones too (marked), to pin, unpin, hide or restore them.
#include "server/staff/ops.hpp"

#include "server/forum/poll_views.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

void op_polls(forum_call const& c) {
  fields f(c->body);
  auto channel = channel_field(f);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, channel, before, limit] {
    auto const now = c->rt.now();
    auto const crowd = c->ctx.cfg().min_crowd;
    return page_view(c->ctx.polls().list(channel, before, limit, true), "polls",
                     [&](storage::poll_record const& p) { return forum::poll_view(p, now, crowd, std::nullopt); },
                     "no such channel");
  });
}

}  // namespace hearth::server::staff
