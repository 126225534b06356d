// The issuer role's ops (PROTOCOL.md §5), one handler per file, and what they
// share: employer authentication helpers. Nothing here records a time, an
// address, or anything that could later be matched to a pseudonym.
#pragma once

#include "server/call.hpp"
#include "server/issuer/service.hpp"

#include <span>
#include <string>
#include <string_view>

namespace hearth::server::issuer {

using issuer_call = call_ptr<issuer_service>;

std::span<op_def<issuer_service> const> endpoint_ops();  // /v1/issuer

void op_keys(issuer_call const& c);
void op_enroll(issuer_call const& c);
void op_login(issuer_call const& c);
void op_quota(issuer_call const& c);
void op_issue(issuer_call const& c);

// ---- shared by the handlers above

std::string employee_id_field(fields const& f);
void require_roster_mode(issuer_call const& c);
// rate_limited when the connection is over its rate of sign-in attempts
// (the limits per employee id and server-wide are login_attempt's).
void check_login_rate(issuer_call const& c);
// On the connection's strand after enroll or login: the connection is signed
// in as employee_id, and ends if the employee is removed from the roster.
void signed_in(issuer_call const& c, std::string const& employee_id);
// Verifies against a throwaway hash when the employee is unknown, so that
// unknown ids and wrong secrets take the same time.
bool verify_or_burn(std::string const& hash, std::string_view secret, config const& cfg);
// The signed-in employee of this connection, else unauthenticated. In header
// mode the identity set by the proxy at upgrade is adopted first.
std::string const& employee_of(issuer_call const& c);

}  // namespace hearth::server::issuer
