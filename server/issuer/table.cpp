// The issuer role's op tables and `keys` (the same on every endpoint).
#include "server/issuer/ops.hpp"

#include <boost/json.hpp>

namespace hearth::server::issuer {

void op_keys(issuer_call const& c) { c->ok(json::parse(c->ctx.document()).as_object()); }

namespace {
constexpr op_def<issuer_service> endpoint_table[] = {
    {"keys", op_keys}, {"enroll", op_enroll}, {"login", op_login}, {"quota", op_quota}, {"issue", op_issue},
};
}  // namespace

std::span<op_def<issuer_service> const> endpoint_ops() { return endpoint_table; }

}  // namespace hearth::server::issuer
