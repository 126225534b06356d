// Notifications and appeals in the forum store (docs/storage.md
// "Notifications and appeals").
//
// Notifications: per pseudonym, numbered 1, 2, 3... in the order they were
// added (a pseudonym's own sequence, so no order across pseudonyms is kept),
// with one "read up to" mark: the unread count is the newest number minus the
// mark. Only the newest max_notices of each pseudonym are kept. A notice names
// nobody but pseudonyms (by handle) and carries the coarse time posts carry.
//
// Appeals: at most one per moderation action (a hide or a ban, named by its
// public moderation log entry id), with a state: open, upheld, overturned.
// Open appeals form the staff's queue, oldest first.
//
// Thread-safe and blocking, like forum_store (with access::wait always: no op
// calls these from an I/O thread); every mutating call is all-or-nothing and
// synced as the forum store's are.
#pragma once

#include "common/errc.hpp"
#include "storage/records.hpp"
#include "storage/stores.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::storage {

inline constexpr std::uint64_t max_notices = 500;  // kept per pseudonym, the newest

struct notice {
  std::string id;        // the pseudonym's own sequence number (16 hex digits)
  std::string kind;      // reply reaction hide restore ban unban appeal.upheld appeal.overturned
                         // poll.hide poll.restore
  std::int64_t at = 0;   // coarsened to the store's granularity
  std::string post_id;   // the post concerned (a reply's parent for `reply`), or empty
  std::string reply_id;  // reply: the reply
  std::string by;        // reply: the replying pseudonym's handle; empty otherwise
  std::string reaction;  // reaction: which one (never who reacted)
  std::string action_id; // moderation: the moderation log entry (what an appeal names)
  std::string reason;    // moderation: the reason given
  std::string poll_id;   // poll.hide, poll.restore: the poll concerned
  bool read = false;     // filled in by list()
};

struct notice_page {
  std::vector<notice> items;  // newest first
  std::optional<std::string> next;
  std::uint64_t unread = 0;
};

enum class appeal_state : std::uint8_t { open = 0, upheld = 1, overturned = 2 };
[[nodiscard]] std::string_view appeal_state_name(appeal_state s) noexcept;  // "open", "upheld", "overturned"

struct appeal_record {
  std::string action_id;  // the moderation log entry appealed (one appeal each)
  std::string action;     // "hide" or "ban"
  std::string target;     // the post id (hide) or handle (ban), as in the entry
  bytes pseudonym_pk;     // who appealed: the hidden post's author or the banned pseudonym
  std::string handle;
  std::string text;       // as signed
  bytes sig;              // Ed25519 over the appeal bytes (docs/protocol.md "Appeals")
  std::int64_t at = 0;    // coarsened
  appeal_state state = appeal_state::open;
  std::string decided_by;  // staff username (staff views only)
  std::string decision;    // the reason given with the outcome
  std::int64_t decided_at = 0;  // coarsened
};

class notice_store {
 public:
  virtual ~notice_store() = default;

  // Appends n for pk (id and coarse time assigned), dropping the oldest past
  // max_notices. bad_request for an empty pk or kind.
  [[nodiscard]] virtual result<notice> add(bytes const& pk, notice n, std::int64_t now) = 0;
  // A reaction notice, once ever per (post, reaction, reacting pseudonym): a
  // reaction taken back and given again says nothing new. nullopt if this
  // one was already told.
  [[nodiscard]] virtual result<std::optional<notice>> add_reaction(bytes const& pk, bytes const& reactor,
                                                                  std::string_view post_id,
                                                                  std::string_view reaction, std::int64_t now) = 0;
  // Newest first; bad_request for limit 0 or a cursor it did not issue for pk.
  [[nodiscard]] virtual result<notice_page> list(bytes const& pk, std::optional<std::string> const& before,
                                                 std::size_t limit) = 0;
  // Marks every notice up to id (all when nullopt) read; returns the unread
  // count. not_found for an id pk never had; an older mark than the stored
  // one changes nothing.
  [[nodiscard]] virtual result<std::uint64_t> mark_read(bytes const& pk, std::optional<std::string> const& up_to) = 0;
  [[nodiscard]] virtual result<std::uint64_t> unread(bytes const& pk) = 0;
};

class appeal_store {
 public:
  virtual ~appeal_store() = default;

  // The moderation log entry with this id; not_found.
  [[nodiscard]] virtual result<modlog_entry> action(std::string_view action_id) = 0;
  // The newest moderation log entry on target whose action is one of
  // `actions` (e.g. {"hide", "restore", "appeal.overturned"}: the one in
  // effect); nullopt if none.
  [[nodiscard]] virtual result<std::optional<modlog_entry>> latest_action(
      std::string_view target, std::span<std::string_view const> actions) = 0;

  // Files an open appeal (at coarsened); conflict if the action already has
  // one; bad_request for an empty action id, pk or text.
  [[nodiscard]] virtual result<appeal_record> file(appeal_record a, std::int64_t now) = 0;
  [[nodiscard]] virtual result<appeal_record> appeal(std::string_view action_id) = 0;  // not_found
  // Open appeals, oldest first; bad_request for limit 0 or a foreign cursor.
  [[nodiscard]] virtual result<page<appeal_record>> open_appeals(std::optional<std::string> const& before,
                                                                 std::size_t limit) = 0;
  // open -> upheld/overturned, leaving the queue. not_found; conflict if it
  // is no longer open (a concurrent decision won); bad_request for `open`.
  // The appeal stays unsettled until settle(): its outcome (the moderation
  // log entry, the undone hide or ban, the notice) is written after it, and
  // a stop in between leaves it for the server to finish when it opens.
  [[nodiscard]] virtual result<appeal_record> decide(std::string_view action_id, appeal_state outcome,
                                                     std::string_view staff_username, std::string_view reason,
                                                     std::int64_t now) = 0;
  // The decided appeal's outcome is applied. not_found; conflict while open.
  [[nodiscard]] virtual result<void> settle(std::string_view action_id) = 0;
  // Decided appeals not yet settled, by action id.
  [[nodiscard]] virtual result<std::vector<appeal_record>> unsettled() = 0;
};

// Over an open forum store's database (the store must outlive them). Make
// one of each per open forum store and share it: their locks are their own.
[[nodiscard]] std::unique_ptr<notice_store> open_notices(forum_store& forum);
[[nodiscard]] std::unique_ptr<appeal_store> open_appeals(forum_store& forum);

}  // namespace hearth::storage

namespace rocksdb {
class WriteBatch;
}

namespace hearth::storage::detail {

class rdb;

// The moderation log by target (post id or handle), newest first, so that
// appeal_store::latest_action reads a target's few entries instead of the
// log: key = BE2(size) + target + BE8(~seq), value = the action. The forum
// store writes it in the batch of every log entry.
void put_modlog_target(rdb& db, rocksdb::WriteBatch& b, std::string_view target, std::uint64_t seq,
                       std::string_view action);
// At open: a store whose log predates the index gets it built once. Throws
// open_error on failure.
void build_modlog_target_index(rdb& db);

}  // namespace hearth::storage::detail
