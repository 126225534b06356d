// search {query, channel?, before?, limit?} -> {posts, next}: visible posts
// and replies holding every word of the query, newest first (docs/protocol.md,
// "Search and export"). The query is never logged, nor kept.
#include "server/forum/ops.hpp"

#include "server/validation.hpp"
#include "storage/search.hpp"

namespace hearth::server::forum {

void op_search(forum_call const& c) {
  auto r = search_fields(fields(c->body));
  pseudonym_of(c);
  run(pool::blocking, c, [c, r] {
    return page_view(storage::search_posts(c->ctx.store(), r.query, r.channel, r.before, r.limit), "posts",
                     [](storage::post_record const& p) { return post_view(p); }, "no such channel");
  });
}

}  // namespace hearth::server::forum
