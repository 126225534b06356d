// keys.rotate {bits?, issue_days?, accept_days?, reason?} -> the new directory
// (PROTOCOL.md §7, admin). No key's issuing window may be shorter than
// keys.min_window_days, nor may two rotations come closer than that: a short
// epoch would put one employee alone in it. The key made by `hearth init` is
// not a rotation, so a fresh issuer may rotate once at once.
#include "server/staff/ops.hpp"

#include "server/issuer/ops.hpp"

#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>


namespace hearth::server::staff {

void op_keys_rotate(call_ptr<issuer_service> const& c) {
  fields f(c->body);
  auto r = rotation_field(f, c->ctx.cfg());
  auto reason = reason_field(f, false);
  auto const by = require(*c, storage::staff_role::admin);
  run(pool::cpu, c, [c, by, r, reason] {
    if (auto problem = rotation_problem(*c->ctx.current(), r, c->ctx.cfg().min_key_window_days, c->rt.now()))
      fail(errc::bad_request, *problem);
    check(rotate_keys(c->ctx.store(), r, c->rt.now()), "the key directory changed meanwhile; try again");
    std::string target;
    if (auto fresh = load_directory(c->ctx.store(), c->ctx.issuer_name()); fresh && (*fresh)->active())
      target = (*fresh)->active()->key_id;
    auto change = directory_change{"keys.rotate", target, reason, std::string(role_name(by.role))};
    check(c->ctx.reload_directory(change));
    audit(*c, c->ctx.staff(), by, "keys.rotate", target, reason);
    return json::parse(c->ctx.current()->json).as_object();
  });
}

}  // namespace hearth::server::staff
