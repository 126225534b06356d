#include "server/staff/common.hpp"

#include "server/staff_common.hpp"

#include <spdlog/spdlog.h>

namespace hearth::server::staff {

using storage::staff_role;

actor require(call_base const& c, staff_role needed) {
  auto const& st = c.conn->staff();
  if (st.username.empty()) fail(errc::unauthenticated, "sign in first (op 'login')");
  if (needed == staff_role::admin && st.role != staff_role::admin) fail(errc::forbidden, "this op needs an admin");
  return {st.username, st.role};
}

void audit(storage::staff_store& accounts, actor const& by, std::int64_t at, std::string action,
           std::string target, std::string detail) {
  storage::audit_entry e;
  e.at = at;
  e.actor = by.username;
  e.actor_role = by.role;
  e.action = std::move(action);
  e.target = std::move(target);
  e.detail = std::move(detail);
  if (auto r = accounts.append_audit(std::move(e)); !r)
    spdlog::error("writing the audit log failed: {}", protocol_code(r.error()));
}

void audit(call_base const& c, storage::staff_store& accounts, actor const& by, std::string action,
           std::string target, std::string detail) {
  audit(accounts, by, c.rt.now(), std::move(action), std::move(target), std::move(detail));
}

storage::modlog_entry modlog(actor const& by, std::string action, std::string target, std::string reason) {
  storage::modlog_entry e;
  e.action = std::move(action);
  e.target = std::move(target);
  e.reason = std::move(reason);
  e.actor_role = std::string(role_name(by.role));
  e.actor = by.username;  // kept for appeals, never shown
  return e;
}

void forget_staff_account(connection& c) { c.staff().username.clear(); }

}  // namespace hearth::server::staff
