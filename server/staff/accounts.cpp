// staff.add, staff.remove, staff.list and audit: the role's staff accounts
// and its audit log (admin).
#include "server/staff/ops.hpp"

#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

void op_staff_add(accounts_call const& c) {
  fields f(c->body);
  auto username = f.str("username");
  auto role = f.str("role");
  auto password = new_password_field(f);
  if (!valid_staff_username(username)) fail(errc::bad_request, "field 'username' must match ^[A-Za-z0-9_.-]{1,64}$");
  if (role != "moderator" && role != "admin") fail(errc::bad_request, "field 'role' must be moderator or admin");
  require(*c, storage::staff_role::admin);
  run(pool::cpu, c, [c, username, role, password] {
    storage::staff_record rec;
    rec.username = username;
    rec.role = role == "admin" ? storage::staff_role::admin : storage::staff_role::moderator;
    rec.password_hash = check(crypto::hash_password(password, argon2_params(c->rt.cfg())));
    check(c->ctx.store.add_staff(rec), "a staff account with this username exists");
    audit(*c, c->ctx.store, "staff.add", username, role);
    return json::object{};
  });
}

void op_staff_remove(accounts_call const& c) {
  fields f(c->body);
  auto username = f.str("username");
  if (!valid_staff_username(username)) fail(errc::bad_request, "field 'username' must match ^[A-Za-z0-9_.-]{1,64}$");
  require(*c, storage::staff_role::admin);
  run(pool::blocking, c, [c, username] {
    auto r = c->ctx.store.remove_staff(username);
    if (!r && r.error() == make_error_code(errc::forbidden)) fail(errc::forbidden, "the last admin cannot be removed");
    check(std::move(r), "no staff account with this username");
    audit(*c, c->ctx.store, "staff.remove", username);
    return json::object{};
  });
}

void op_staff_list(accounts_call const& c) {
  require(*c, storage::staff_role::admin);
  run(pool::blocking, c, [c] {
    json::array out;
    for (auto const& s : check(c->ctx.store.list_staff()))
      out.push_back(json::object{{"username", s.username}, {"role", role_name(s.role)}});
    return json::object{{"staff", std::move(out)}};
  });
}

void op_audit(accounts_call const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  require(*c, storage::staff_role::admin);
  run(pool::blocking, c, [c, before, limit] {
    return page_view(c->ctx.store.audit(before, limit), "entries", [](storage::audit_entry const& e) {
      return json::object{{"id", e.id},         {"at", e.at},         {"actor", e.actor},
                          {"role", role_name(e.actor_role)},          {"action", e.action},
                          {"target", e.target}, {"detail", e.detail}};
    });
  });
}

}  // namespace hearth::server::staff
