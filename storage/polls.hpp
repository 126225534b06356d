// Polls in the forum store: one vote per pseudonym, a tally per option, and
// for each voter a marker that it voted, holding a hiding commitment to its
// current choice instead of the choice (docs/storage.md "Polls"). Changing a
// vote needs the opening of that commitment, which only the voter's client
// keeps, so the store can check a change without ever holding an option
// beside a pseudonym.
// Thread-safe and blocking, like forum_store; every mutating call is
// all-or-nothing and synced as the forum store's are.
#pragma once

#include "common/errc.hpp"
#include "storage/records.hpp"
#include "storage/stores.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::storage {

inline constexpr std::size_t min_poll_options = 2;
inline constexpr std::size_t max_poll_options = 10;
inline constexpr std::size_t vote_salt_bytes = 32;
inline constexpr std::size_t vote_commitment_bytes = 32;

struct new_poll {
  std::string channel;
  bytes author_pk;
  std::string author_handle;
  std::string question;
  std::vector<std::string> options;  // min_poll_options..max_poll_options
  std::int64_t closes_at = 0;        // as signed by the author
  bool live = false;                 // results shown before the close
  std::string key_id;                // the active key when it opened: who may vote
  std::string nonce;                 // client nonce (base64url text)
  bytes sig;                         // Ed25519 over the poll bytes
};

struct poll_record {
  std::string id;  // opaque, unique, sortable in creation order; never reused
  std::string channel;
  bytes author_pk;
  std::string author_handle;
  std::string question;
  std::vector<std::string> options;
  std::int64_t created_at = 0;  // coarsened to the store's granularity
  std::int64_t closes_at = 0;
  bool live = false;
  bool pinned = false;  // by staff: listed first in its channel
  bool hidden = false;  // by staff: out of its channel's list, takes no votes
  std::string key_id;
  std::string nonce;
  bytes sig;
  std::vector<std::uint64_t> tallies;  // one per option
  std::uint64_t votes = 0;             // voters (the sum of the tallies)
};

struct poll_outcome {
  poll_record poll;
  bool created = false;  // false: an earlier poll with the same (author, nonce) was returned
};

// A choice and the secret salt of its commitment.
struct vote_opening {
  std::uint64_t option = 0;
  bytes salt;  // vote_salt_bytes, chosen at random by the voter's client
};

enum class vote_effect {
  cast,      // a first vote
  changed,   // the previous choice was opened and replaced
  repeated,  // the stored commitment is already this choice's: nothing written
};

struct vote_outcome {
  poll_record poll;
  vote_effect effect = vote_effect::cast;
};

// SHA-256("hearth/vote-commitment/v1" 0x00 POLL_ID 0x00 OPTION (decimal) 0x00 SALT).
[[nodiscard]] bytes vote_commitment(std::string_view poll_id, std::uint64_t option, crypto::byte_view salt);

class poll_store {
 public:
  virtual ~poll_store() = default;
  // These polls with their point reads and writes made with access a
  // (forum_store::view); open_polls returns the view for access::wait.
  [[nodiscard]] virtual poll_store& view(access a) = 0;

  // not_found for an unknown channel; bad_request for an empty channel,
  // author, nonce or key id, or an option count outside 2..10; a repeated
  // (author, nonce) returns the stored poll (created=false) when channel,
  // question, options, closes_at and live match, else conflict.
  // created_at = now rounded down to the granularity.
  [[nodiscard]] virtual result<poll_outcome> create(new_poll const& p, std::int64_t now) = 0;
  [[nodiscard]] virtual result<poll_record> poll(std::string_view poll_id) = 0;  // not_found
  // A channel's polls: pinned ones first, each group newest first; hidden
  // ones only with with_hidden (for staff).
  // not_found for an unknown channel; bad_request for limit 0 or a cursor it
  // did not issue for this channel.
  [[nodiscard]] virtual result<page<poll_record>> list(std::string_view channel,
                                                       std::optional<std::string> const& before,
                                                       std::size_t limit, bool with_hidden = false) = 0;
  // The commitment stored for pk's vote, or nullopt if it has not voted.
  [[nodiscard]] virtual result<std::optional<bytes>> commitment(std::string_view poll_id, bytes const& pk) = 0;
  // Atomically, under the poll's lock:
  //   not_found: unknown or hidden poll; bad_request: option out of range or a salt
  //   that is not vote_salt_bytes;
  //   repeated: pk's stored commitment is choice's (a retry; even once closed);
  //   forbidden: `previous` given but it does not open pk's stored
  //   commitment (or pk has not voted);
  //   conflict: the poll has closed (closes_at <= now), or pk voted and no
  //   `previous` was given;
  //   else the tally of choice goes up (and, with previous, that of the old
  //   option down), and pk's marker holds choice's commitment only.
  [[nodiscard]] virtual result<vote_outcome> vote(std::string_view poll_id, bytes const& pk,
                                                  vote_opening const& choice,
                                                  std::optional<vote_opening> const& previous, std::int64_t now) = 0;
  // Staff pin (or unpin) a poll: it moves to the front of its channel's list.
  [[nodiscard]] virtual result<poll_record> pin(std::string_view poll_id, bool pinned) = 0;  // not_found
  // Staff hide (hidden) or restore a poll, appending entry to the forum
  // store's moderation log in the same atomic write (its id and coarse time
  // assigned; its action is kept, its target set to the poll's id). Logged
  // even when the poll already was so, as a post's hide is. not_found.
  [[nodiscard]] virtual result<poll_record> moderate(std::string_view poll_id, bool hidden, modlog_entry entry,
                                                     std::int64_t now) = 0;
};

// The polls of an open forum store (whose database it shares; the store must
// outlive it). Make one per open forum store and share it: its locks and id
// counter are its own.
[[nodiscard]] std::unique_ptr<poll_store> open_polls(forum_store& forum);

}  // namespace hearth::storage
