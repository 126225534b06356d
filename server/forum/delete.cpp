// delete {post_id} -> {post_id}: the author takes its own post back.
#include "server/forum/ops.hpp"

#include "server/validation.hpp"

namespace hearth::server::forum {

void op_delete(forum_call const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto pk = pseudonym_of(c);
  run(pool::blocking, c, [c, id, pk] {
    auto out = c->ctx.store().delete_post(id, pk);
    if (!out && out.error() == make_error_code(errc::forbidden)) fail(errc::forbidden, "only its author can delete a post");
    auto p = check(std::move(out), "no such post");
    publish_hidden(c->ctx, p);
    return json::object{{"post_id", p.id}};
  });
}

}  // namespace hearth::server::forum
