// thread {post_id} -> {post, replies}.
#include "server/forum/ops.hpp"

#include "server/validation.hpp"

namespace hearth::server::forum {

void op_thread(forum_call const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  pseudonym_of(c);
  run(pool::blocking, c, [c, id] {
    auto r = c->ctx.store().thread(id);
    if ((!r && r.error() == make_error_code(errc::bad_request)) || (r && !r->post.parent.empty()))
      fail(errc::bad_request, "this is a reply; ask for the thread of its parent");
    auto t = check(std::move(r), "no such post");
    json::array replies;
    for (auto const& r : t.replies) replies.push_back(post_view(r));
    return json::object{{"post", post_view(t.post)}, {"replies", std::move(replies)}};
  });
}

}  // namespace hearth::server::forum
