// react {post_id, reaction, on} -> {post_id, reactions}.
#include "server/forum/ops.hpp"

#include "server/forum/notify.hpp"
#include "server/validation.hpp"

namespace hearth::server::forum {

void op_react(forum_call const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto reaction = f.str("reaction");
  auto on = f.boolean("on");
  if (!one_of(reaction, reaction_names)) fail(errc::bad_request, "field 'reaction' must be one of +1, heart, laugh, sad");
  auto pk = pseudonym_of(c);
  run(pool::io, c, [c, id, reaction, on, pk, certs = c->conn->forum().certs](storage::access a) {
    check_may_act(c->ctx, pk, certs, a);
    auto counts = check(c->ctx.store().view(a).react(id, pk, reaction, on), "no such post");
    if (on) notify::reaction(c->ctx, id, reaction, pk);  // tells the author once, without saying who
    return json::object{{"post_id", id}, {"reactions", reactions_view(counts)}};
  });
}

}  // namespace hearth::server::forum
