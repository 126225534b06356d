// The staff endpoint's op tables, by the role whose store each op uses.
#include "server/staff/ops.hpp"

namespace hearth::server::staff {

void op_poll_pin(forum_call const& c);
void op_poll_hide(forum_call const& c);
void op_poll_restore(forum_call const& c);
void op_polls(forum_call const& c);
void op_search(forum_call const& c);
void op_appeals(forum_call const& c);
void op_appeal_decide(forum_call const& c);

namespace {
constexpr op_def<staff_accounts> account_table[] = {
    {"login", op_login},         {"staff.add", op_staff_add}, {"staff.remove", op_staff_remove},
    {"staff.list", op_staff_list}, {"audit", op_audit},         {"staff.passwd", op_staff_passwd},
};
constexpr op_def<issuer_service> issuer_table[] = {
    {"keys.rotate", op_keys_rotate},
    {"keys.revoke", op_keys_revoke},
    {"roster.import", op_roster_import},
    {"roster.remove", op_roster_remove},
};
constexpr op_def<forum_service> forum_table[] = {
    {"flags", op_flags},   {"thread", op_thread}, {"hide", op_hide},         {"restore", op_restore},
    {"dismiss", op_dismiss}, {"ban", op_ban},     {"unban", op_unban},       {"modlog", op_modlog},
    {"channels", op_channels}, {"channels.add", op_channels_add}, {"poll.pin", op_poll_pin},
    {"poll.hide", op_poll_hide}, {"poll.restore", op_poll_restore},
    {"polls", op_polls}, {"search", op_search},
    {"appeals", op_appeals}, {"appeal.decide", op_appeal_decide},
};
}  // namespace

std::span<op_def<staff_accounts> const> account_ops() { return account_table; }
std::span<op_def<issuer_service> const> issuer_ops() { return issuer_table; }
std::span<op_def<forum_service> const> forum_ops() { return forum_table; }

}  // namespace hearth::server::staff
