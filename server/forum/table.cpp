// The forum endpoint's op table and `keys` (the verified directory).
#include "server/forum/ops.hpp"

#include <boost/json.hpp>

namespace hearth::server::forum {

void op_keys(forum_call const& c) { c->ok(json::parse(c->ctx.keys().document()).as_object()); }

void op_certify(forum_call const& c);
void op_poll_create(forum_call const& c);
void op_poll_vote(forum_call const& c);
void op_poll_get(forum_call const& c);
void op_polls(forum_call const& c);
void op_challenge(forum_call const& c);
void op_login(forum_call const& c);
void op_channels(forum_call const& c);
void op_post(forum_call const& c);
void op_feed(forum_call const& c);
void op_thread(forum_call const& c);
void op_delete(forum_call const& c);
void op_react(forum_call const& c);
void op_flag(forum_call const& c);
void op_subscribe(forum_call const& c);
void op_unsubscribe(forum_call const& c);
void op_profile(forum_call const& c);
void op_anonymity(forum_call const& c);
void op_modlog(forum_call const& c);
void op_notifications(forum_call const& c);
void op_notifications_read(forum_call const& c);
void op_appeal(forum_call const& c);
void op_ban_status(forum_call const& c);
void op_search(forum_call const& c);
void op_export(forum_call const& c);

namespace {
constexpr op_def<forum_service> table[] = {
    {"keys", op_keys},          {"certify", op_certify},     {"challenge", op_challenge},
    {"poll.create", op_poll_create}, {"poll.vote", op_poll_vote}, {"poll.get", op_poll_get}, {"polls", op_polls},
    {"login", op_login},        {"channels", op_channels},   {"post", op_post},
    {"feed", op_feed},          {"thread", op_thread},       {"delete", op_delete},
    {"react", op_react},        {"flag", op_flag},           {"subscribe", op_subscribe},
    {"unsubscribe", op_unsubscribe}, {"profile", op_profile}, {"anonymity", op_anonymity},
    {"modlog", op_modlog},
    {"notifications", op_notifications}, {"notifications.read", op_notifications_read},
    {"appeal", op_appeal},      {"ban_status", op_ban_status},
    {"search", op_search},      {"export", op_export},
};
}  // namespace

std::span<op_def<forum_service> const> endpoint_ops() { return table; }

}  // namespace hearth::server::forum
