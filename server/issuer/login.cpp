// login {employee_id, password} -> {employee_id} (PROTOCOL.md §5).
#include "server/issuer/ops.hpp"

#include "server/validation.hpp"

namespace hearth::server::issuer {

void op_login(issuer_call const& c) {
  fields f(c->body);
  auto id = employee_id_field(f);
  auto password = password_field(f);
  require_roster_mode(c);
  check_login_rate(c, id);
  run_then(
      pool::cpu, c,
      [c, id, password = std::move(password)] {
        auto emp = c->ctx.store().employee(id);
        std::string hash = emp ? emp->password_hash : std::string();
        if (!verify_or_burn(hash, password, c->ctx.cfg())) {
          c->rt.record_failure("employee:" + id);
          fail(errc::unauthenticated, "unknown employee id or wrong password");
        }
        c->rt.clear_failures("employee:" + id);
        return json::object{{"employee_id", id}};
      },
      [c, id](json::object&) { c->conn->issuer.employee_id = id; });
}

}  // namespace hearth::server::issuer
