// /v1/issuer (PROTOCOL.md §5): employees prove employment and receive blind
// signatures. Nothing here records a time, an address, or anything that could
// later be matched to a pseudonym.
#include "server/ops.hpp"

#include "crypto/blind_rsa.hpp"
#include "crypto/encoding.hpp"
#include "crypto/password.hpp"
#include "crypto/random.hpp"
#include "server/staff_common.hpp"

namespace hearth::server {
namespace {

constexpr std::size_t min_password_code_points = 10;
constexpr std::size_t max_password_bytes = 1024;
constexpr std::size_t max_code_bytes = 256;

crypto::pwhash_params argon2(app const& a) {
  return {a.cfg().argon2_opslimit, a.cfg().argon2_memlimit};
}

std::string employee_id_field(fields const& f) {
  auto id = f.str("employee_id");
  if (!valid_employee_id(id))
    fail(errc::bad_request, "field 'employee_id' must be 1..128 printable characters");
  return id;
}

void require_roster_mode(call const& c) {
  if (c.a.cfg().auth != employer_auth::roster)
    fail(errc::forbidden, "this server authenticates employees through its single sign-on proxy");
}

void check_login_rate(call const& c, std::string const& employee_id) {
  if (!c.conn->auth_bucket.take() || c.a.too_many_failures("employee:" + employee_id))
    fail(errc::rate_limited, "too many attempts; wait a few minutes and try again");
}

// Verifies against a throwaway hash when the employee is unknown, so that
// unknown ids and wrong secrets take the same time.
bool verify_or_burn(std::string const& hash, std::string_view secret, app const& a) {
  if (!hash.empty()) return crypto::verify_password(hash, secret);
  static std::string const burn = [&] {
    auto h = crypto::hash_password("not-a-real-secret", argon2(a));
    return h ? *h : std::string();
  }();
  (void)crypto::verify_password(burn, secret);
  return false;
}

std::string const& employee_of(call const& c) {
  auto const& id = c.conn->issuer.employee_id;
  if (id.empty()) {
    if (c.a.cfg().auth == employer_auth::header)
      fail(errc::unauthenticated, "this connection carries no employee identity from the single sign-on proxy");
    fail(errc::unauthenticated, "sign in on this connection first (op 'login')");
  }
  return id;
}

void op_enroll(call_ptr const& c) {
  fields f(c->body);
  auto id = employee_id_field(f);
  auto code = f.str("code");
  auto password = f.str("password");
  if (code.empty() || code.size() > max_code_bytes) fail(errc::bad_request, "field 'code' has the wrong length");
  if (code_points(password) < min_password_code_points)
    fail(errc::bad_request, "the password must be at least 10 characters long");
  if (password.size() > max_password_bytes) fail(errc::bad_request, "the password is too long");
  require_roster_mode(*c);
  check_login_rate(*c, id);
  run_then(
      pool::cpu, c,
      [c, id, code = std::move(code), password = std::move(password)] {
        auto& store = c->a.issuer_store();
        auto emp = store.employee(id);
        std::string code_hash = emp ? emp->code_hash : std::string();
        if (!enrollment_code_matches(code_hash, code)) {
          c->a.record_failure("employee:" + id);
          fail(errc::unauthenticated, "unknown employee id or enrollment code (or the code was already used)");
        }
        auto pw = check(crypto::hash_password(password, argon2(c->a)));
        check(store.enroll(id, code_hash, pw),
              "unknown employee id or enrollment code (or the code was already used)");
        c->a.clear_failures("employee:" + id);
        return json::object{{"employee_id", id}};
      },
      [c, id](json::object&) { c->conn->issuer.employee_id = id; });
}

void op_login(call_ptr const& c) {
  fields f(c->body);
  auto id = employee_id_field(f);
  auto password = f.str("password");
  if (password.size() > max_password_bytes) fail(errc::bad_request, "the password is too long");
  require_roster_mode(*c);
  check_login_rate(*c, id);
  run_then(
      pool::cpu, c,
      [c, id, password = std::move(password)] {
        auto emp = c->a.issuer_store().employee(id);
        std::string hash = emp ? emp->password_hash : std::string();
        if (!verify_or_burn(hash, password, c->a)) {
          c->a.record_failure("employee:" + id);
          fail(errc::unauthenticated, "unknown employee id or wrong password");
        }
        c->a.clear_failures("employee:" + id);
        return json::object{{"employee_id", id}};
      },
      [c, id](json::object&) { c->conn->issuer.employee_id = id; });
}

// Header mode: the connection is authenticated by the proxy at upgrade.
void adopt_proxy_identity(call const& c) {
  if (c.a.cfg().auth == employer_auth::header && c.conn->issuer.employee_id.empty())
    c.conn->issuer.employee_id = c.conn->proxy_identity;
}

void op_quota(call_ptr const& c) {
  adopt_proxy_identity(*c);
  auto id = employee_of(*c);
  run(pool::blocking, c, [c, id] {
    auto dir = c->a.directory();
    auto const* active = dir->active();
    if (!active) fail(errc::key_expired, "no key is active");
    auto q = check(c->a.issuer_store().quota(id, active->key_id));
    return json::object{{"key_id", active->key_id},
                        {"epoch", active->epoch},
                        {"allowed", c->a.cfg().quota},
                        {"used", q.used}};
  });
}

void op_issue(call_ptr const& c) {
  fields f(c->body);
  auto key_id = f.str("key_id");
  auto blinded = f.b64("blinded_msg");
  adopt_proxy_identity(*c);
  auto id = employee_of(*c);
  auto dir = c->a.directory();
  auto const* key = dir->find(key_id);
  if (!key) fail(errc::key_unknown, "no key with this key_id; fetch the key directory again");
  if (key->state != storage::key_state::active || !key->secret_key || key->issue_until <= c->a.now())
    fail(errc::key_expired, "tokens are no longer issued under this key; use the active key");
  if (blinded.size() != key->public_key.modulus_bytes())
    fail(errc::bad_request, "blinded_msg must be exactly " + std::to_string(key->public_key.modulus_bytes()) + " bytes");
  if (!c->conn->issue_bucket.take()) fail(errc::rate_limited, "too many issue requests; slow down");

  auto const allowed = c->a.cfg().quota;
  // One CPU-pool task signs and commits: a single hand-off per issue. The
  // commit does not wait for its fsync (the reply does, see run()), so it
  // never stalls the pool.
  run(pool::cpu, c, [c, dir, key, id, blinded = std::move(blinded), allowed] {
    auto& store = c->a.issuer_store();
    // An employee removed from the roster while signed in gets nothing more.
    if (c->a.cfg().auth == employer_auth::roster && !store.employee(id))
      fail(errc::unauthenticated, "this employee is no longer on the roster");
    auto q = check(store.quota(id, key->key_id));
    if (!q.last_blinded_msg.empty() && crypto::equal(q.last_blinded_msg, blinded))
      return json::object{{"blind_sig", crypto::base64url_encode(q.last_blind_sig)}};
    if (q.used >= allowed) fail(errc::quota_exhausted, "this employee has used its tokens for this key");
    auto sig = check(crypto::blind_rsa::blind_sign(*key->secret_key, blinded));
    auto out = check(store.commit_issue(id, key->key_id, allowed, blinded, sig));
    return json::object{{"blind_sig", crypto::base64url_encode(out)}};
  });
}

constexpr op_entry table[] = {
    {"keys", op_keys}, {"enroll", op_enroll}, {"login", op_login}, {"quota", op_quota}, {"issue", op_issue},
};

}  // namespace

std::span<op_entry const> issuer_ops() { return table; }

}  // namespace hearth::server
