// subscribe {channel} / unsubscribe {channel} -> {}: live `post` and
// `post_hidden` events for the channel.
#include "server/forum/ops.hpp"

#include "server/validation.hpp"

namespace hearth::server::forum {

void op_subscribe(forum_call const& c) {
  fields f(c->body);
  auto channel = channel_field(f);
  pseudonym_of(c);
  run_then(
      pool::blocking, c,
      [c, channel] {
        bool found = false;
        for (auto const& ch : check(c->ctx.store().channels()))
          if (ch.name == channel) found = true;
        if (!found) fail(errc::not_found, "no such channel");
        return json::object{};
      },
      [c, channel](json::object&) {
        c->conn->forum.subscriptions.insert(channel);
        c->ctx.subscribe(channel, c->conn);
      });
}

void op_unsubscribe(forum_call const& c) {
  fields f(c->body);
  auto channel = channel_field(f);
  pseudonym_of(c);
  c->conn->forum.subscriptions.erase(channel);
  c->ctx.unsubscribe(channel, c->conn.get());
  c->ok();
}

}  // namespace hearth::server::forum
