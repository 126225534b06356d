// What the poll ops share (docs/protocol.md "Polls"): the protocol's poll
// object, with its results only when they may be shown.
#pragma once

#include "server/forum/ops.hpp"
#include "storage/polls.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace hearth::server::forum {

// The poll object. `results` holds the tallies once the poll has closed (or
// while it is open, if its creator made it live) and only if at least
// min_crowd votes were cast; otherwise `results` is null and `withheld` says
// why: "open" or "too_few_votes". `voted` (whether the reader voted) is left
// out when voted is nullopt (staff readers). `hidden: true` marks a poll
// staff hid (only staff are shown one).
json::object poll_view(storage::poll_record const& p, std::int64_t now, std::uint64_t min_crowd,
                       std::optional<bool> voted);
// The same for a pseudonym (reads whether pk voted, with access a): the
// call's own, taken on its connection's strand before the work was handed on.
json::object poll_view_for(forum_call const& c, crypto::bytes const& pk, storage::poll_record const& p,
                           storage::access a);
// Live polls: a connection that subscribed to a channel with `polls: true`
// is also subscribed under this topic, which no channel name can be (names
// are [a-z0-9-]); its events are `poll` and `poll_hidden`.
std::string polls_topic(std::string_view channel);
// Pushes {"event":"poll","data":<poll>} (without `voted`, which is each
// reader's own) to the channel's poll subscribers once durable.
void publish_poll(forum_service& s, storage::poll_record const& p);
// Pushes {"event":"poll_hidden","data":{"poll_id"}}.
void publish_poll_hidden(forum_service& s, storage::poll_record const& p);

// not_found with a message for an unknown poll, or one staff hid.
storage::poll_record load_poll(forum_service& s, std::string const& poll_id, storage::access a);

}  // namespace hearth::server::forum
