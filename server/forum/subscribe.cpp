// subscribe {channel, polls?} / unsubscribe {channel} -> {}: live `post` and
// `post_hidden` events for the channel, and with polls: true its `poll` and
// `poll_hidden` events too.
#include "server/forum/ops.hpp"

#include "server/forum/poll_views.hpp"
#include "server/validation.hpp"

namespace hearth::server::forum {

void op_subscribe(forum_call const& c) {
  fields f(c->body);
  auto channel = channel_field(f);
  bool polls = false;
  if (auto const* v = c->body.if_contains("polls"); v && !v->is_null()) polls = f.boolean("polls");
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
      [c, channel, polls](json::object&) {
        c->conn->forum().subscriptions.insert(channel);
        c->ctx.subscribe(channel, c->conn);
        auto topic = polls_topic(channel);
        if (polls) {
          c->conn->forum().subscriptions.insert(topic);
          c->ctx.subscribe(topic, c->conn);
        } else if (c->conn->forum().subscriptions.erase(topic)) {
          c->ctx.unsubscribe(topic, c->conn.get());
        }
      });
}

void op_unsubscribe(forum_call const& c) {
  fields f(c->body);
  auto channel = channel_field(f);
  pseudonym_of(c);
  for (auto const& topic : {channel, polls_topic(channel)}) {
    c->conn->forum().subscriptions.erase(topic);
    c->ctx.unsubscribe(topic, c->conn.get());
  }
  c->ok();
}

}  // namespace hearth::server::forum
