// hide / restore {post_id, reason} and dismiss {post_id} -> {post_id}.
#include "server/staff/ops.hpp"

#include "server/forum/notify.hpp"
#include "server/forum/ops.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

void op_hide(forum_call const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto reason = reason_field(f);
  auto const by = require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, by, id, reason] {
    auto p = check(c->ctx.store().hide(id, modlog(by, "hide", id, reason), c->rt.now()), "no such post");
    forum::publish_hidden(c->ctx, p);
    forum::notify::moderated(c->ctx, p.author_pk, "hide", id, id, forum::notify::hide_actions, reason);
    audit(*c, c->ctx.staff(), by, "hide", id, reason);
    return json::object{{"post_id", id}};
  });
}

void op_restore(forum_call const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto reason = reason_field(f);
  auto const by = require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, by, id, reason] {
    auto p = check(c->ctx.store().restore(id, modlog(by, "restore", id, reason), c->rt.now()), "no such post");
    if (!p.hidden && !p.deleted) c->ctx.publish(p.channel, forum::event_frame("post", forum::post_view(p)));
    forum::notify::moderated(c->ctx, p.author_pk, "restore", id, id, forum::notify::hide_actions, reason);
    audit(*c, c->ctx.staff(), by, "restore", id, reason);
    return json::object{{"post_id", id}};
  });
}

void op_dismiss(forum_call const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto const by = require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, by, id] {
    check(c->ctx.store().dismiss(id), "no such post");
    audit(*c, c->ctx.staff(), by, "dismiss", id);
    return json::object{{"post_id", id}};
  });
}

}  // namespace hearth::server::staff
