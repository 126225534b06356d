// poll.get {poll_id} -> {poll} (docs/protocol.md "Polls").
#include "server/forum/poll_views.hpp"

#include "server/validation.hpp"

namespace hearth::server::forum {

void op_poll_get(forum_call const& c) {
  fields f(c->body);
  auto id = poll_id_field(f);
  auto pk = pseudonym_of(c);
  run(pool::io, c, [c, id, pk](storage::access a) {
    return json::object{{"poll", poll_view_for(c, pk, load_poll(c->ctx, id, a), a)}};
  });
}

}  // namespace hearth::server::forum
