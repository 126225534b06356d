#include "server/issuer/ops.hpp"

#include "server/validation.hpp"

namespace hearth::server::issuer {

std::string employee_id_field(fields const& f) {
  auto id = f.str("employee_id");
  if (!valid_employee_id(id)) fail(errc::bad_request, "field 'employee_id' must be 1..128 printable characters");
  return id;
}

void require_roster_mode(issuer_call const& c) {
  if (c->ctx.cfg().auth != employer_auth::roster)
    fail(errc::forbidden, "this server authenticates employees through its single sign-on proxy");
}

void check_login_rate(issuer_call const& c) {
  if (!c->conn->auth_bucket.take()) fail(errc::rate_limited, "too many attempts on this connection; slow down");
}

void signed_in(issuer_call const& c, std::string const& employee_id) {
  auto& st = c->conn->issuer();
  if (st.employee_id == employee_id) return;
  if (!st.employee_id.empty()) c->ctx.employee_sessions().remove(st.employee_id, c->conn.get());
  st.employee_id = employee_id;
  c->ctx.employee_sessions().add(employee_id, c->conn);
}

bool verify_or_burn(std::string const& hash, std::string_view secret, config const& cfg) {
  if (!hash.empty()) return crypto::verify_password(hash, secret);
  static std::string const burn = [&] {
    auto h = crypto::hash_password("not-a-real-secret", argon2_params(cfg));
    return h ? *h : std::string();
  }();
  (void)crypto::verify_password(burn, secret);
  return false;
}

std::string const& employee_of(issuer_call const& c) {
  auto& st = c->conn->issuer();
  if (c->ctx.cfg().auth == employer_auth::header && st.employee_id.empty()) st.employee_id = st.proxy_identity;
  if (st.employee_id.empty()) {
    if (c->ctx.cfg().auth == employer_auth::header)
      fail(errc::unauthenticated, "this connection carries no employee identity from the single sign-on proxy");
    fail(errc::unauthenticated, "sign in on this connection first (op 'login')");
  }
  return st.employee_id;
}

}  // namespace hearth::server::issuer
