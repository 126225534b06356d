// login {username, password} -> {username, role} (PROTOCOL.md §7).
#include "server/staff/ops.hpp"

#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

void op_login(accounts_call const& c) {
  fields f(c->body);
  auto username = f.str("username");
  auto password = password_field(f);
  if (!valid_staff_username(username)) fail(errc::bad_request, "field 'username' must match ^[A-Za-z0-9_.-]{1,64}$");
  if (!c->conn->auth_bucket.take() || c->rt.too_many_failures("staff:" + username))
    fail(errc::rate_limited, "too many attempts; wait a few minutes and try again");
  run_then(
      pool::cpu, c,
      [c, username, password] {
        auto rec = c->ctx.store.staff(username);
        bool const ok = rec && crypto::verify_password(rec->password_hash, password);
        if (!ok) {
          if (!rec) (void)crypto::hash_password(password, argon2_params(c->rt.cfg()));
          c->rt.record_failure("staff:" + username);
          fail(errc::unauthenticated, "unknown username or wrong password");
        }
        c->rt.clear_failures("staff:" + username);
        return json::object{{"username", rec->username}, {"role", role_name(rec->role)}};
      },
      [c](json::object& out) {
        auto& st = c->conn->staff;
        if (!st.username.empty()) fail(errc::conflict, "this connection is already signed in");
        st.username = std::string(out["username"].as_string());
        st.role = out["role"].as_string() == "admin" ? storage::staff_role::admin : storage::staff_role::moderator;
      });
}

}  // namespace hearth::server::staff
