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
  // On the I/O thread while the page is in memory (memtables, block cache);
  // else redone on the blocking pool.
  run(pool::io, c, [c, channel, before, limit](storage::access a) {
    return posts_page_json(checked_page(feed_page(c->ctx.store().view(a), channel, before, limit), "no such channel"),
                           c->ok_head());
  });
}

}  // namespace hearth::server::forum
