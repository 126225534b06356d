// thread {post_id, after?, limit?} -> {post, replies, next}: a top-level post
// and one page of its replies, oldest first (docs/protocol.md). Without
// `after` it is the first page, so clients that know no paging still work.
#include "server/forum/ops.hpp"

#include "server/validation.hpp"

namespace hearth::server::forum {

void op_thread(forum_call const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto after = f.opt_str("after");
  auto limit = *page_limit(f);
  pseudonym_of(c);
  run(pool::blocking, c, [c, id, after, limit] {
    auto t = thread_page(c->ctx.store(), id, after, limit);
    json::array replies;
    for (auto const& r : t.replies) replies.push_back(post_view(r));
    return json::object{{"post", post_view(t.post)}, {"replies", std::move(replies)}, {"next", cursor_value(t.next)}};
  });
}

}  // namespace hearth::server::forum
