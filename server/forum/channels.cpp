// channels -> {channels: [{name, description}]}.
#include "server/forum/ops.hpp"


namespace hearth::server::forum {

void op_channels(forum_call const& c) {
  pseudonym_of(c);
  run(pool::blocking, c, [c] { return channels_view(c->ctx); });
}

}  // namespace hearth::server::forum
