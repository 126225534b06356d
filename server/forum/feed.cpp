// feed {channel, before?, limit?} -> {posts, next}: top-level posts, newest
// first, at most `limit` and about a megabyte of text (docs/protocol.md).
#include "server/forum/ops.hpp"

#include "server/validation.hpp"

namespace hearth::server::forum {

void op_feed(forum_call const& c) {
  fields f(c->body);
  auto channel = channel_field(f);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  pseudonym_of(c);
  run(pool::blocking, c, [c, channel, before, limit] {
    return page_view(feed_page(c->ctx.store(), channel, before, limit), "posts",
                     [](storage::post_record const& p) { return post_view(p); }, "no such channel");
  });
}

}  // namespace hearth::server::forum
