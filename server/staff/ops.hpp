// The staff endpoint /v1/staff (PROTOCOL.md §7, §10): one handler per file,
// each with the context of the role whose store it changes. Account ops (login,
// staff.*, audit) see only the role's staff accounts; moderation ops the forum
// service; key and roster ops the issuer service.
#pragma once

#include "server/call.hpp"
#include "server/forum/service.hpp"
#include "server/issuer/service.hpp"
#include "server/session_index.hpp"
#include "server/staff/common.hpp"

#include <span>

namespace hearth::server {

// The staff accounts and audit log of one role (the issuer's under `all`),
// and the connections signed in as each account.
struct staff_accounts {
  runtime& rt;
  storage::staff_store& store;
  std::unique_ptr<session_index> sessions = std::make_unique<session_index>();
};

}  // namespace hearth::server

namespace hearth::server::staff {

using accounts_call = call_ptr<staff_accounts>;
using issuer_call = call_ptr<issuer_service>;
using forum_call = call_ptr<forum_service>;

std::span<op_def<staff_accounts> const> account_ops();
std::span<op_def<issuer_service> const> issuer_ops();
std::span<op_def<forum_service> const> forum_ops();

// accounts
void op_login(accounts_call const& c);
void op_staff_add(accounts_call const& c);
void op_staff_remove(accounts_call const& c);
void op_staff_list(accounts_call const& c);
void op_audit(accounts_call const& c);
void op_staff_passwd(accounts_call const& c);
// issuer (admin)
void op_keys_rotate(issuer_call const& c);
void op_keys_revoke(issuer_call const& c);
void op_roster_import(issuer_call const& c);
void op_roster_remove(issuer_call const& c);
// forum (moderator; channels.add admin)
void op_flags(forum_call const& c);
void op_thread(forum_call const& c);
void op_hide(forum_call const& c);
void op_restore(forum_call const& c);
void op_dismiss(forum_call const& c);
void op_ban(forum_call const& c);
void op_unban(forum_call const& c);
void op_modlog(forum_call const& c);
void op_channels(forum_call const& c);
void op_channels_add(forum_call const& c);

// At start: applies the outcome of every appeal decided before a stop that
// came between the decision and its outcome (docs/protocol.md "Appeals").
void finish_decisions(forum_service& s);

}  // namespace hearth::server::staff
