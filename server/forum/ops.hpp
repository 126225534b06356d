// The forum role's ops (PROTOCOL.md §6, and the moderator half of §7), one
// handler per file, and the views they share: the protocol's post, pseudonym
// and moderation log objects. This endpoint never sees an employer identity.
#pragma once

#include "server/call.hpp"
#include "server/forum/service.hpp"

#include <span>
#include <string>
#include <string_view>

namespace hearth::server::forum {

using forum_call = call_ptr<forum_service>;

std::span<op_def<forum_service> const> endpoint_ops();  // /v1/forum
std::span<op_def<forum_service> const> staff_ops();     // the forum's half of /v1/staff

// ---- views

inline constexpr std::string_view reaction_names[] = {"+1", "heart", "laugh", "sad"};
inline constexpr std::string_view flag_reasons[] = {"spam", "harassment", "doxxing", "off_topic", "other"};
bool one_of(std::string_view v, std::span<std::string_view const> set) noexcept;

// The protocol's post object (§6); a hidden or deleted post as {"id","hidden":true}.
json::object post_view(storage::post_record const& p);
json::object post_view_for_staff(storage::post_record const& p);  // hidden posts in full (staff only)
json::value hidden_placeholder(storage::post_record const& p);
json::object reactions_view(std::map<std::string, std::uint64_t> const& counts);
// {"posts": [post_view(p)...], "next": cursor} written straight to text,
// without a json tree: the same JSON as page_view(page, "posts", post_view)
// (tests/server/views_test.cpp holds them equal), at a fraction of the cost
// for the ~25 KB a feed page carries.
// frame_head: call_base::ok_head() to get the whole reply frame (framed),
// or empty for the result alone.
raw_json posts_page_json(storage::page<storage::post_record> const& page, std::string_view frame_head = {});
// The protocol's pseudonym object; valid_until from the current directory.
json::object pseudonym_view(storage::pseudonym_record const& p, directory_snapshot const& dir);
std::int64_t valid_until(storage::pseudonym_record const& p, directory_snapshot const& dir);
std::int64_t valid_until(std::span<storage::certification const> certs, directory_snapshot const& dir);
json::object modlog_view(storage::modlog_entry const& e);
// A {"event": name, "data": data} frame, serialized once for all receivers.
std::shared_ptr<std::string const> event_frame(std::string_view name, json::object data);
void publish_hidden(forum_service& s, storage::post_record const& p);
// The channel list, {channels: [{name, description}]} (forum and staff alike).
json::object channels_view(forum_service& s);
// One page of the public moderation log (forum and staff endpoints alike).
json::object modlog_page(forum_service& s, std::optional<std::string> const& before, std::size_t limit);
// "2026-12-03T21:00:00Z"
std::string until_text(std::int64_t t);
// One page of a thread: the top-level post and at most `limit` replies after
// the cursor, oldest first, cut short once they hold max_thread_page_bytes of
// text so that no answer grows with the size of the posts (`next` then goes
// on from the last reply given). bad_request for a reply's id or a cursor
// not issued for this thread, not_found for an unknown id.
inline constexpr std::size_t max_thread_page_bytes = 1 << 20;
storage::thread_view thread_page(storage::forum_store& store, std::string const& post_id,
                                 std::optional<std::string> after, std::size_t limit);
// One page of a channel's feed, newest first, cut short the same way (the
// same byte budget). bad_request for a cursor the store did not issue,
// not_found for an unknown channel.
result<storage::page<storage::post_record>> feed_page(storage::forum_store& store, std::string const& channel,
                                                      std::optional<std::string> before, std::size_t limit);

// ---- shared by the handlers

// The logged-in pseudonym of this connection, else unauthenticated.
crypto::bytes const& pseudonym_of(forum_call const& c);
// banned while a ban lasts, its message saying until when and the reason the
// moderator gave (PROTOCOL.md §6).
// The store is read with access a.
void check_not_banned(forum_service& s, crypto::bytes const& pk, storage::access a);
// Banned pseudonyms cannot post, react or flag; one whose certification lapsed
// (or whose key was revoked) while it was logged in must renew first.
using certifications_ptr = std::shared_ptr<std::vector<storage::certification> const>;
void check_may_act(forum_service& s, crypto::bytes const& pk, certifications_ptr const& at_login,
                   storage::access a);

}  // namespace hearth::server::forum
