// enroll {employee_id, code, password} -> {employee_id} (PROTOCOL.md §5):
// consumes a one-time code, sets the password, and signs the connection in.
#include "server/issuer/ops.hpp"

#include "server/login_attempt.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"

namespace hearth::server::issuer {

namespace {
constexpr std::size_t max_code_bytes = 256;

struct enroll_state {
  std::string code_hash;
  std::unique_ptr<login_attempt> attempt;
};
}  // namespace

void op_enroll(issuer_call const& c) {
  fields f(c->body);
  auto id = employee_id_field(f);
  auto code = f.str("code");
  auto password = new_password_field(f);
  if (code.empty() || code.size() > max_code_bytes) fail(errc::bad_request, "field 'code' has the wrong length");
  require_roster_mode(c);
  check_login_rate(c);
  auto st = std::make_shared<enroll_state>();
  // The code is checked before any hashing: a wrong code costs one SHA-256
  // and never a place in the hashing queue.
  run_hashed(
      c,
      [c, id, st, code = std::move(code)](storage::access a) {
        auto emp = c->ctx.store().view(a).employee(id);
        if (!emp && emp.error() != make_error_code(errc::not_found)) check(std::move(emp));
        st->code_hash = emp ? emp->code_hash : std::string();
        st->attempt = std::make_unique<login_attempt>(c->rt.logins(), "employee:" + id, bool(emp));
        if (!enrollment_code_matches(st->code_hash, code))
          st->attempt->failed(errc::unauthenticated,
                              "unknown employee id or enrollment code (or the code was already used)");
      },
      [c, id, st, password = std::move(password)] {
        auto& store = c->ctx.store();
        auto pw = check(crypto::hash_password(password, argon2_params(c->ctx.cfg())));
        check(store.enroll(id, st->code_hash, pw), "unknown employee id or enrollment code (or the code was already used)");
        st->attempt->succeeded();
        return json::object{{"employee_id", id}};
      },
      [c, id](json::object&) { signed_in(c, id); });
}

}  // namespace hearth::server::issuer
