// Notifications (docs/protocol.md "Notifications"): what the forum's ops tell
// a pseudonym about its posts and itself, kept in the store and pushed live
// to its connections as {"event": "notification", "data": {notice, unread}}.
// A notice names nobody but pseudonyms, and a reaction notice not even that.
#pragma once

#include "crypto/bytes.hpp"
#include "server/forum/ops.hpp"
#include "storage/notices.hpp"

#include <string>
#include <string_view>

namespace hearth::server::forum::notify {

// The actions an appeal may name, and the log entries that change whether
// each is in effect (the newest of them on a target is the one in effect).
inline constexpr std::string_view hide_actions[] = {"hide", "restore", "appeal.overturned"};
inline constexpr std::string_view ban_actions[] = {"ban", "unban", "appeal.overturned"};
// A poll's hide is not appealed (docs/protocol.md "Polls"): its own two.
inline constexpr std::string_view poll_actions[] = {"poll.hide", "poll.restore"};

// Whether a hide or ban (entry) is still in effect: its post still hidden and
// not deleted (its pseudonym, pk, still banned), and no later log entry on its
// target changed that. For blocking work; throws op_failure on storage errors.
bool in_effect(forum_service& s, storage::modlog_entry const& entry, crypto::bytes const& pk);

json::object notice_view(storage::notice const& n);
// An appeal as its pseudonym sees it (no staff names).
json::object appeal_view(storage::appeal_record const& a);

// From the pool::io work of `post` and `react`: each makes its own write, so
// it runs later on the blocking pool (the op's one write stays its only one).
// A failure is counted in the log, never answered: the op itself succeeded.
void reply(forum_service& s, storage::post_record const& reply);
void reaction(forum_service& s, std::string post_id, std::string reaction, crypto::bytes reactor);

// From blocking work, after the moderation write: tells the post's author
// (hide, restore), the poll's (poll.hide, poll.restore) or the pseudonym
// (ban, unban) about the newest log entry on target among `actions`, whose
// id the notice carries for an appeal.
void moderated(forum_service& s, crypto::bytes const& pk, std::string_view kind, std::string const& post_id,
               std::string const& target, std::span<std::string_view const> actions, std::string const& reason,
               std::string const& poll_id = {});

// Adds n for pk and pushes it to pk's connections; failures as above.
void tell(forum_service& s, crypto::bytes const& pk, storage::notice n);

}  // namespace hearth::server::forum::notify
