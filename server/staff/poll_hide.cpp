// poll.hide / poll.restore {poll_id, reason} -> {poll_id, hidden}: a
// moderator takes a poll out of its channel (it takes no more votes) or puts
// it back; logged publicly, audited, and its author told.
#include "server/staff/ops.hpp"

#include "server/forum/notify.hpp"
#include "server/forum/poll_views.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

namespace {

void moderate_poll(forum_call const& c, bool hide) {
  fields f(c->body);
  auto id = poll_id_field(f);
  auto reason = reason_field(f);
  auto const by = require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, by, id, reason, hide] {
    std::string const action = hide ? "poll.hide" : "poll.restore";
    auto r = c->ctx.polls().moderate(id, hide, modlog(by, action, id, reason), c->rt.now());
    if (!r && r.error() == make_error_code(errc::not_found)) fail(errc::not_found, "no such poll");
    auto p = check(std::move(r));
    if (hide) forum::publish_poll_hidden(c->ctx, p);
    else forum::publish_poll(c->ctx, p);
    forum::notify::moderated(c->ctx, p.author_pk, action, {}, p.id, forum::notify::poll_actions, reason, p.id);
    audit(*c, c->ctx.staff(), by, action, p.id, reason);
    return json::object{{"poll_id", p.id}, {"hidden", p.hidden}};
  });
}

}  // namespace

void op_poll_hide(forum_call const& c) { moderate_poll(c, true); }
void op_poll_restore(forum_call const& c) { moderate_poll(c, false); }

}  // namespace hearth::server::staff
