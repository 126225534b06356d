// login {employee_id, password} -> {employee_id} (PROTOCOL.md §5).
#include "server/issuer/ops.hpp"

#include "server/login_attempt.hpp"
#include "server/validation.hpp"

namespace hearth::server::issuer {

namespace {
struct login_state {
  std::string password_hash;  // empty: unknown or not enrolled
  std::unique_ptr<login_attempt> attempt;
};
}  // namespace

void op_login(issuer_call const& c) {
  fields f(c->body);
  auto id = employee_id_field(f);
  auto password = password_field(f);
  require_roster_mode(c);
  check_login_rate(c);
  auto st = std::make_shared<login_state>();
  run_hashed(
      c,
      [c, id, st](storage::access a) {
        auto emp = c->ctx.store().view(a).employee(id);
        if (!emp && emp.error() != make_error_code(errc::not_found)) check(std::move(emp));
        st->password_hash = emp ? emp->password_hash : std::string();
        st->attempt = std::make_unique<login_attempt>(c->rt.logins(), "employee:" + id, bool(emp));
      },
      [c, id, st, password = std::move(password)] {
        if (!verify_or_burn(st->password_hash, password, c->ctx.cfg()))
          st->attempt->failed(errc::unauthenticated, "unknown employee id or wrong password");
        st->attempt->succeeded();
        return json::object{{"employee_id", id}};
      },
      [c, id](json::object&) { signed_in(c, id); });
}

}  // namespace hearth::server::issuer
