// login {username, password} -> {username, role} (PROTOCOL.md §7).
#include "server/staff/ops.hpp"

#include "server/login_attempt.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

namespace {
struct login_state {
  std::optional<storage::staff_record> account;
  std::unique_ptr<login_attempt> attempt;
};
}  // namespace

void op_login(accounts_call const& c) {
  fields f(c->body);
  auto username = f.str("username");
  auto password = password_field(f);
  if (!valid_staff_username(username)) fail(errc::bad_request, "field 'username' must match ^[A-Za-z0-9_.-]{1,64}$");
  if (!c->conn->auth_bucket.take()) fail(errc::rate_limited, "too many attempts on this connection; slow down");
  auto st = std::make_shared<login_state>();
  run_hashed(
      c,
      [c, username, st](storage::access a) {
        auto rec = c->ctx.store.view(a).staff(username);
        if (!rec && rec.error() != make_error_code(errc::not_found)) check(std::move(rec));
        if (rec) st->account = std::move(*rec);
        st->attempt = std::make_unique<login_attempt>(c->rt.logins(), "staff:" + username, st->account.has_value());
      },
      [c, st, password] {
        // An unknown username costs a hash too, so that it takes as long.
        bool const ok = st->account ? crypto::verify_password(st->account->password_hash, password)
                                    : (void(crypto::hash_password(password, argon2_params(c->rt.cfg()))), false);
        if (!ok) st->attempt->failed(errc::unauthenticated, "unknown username or wrong password");
        st->attempt->succeeded();
        return json::object{{"username", st->account->username}, {"role", role_name(st->account->role)}};
      },
      [c](json::object& out) {
        auto& st = c->conn->staff();
        if (!st.username.empty()) fail(errc::conflict, "this connection is already signed in");
        st.username = std::string(out["username"].as_string());
        st.role = out["role"].as_string() == "admin" ? storage::staff_role::admin : storage::staff_role::moderator;
        c->ctx.sessions->add(st.username, c->conn);
      });
}

}  // namespace hearth::server::staff
