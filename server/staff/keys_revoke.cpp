// keys.revoke {key_id, reason} -> the new directory (PROTOCOL.md §7, admin).
// Allowed at any time: if the active key is revoked, a fresh key takes its
// place at once.
#include "server/staff/ops.hpp"

#include "server/issuer/ops.hpp"

#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

void op_keys_revoke(call_ptr<issuer_service> const& c) {
  fields f(c->body);
  auto key_id = f.str("key_id");
  auto reason = reason_field(f);
  auto const by = require(*c, storage::staff_role::admin);
  run(pool::cpu, c, [c, by, key_id, reason] {
    auto res = revoke_key(c->ctx.store(), key_id, c->ctx.default_rotation(), c->rt.now());
    if (!res && res.error() == make_error_code(errc::not_found)) fail(errc::key_unknown, "no key with this key_id");
    if (!res && res.error() == make_error_code(errc::conflict)) fail(errc::conflict, "this key is already revoked");
    check(std::move(res));
    check(c->ctx.reload_directory({"keys.revoke", key_id, reason, std::string(role_name(by.role))}));
    audit(*c, c->ctx.staff(), by, "keys.revoke", key_id, reason);
    return json::parse(c->ctx.current()->json).as_object();
  });
}

}  // namespace hearth::server::staff
