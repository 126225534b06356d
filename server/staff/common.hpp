// What every staff op shares, whichever role's store it changes: the role
// check, the staff audit log and the public moderation log entry.
#pragma once

#include "server/call.hpp"
#include "storage/stores.hpp"

#include <cstdint>
#include <string>

namespace hearth::server::staff {

// Who did a staff action: the signed-in account, or one read back from a
// stored record when an action is finished outside any call.
struct actor {
  std::string username;
  storage::staff_role role = storage::staff_role::moderator;
};

// On the connection's strand, before any pool task: the signed-in account,
// or unauthenticated before login and forbidden when an admin is needed.
// Ops capture what it returns rather than read the connection's staff state
// from a pool thread, where a login or a removal could be writing it.
actor require(call_base const& c, storage::staff_role needed);

// Appends to the staff audit log of `accounts` (who did what, at `at`); a
// failure is logged, not answered: the action itself is already durable.
void audit(storage::staff_store& accounts, actor const& by, std::int64_t at, std::string action,
           std::string target, std::string detail = {});
// The same, now.
void audit(call_base const& c, storage::staff_store& accounts, actor const& by, std::string action,
           std::string target, std::string detail = {});
// A public moderation log entry naming the actor's role, never the username
// (which the store keeps beside it for appeals, out of every public view).
storage::modlog_entry modlog(actor const& by, std::string action, std::string target, std::string reason);
// On a connection's strand: it is signed in as nobody any more (its account
// was removed or its password changed), so require() refuses what follows.
void forget_staff_account(connection& c);

}  // namespace hearth::server::staff
