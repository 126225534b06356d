// staff.add, staff.remove, staff.list and audit: the role's staff accounts
// and its audit log (admin); staff.passwd: any staff member's own password.
#include "server/staff/ops.hpp"

#include "server/login_attempt.hpp"
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
  auto const by = require(*c, storage::staff_role::admin);
  run(pool::hash, c, [c, by, username, role, password] {
    storage::staff_record rec;
    rec.username = username;
    rec.role = role == "admin" ? storage::staff_role::admin : storage::staff_role::moderator;
    rec.password_hash = check(crypto::hash_password(password, argon2_params(c->rt.cfg())));
    check(c->ctx.store.add_staff(rec), "a staff account with this username exists");
    audit(*c, c->ctx.store, by, "staff.add", username, role);
    return json::object{};
  });
}

void op_staff_remove(accounts_call const& c) {
  fields f(c->body);
  auto username = f.str("username");
  if (!valid_staff_username(username)) fail(errc::bad_request, "field 'username' must match ^[A-Za-z0-9_.-]{1,64}$");
  auto const by = require(*c, storage::staff_role::admin);
  run_then(
      pool::blocking, c,
      [c, by, username] {
        auto r = c->ctx.store.remove_staff(username);
        if (!r && r.error() == make_error_code(errc::forbidden)) fail(errc::forbidden, "the last admin cannot be removed");
        check(std::move(r), "no staff account with this username");
        audit(*c, c->ctx.store, by, "staff.remove", username);
        return json::object{};
      },
      // Once the removal is durable its sessions end: they can read nothing
      // more (the account is forgotten on each at once) and are closed. An
      // admin who removed itself gets this answer, signed out.
      [c, username](json::object&) {
        c->ctx.sessions->close(username, "this staff account was removed", forget_staff_account, c->conn.get());
        if (c->conn->staff().username == username) {
          c->ctx.sessions->remove(username, c->conn.get());
          forget_staff_account(*c->conn);
        }
      });
}

namespace {
struct passwd_state {
  std::optional<storage::staff_record> account;
  std::unique_ptr<login_attempt> attempt;
};
}  // namespace

void op_staff_passwd(accounts_call const& c) {
  fields f(c->body);
  auto old_password = password_field(f, "old_password");
  auto new_password = new_password_field(f, "new_password");
  auto const by = require(*c, storage::staff_role::moderator);
  if (!c->conn->auth_bucket.take()) fail(errc::rate_limited, "too many attempts on this connection; slow down");
  auto st = std::make_shared<passwd_state>();
  // The old password is checked like a login: a wrong one counts towards
  // the account's lockout, so a session left open cannot guess it.
  run_hashed(
      c,
      [c, by, st](storage::access a) {
        auto rec = c->ctx.store.view(a).staff(by.username);
        if (!rec && rec.error() == make_error_code(errc::not_found))
          fail(errc::unauthenticated, "this staff account no longer exists");
        st->account = check(std::move(rec));
        st->attempt = std::make_unique<login_attempt>(c->rt.logins(), "staff:" + by.username, true);
      },
      [c, by, st, old_password = std::move(old_password), new_password = std::move(new_password)] {
        if (!crypto::verify_password(st->account->password_hash, old_password))
          st->attempt->failed(errc::unauthenticated, "the old password is wrong");
        st->attempt->succeeded();
        auto hash = check(crypto::hash_password(new_password, argon2_params(c->rt.cfg())));
        check(c->ctx.store.set_password(by.username, hash), "this staff account no longer exists");
        audit(*c, c->ctx.store, by, "staff.passwd", by.username);
        return json::object{};
      },
      // The account's other sessions end once the new password is durable.
      [c, by](json::object&) {
        c->ctx.sessions->close(by.username, "this account's password was changed", forget_staff_account, c->conn.get());
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
