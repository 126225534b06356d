// poll.pin {poll_id, pinned} -> {poll_id, pinned}: a moderator pins a poll
// to the front of its channel's list (or unpins it); audited.
#include "server/staff/ops.hpp"

#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

void op_poll_pin(forum_call const& c) {
  fields f(c->body);
  auto id = poll_id_field(f);
  auto pinned = f.boolean("pinned");
  auto const by = require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, by, id, pinned] {
    auto r = c->ctx.polls().pin(id, pinned);
    if (!r && r.error() == make_error_code(errc::not_found)) fail(errc::not_found, "no such poll");
    auto p = check(std::move(r));
    audit(*c, c->ctx.staff(), by, pinned ? "poll.pin" : "poll.unpin", id);
    return json::object{{"poll_id", p.id}, {"pinned", p.pinned}};
  });
}

}  // namespace hearth::server::staff
