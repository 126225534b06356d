// The byte strings hearth signs (PROTOCOL.md §3), each built in exactly this
// one place. Fields must not contain '\n' (callers validate first); the post
// body may, because it is last.
#pragma once

#include "crypto/bytes.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::crypto::domain {

inline constexpr std::string_view pseudonym_label = "hearth/pseudonym/v1";
inline constexpr std::size_t pseudonym_msg_bytes = 52;  // 19 + 1 + 32

struct directory_line {
  std::string key_id;      // base64url
  std::uint64_t epoch;
  std::int64_t issue_from;
  std::int64_t issue_until;
  std::int64_t accept_until;
  std::string state;       // active | retired | revoked
};

// hearth/keys/v1 \n ISSUER \n SEQ \n one line per key "KEY_ID EPOCH FROM UNTIL ACCEPT STATE".
[[nodiscard]] std::string key_directory(std::string_view issuer, std::uint64_t seq,
                                        std::vector<directory_line> const& keys);
// "hearth/pseudonym/v1" 0x00 pk (52 bytes).
[[nodiscard]] bytes pseudonym_token_msg(byte_view ed25519_pk);
// hearth/login/v1 \n ISSUER \n NONCE_B64URL
[[nodiscard]] std::string login(std::string_view issuer, std::string_view nonce_b64url);
// hearth/post/v1 \n ISSUER \n CHANNEL \n PARENT_ID-or-empty \n CLIENT_NONCE \n BODY
[[nodiscard]] std::string post(std::string_view issuer, std::string_view channel,
                               std::string_view parent_id, std::string_view client_nonce,
                               std::string_view body);

// hearth/poll/v1 \n ISSUER \n CHANNEL \n CLOSES_AT \n LIVE (1 or 0) \n CLIENT_NONCE \n
// QUESTION \n OPTION_1 ... \n OPTION_n
[[nodiscard]] std::string poll(std::string_view issuer, std::string_view channel, std::int64_t closes_at, bool live,
                               std::string_view client_nonce, std::string_view question,
                               std::vector<std::string> const& options);
// hearth/vote/v1 \n ISSUER \n POLL_ID \n OPTION \n SALT_B64URL \n
// PREVIOUS_OPTION-or-empty \n PREVIOUS_SALT_B64URL-or-empty
[[nodiscard]] std::string vote(std::string_view issuer, std::string_view poll_id, std::uint64_t option,
                               std::string_view salt_b64url, std::string_view previous_option,
                               std::string_view previous_salt_b64url);
// hearth/appeal/v1 \n ISSUER \n ACTION_ID \n TEXT (the text last: it may hold newlines)
[[nodiscard]] std::string appeal(std::string_view issuer, std::string_view action_id, std::string_view text);

}  // namespace hearth::crypto::domain
