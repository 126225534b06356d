// ban {handle, reason, until?} -> {handle, until} and unban {handle, reason}.
#include "server/staff/ops.hpp"

#include "server/forum/ops.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

void op_ban(forum_call const& c) {
  fields f(c->body);
  auto handle = handle_field(f);
  auto reason = reason_field(f);
  auto until = f.opt_integer("until");
  require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, handle, reason, until] {
    auto& forum = c->ctx.store();
    auto p = check(forum.pseudonym_by_handle(handle), "no pseudonym with this handle");
    auto const limit = forum::valid_until(p, *c->ctx.directory());
    auto const now = c->rt.now();
    std::int64_t const end = until ? std::min(*until, limit) : limit;
    if (end <= now) fail(errc::bad_request, "the ban would end before now (its end is clamped to the certification's end)");
    check(forum.ban(p.pk, end, modlog(*c, "ban", p.handle, reason), now));
    c->ctx.close_pseudonym(p.pk, "banned");
    audit(*c, c->ctx.staff(), "ban", p.handle, reason);
    return json::object{{"handle", p.handle}, {"until", end}};
  });
}

void op_unban(forum_call const& c) {
  fields f(c->body);
  auto handle = handle_field(f);
  auto reason = reason_field(f);
  require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, handle, reason] {
    auto& forum = c->ctx.store();
    auto p = check(forum.pseudonym_by_handle(handle), "no pseudonym with this handle");
    check(forum.unban(p.pk, modlog(*c, "unban", p.handle, reason), c->rt.now()), "this pseudonym is not banned");
    audit(*c, c->ctx.staff(), "unban", p.handle, reason);
    return json::object{{"handle", p.handle}};
  });
}

}  // namespace hearth::server::staff
