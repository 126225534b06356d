// profile {handle} -> the pseudonym object.
#include "server/forum/ops.hpp"

#include "server/validation.hpp"

namespace hearth::server::forum {

void op_profile(forum_call const& c) {
  fields f(c->body);
  auto handle = handle_field(f);
  pseudonym_of(c);
  run(pool::blocking, c, [c, handle] {
    auto p = check(c->ctx.store().pseudonym_by_handle(handle), "no pseudonym with this handle");
    return pseudonym_view(p, *c->ctx.directory());
  });
}

}  // namespace hearth::server::forum
