// search {query, channel?, before?, limit?} -> {posts, next}: visible posts
// and replies holding every word of the query, newest first (docs/protocol.md,
// "Search and export"). The query is never logged, nor kept.
#include "server/forum/ops.hpp"

#include "server/validation.hpp"
#include "storage/search.hpp"

namespace hearth::server::forum {

void op_search(forum_call const& c) {
  fields f(c->body);
  auto query = search_query_field(f);
  std::optional<std::string> channel;
  if (auto ch = f.opt_str("channel")) channel = channel_field(f);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f, 20, 50);
  pseudonym_of(c);
  run(pool::blocking, c, [c, query, channel, before, limit] {
    return page_view(storage::search_posts(c->ctx.store(), query, channel, before, limit), "posts",
                     [](storage::post_record const& p) { return post_view(p); }, "no such channel");
  });
}

}  // namespace hearth::server::forum
