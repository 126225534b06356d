// Every validation rule of the protocol, each in one place: names, handles,
// ids, passwords, reasons, key sizes and windows, Argon2id parameters. Op
// handlers and the command line both use these.
#pragma once

#include "crypto/password.hpp"
#include "server/config.hpp"
#include "server/directory.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::server {

class fields;

inline constexpr std::size_t min_password_code_points = 10;
inline constexpr std::size_t max_password_bytes = 1024;
inline constexpr std::size_t max_reason_code_points = 1000;

bool valid_employee_id(std::string_view id) noexcept;      // 1..128 printable, no '\n'
bool valid_staff_username(std::string_view name) noexcept;  // ^[A-Za-z0-9_.-]{1,64}$
bool valid_handle(std::string_view handle) noexcept;        // ^[A-Za-z0-9_]{3,20}$
bool valid_channel(std::string_view name) noexcept;         // ^[a-z0-9-]{1,32}$

// A new password's problem, for a person ("must be at least 10 characters
// long"), or nullopt when it is acceptable.
std::optional<std::string> password_problem(std::string_view password);
crypto::pwhash_params argon2_params(config const& cfg) noexcept;

// Fields, answering bad_request (too_large for an over-long reason) naming the field.
std::string handle_field(fields const& f, std::string_view name = "handle");
std::string channel_field(fields const& f, std::string_view name = "channel");
std::string post_id_field(fields const& f, std::string_view name = "post_id");
std::string action_id_field(fields const& f, std::string_view name = "action_id");  // a moderation log entry id
std::string reason_field(fields const& f, bool required = true);
// A new password in a field: bad_request with password_problem's text.
std::string new_password_field(fields const& f, std::string_view name = "password");
// A password to check (not a new one): only bounded in size.
std::string password_field(fields const& f, std::string_view name = "password");

// keys.rotate's settings (PROTOCOL.md §7): bits ∈ {2048, 3072, 4096},
// positive issue_days <= accept_days; defaults from the configuration.
rotation rotation_field(fields const& f, config const& cfg);

// search's query: 1..200 code points holding 1..8 words (storage::search_terms).
inline constexpr std::size_t max_query_code_points = 200;
std::string search_query_field(fields const& f, std::string_view name = "query");
// A search request's fields {query, channel?, before?, limit?} (limit 1..50,
// default 20), shared by the forum's search and the moderators'.
struct search_request {
  std::string query;
  std::optional<std::string> channel;
  std::optional<std::string> before;
  std::size_t limit = 20;
};
search_request search_fields(fields const& f);

// Polls (docs/protocol.md "Polls"): a question of 1..300 code points and
// 2..10 distinct options of 1..100 code points, none holding a control
// character (they are lines of the signed poll bytes); a closing time after
// now, at most 30 days ahead, on a multiple of the forum's time granularity
// (so that it dates its creation no finer than created_at does).
inline constexpr std::size_t max_poll_question_code_points = 300;
inline constexpr std::size_t max_poll_option_code_points = 100;
inline constexpr std::int64_t max_poll_seconds = 30 * 86400;
std::string poll_id_field(fields const& f, std::string_view name = "poll_id");
std::string poll_question_field(fields const& f);
std::vector<std::string> poll_options_field(fields const& f);
std::int64_t poll_closes_at_field(fields const& f, std::int64_t now, std::int64_t granularity);
// A client nonce as posts have it: 16..64 base64url characters.
std::string client_nonce_field(fields const& f, std::string_view name = "nonce");

}  // namespace hearth::server
