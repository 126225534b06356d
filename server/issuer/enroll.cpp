// enroll {employee_id, code, password} -> {employee_id} (PROTOCOL.md §5):
// consumes a one-time code, sets the password, and signs the connection in.
#include "server/issuer/ops.hpp"

#include "server/staff_common.hpp"
#include "server/validation.hpp"

namespace hearth::server::issuer {

namespace {
constexpr std::size_t max_code_bytes = 256;
}

void op_enroll(issuer_call const& c) {
  fields f(c->body);
  auto id = employee_id_field(f);
  auto code = f.str("code");
  auto password = new_password_field(f);
  if (code.empty() || code.size() > max_code_bytes) fail(errc::bad_request, "field 'code' has the wrong length");
  require_roster_mode(c);
  check_login_rate(c, id);
  run_then(
      pool::cpu, c,
      [c, id, code = std::move(code), password = std::move(password)] {
        auto& store = c->ctx.store();
        auto emp = store.employee(id);
        std::string code_hash = emp ? emp->code_hash : std::string();
        if (!enrollment_code_matches(code_hash, code)) {
          c->rt.record_failure("employee:" + id);
          fail(errc::unauthenticated, "unknown employee id or enrollment code (or the code was already used)");
        }
        auto pw = check(crypto::hash_password(password, argon2_params(c->ctx.cfg())));
        check(store.enroll(id, code_hash, pw), "unknown employee id or enrollment code (or the code was already used)");
        c->rt.clear_failures("employee:" + id);
        return json::object{{"employee_id", id}};
      },
      [c, id](json::object&) { c->conn->issuer.employee_id = id; });
}

}  // namespace hearth::server::issuer
