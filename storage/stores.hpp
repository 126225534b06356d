// The RocksDB stores of one data directory, initialised for one role:
//   DIR/issuer/  employer identities, quota ledger, signing keys, staff
//   DIR/forum/   everything pseudonymous, the pinned issuer key, staff
// An `issuer` directory holds only the first, a `forum` directory only the
// second, an `all` directory both (and the issuer's staff accounts).
// Every mutating call is all-or-nothing and returns only after its change is
// synced to disk (WAL fsync, group-committed across concurrent callers), or,
// with store_options::deferred_sync, once it is written to the WAL: then
// whoever acknowledges it waits for data_dir::when_durable first.
// All methods are thread-safe. A store as returned by data_dir is blocking:
// call it from a worker pool, never from an I/O thread. Its view for
// access::no_wait (view(), below) never waits for the disk instead.
#pragma once

#include "common/errc.hpp"
#include "storage/records.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::storage {

// Thrown only while opening, initialising, backing up or restoring; the
// message says what happened and what to do ("run `hearth init --data DIR`",
// "another hearth process is using DIR", ...).
class open_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Write stalls RocksDB entered (see data_dir::write_stalls).
struct write_stall_counts {
  std::uint64_t delayed = 0;  // writes slowed down (too many memtables or level-0 files, or compaction debt)
  std::uint64_t stopped = 0;  // writes stopped until a flush or compaction caught up
};

struct store_options {
  std::int64_t time_granularity = 60;  // seconds; post and modlog times are rounded down to it
  bool sync = true;                    // false only for benchmarks' baselines
  // Group durability (the server): mutating calls return before their WAL
  // record is synced, and one thread syncs both stores' WALs for everyone who
  // waits on data_dir::when_durable meanwhile. No thread blocks in fsync and
  // the WAL is synced once per group instead of once per write group.
  bool deferred_sync = false;
  // With deferred_sync: the least time between the starts of two WAL syncs.
  // Under load, everyone who waits within one interval shares one sync; an
  // isolated change still waits for no more than its own sync.
  std::chrono::microseconds sync_interval{4000};

  // Scrubbing (data_dir::scrub, docs/storage.md): how often the data_dir
  // rewrites the families that record what employees and pseudonyms did, so
  // that no order of theirs outlives this window; also done once at open.
  // Zero: never on its own (scrub() still works).
  std::chrono::seconds scrub_interval{3600};
  // The longest a deleted post's bytes wait before an erasure pass removes
  // them from the files; deletes within it share one pass. Zero: a pass
  // starts at once after each delete (still shared by deletes meanwhile).
  std::chrono::seconds erase_delay{60};
  // RocksDB's own LOG (with times, counts, key ranges of compactions) in
  // each store directory, for diagnosing a problem; also turned on by the
  // environment variable HEARTH_ROCKSDB_LOG=1. Off: no LOG file, and errors
  // alone go to on_storage_error.
  bool diagnostic_log = false;
  // RocksDB's block cache, shared by every family of one store (each store
  // of a data directory has its own). Reads the cache cannot answer go to the
  // files (and, on an I/O thread, hand the op to the blocking pool).
  std::size_t block_cache_bytes = 32u << 20;
  // Receives each RocksDB error, one line, no time (stderr when empty).
  // Called from RocksDB's threads.
  std::function<void(std::string_view)> on_storage_error;
};

// What a data directory serves (PROTOCOL §10).
enum class role { all, issuer, forum };
[[nodiscard]] std::string_view role_name(role r) noexcept;      // "all", "issuer", "forum"
[[nodiscard]] std::optional<role> parse_role(std::string_view name) noexcept;

// How a store call may wait, chosen by the caller and named where the store
// is reached (every store has one view per access, see view() below):
//   wait     point reads and writes wait for the disk and for RocksDB's
//            write stalls, as usual;
//   no_wait  they never do: a point read (a get or a counter) the memtables
//            and the block cache cannot answer, or a write RocksDB would
//            delay, fails with would_block() and changes nothing.
// Listings (iterators) wait under both. The server's I/O threads make short
// ops' calls with no_wait and redo an op that would block on a worker pool
// with wait; such ops make at most one write, after their reads, so that a
// redo never repeats a change.
enum class access { wait, no_wait };
[[nodiscard]] boost::system::error_code would_block() noexcept;  // not a protocol code
[[nodiscard]] bool is_would_block(boost::system::error_code const& ec) noexcept;

// Staff accounts and the staff audit log of one service: the issuer store's
// under `issuer` and `all`, the forum store's under `forum`.
class staff_store {
 public:
  virtual ~staff_store() = default;
  // This store with its point reads and writes made with access a (sharing
  // every lock, counter and cache with it). The store data_dir hands out
  // is the view for access::wait; views live as long as it does.
  [[nodiscard]] virtual staff_store& view(access a) = 0;

  [[nodiscard]] virtual result<void> add_staff(staff_record const& rec) = 0;           // conflict if exists
  [[nodiscard]] virtual result<staff_record> staff(std::string_view username) = 0;     // not_found
  [[nodiscard]] virtual result<std::vector<staff_record>> list_staff() = 0;
  // not_found; forbidden if it would remove the last admin.
  [[nodiscard]] virtual result<void> remove_staff(std::string_view username) = 0;
  // Replaces the account's password hash (role kept); not_found.
  [[nodiscard]] virtual result<void> set_password(std::string_view username, std::string_view password_hash) = 0;
  [[nodiscard]] virtual result<audit_entry> append_audit(audit_entry entry) = 0;  // assigns id
  [[nodiscard]] virtual result<page<audit_entry>> audit(std::optional<std::string> const& before,
                                                        std::size_t limit) = 0;  // newest first
};

class issuer_store {
 public:
  virtual ~issuer_store() = default;
  // This store with its point reads and writes made with access a (sharing
  // every lock, counter and cache with it). The store data_dir hands out
  // is the view for access::wait; views live as long as it does.
  [[nodiscard]] virtual issuer_store& view(access a) = 0;

  // Roster. import: all-or-nothing; a re-imported id gets the new code hash
  // (its password is kept until it enrolls again).
  [[nodiscard]] virtual result<void> import_roster(
      std::vector<std::pair<std::string, std::string>> const& id_and_code_hash) = 0;
  [[nodiscard]] virtual result<employee_record> employee(std::string_view employee_id) = 0;  // not_found
  // Sets the password and clears the code, only if the stored code hash is
  // still expected_code_hash (else unauthenticated): a code works once.
  [[nodiscard]] virtual result<void> enroll(std::string_view employee_id, std::string_view expected_code_hash,
                                            std::string_view password_hash) = 0;
  [[nodiscard]] virtual result<void> remove_employee(std::string_view employee_id) = 0;  // not_found

  // Quota ledger: (employee id, key id) -> used. No times, nothing else.
  [[nodiscard]] virtual result<quota_record> quota(std::string_view employee_id, std::string_view key_id) = 0;
  // Atomically: if blinded_msg equals the stored last one, returns the stored
  // signature and uses nothing; else if used >= allowed: quota_exhausted; else
  // used += 1, remembers (blinded_msg, blind_sig), bumps issued_count(key_id),
  // and returns blind_sig.
  [[nodiscard]] virtual result<bytes> commit_issue(std::string_view employee_id, std::string_view key_id,
                                                   std::uint32_t allowed, bytes const& blinded_msg,
                                                   bytes const& blind_sig) = 0;
  [[nodiscard]] virtual result<std::uint64_t> issued_count(std::string_view key_id) = 0;

  // Key directory: the master Ed25519 key, the signing keys, and seq.
  [[nodiscard]] virtual result<secret_bytes> master_secret_key() = 0;  // 64-byte libsodium form; not_found before init
  // Stores the master key once, at `hearth init`; conflict if one is already stored.
  [[nodiscard]] virtual result<void> set_master_secret_key(secret_bytes const& sk) = 0;
  [[nodiscard]] virtual result<std::uint64_t> directory_seq() = 0;
  [[nodiscard]] virtual result<std::vector<signing_key_record>> signing_keys() = 0;  // ascending epoch
  // Writes the changed/new keys and sets seq = expected_seq + 1, atomically;
  // conflict if the stored seq is not expected_seq (a concurrent change won).
  [[nodiscard]] virtual result<std::uint64_t> update_directory(std::uint64_t expected_seq,
                                                               std::vector<signing_key_record> const& changed) = 0;
};

struct certify_outcome {
  pseudonym_record pseudonym;
  bool created = false;
};

struct append_outcome {
  post_record post;
  bool created = false;  // false: an earlier post with the same (author, nonce) was returned
};

struct thread_view {
  post_record post;
  std::vector<post_record> replies;  // one page, oldest first, hidden/deleted included (flagged)
  std::optional<std::string> next;   // cursor for the next page (pass as `after`), or empty at the end
};

class forum_store {
 public:
  virtual ~forum_store() = default;
  // This store with its point reads and writes made with access a (sharing
  // every lock, counter and cache with it). The store data_dir hands out
  // is the view for access::wait; views live as long as it does.
  [[nodiscard]] virtual forum_store& view(access a) = 0;

  // Spends token_id and creates (with handle) or renews pseudonym pk with the
  // certification, atomically. token_spent if the token was spent before;
  // conflict if pk is new and the handle is taken (case-insensitively). The
  // per-key certified counter counts distinct pseudonyms per key.
  [[nodiscard]] virtual result<certify_outcome> certify(bytes const& token_id, bytes const& pk,
                                                        std::string_view handle,
                                                        certification const& cert) = 0;
  [[nodiscard]] virtual result<bool> token_spent(bytes const& token_id) = 0;
  [[nodiscard]] virtual result<pseudonym_record> pseudonym(bytes const& pk) = 0;                // not_found
  [[nodiscard]] virtual result<pseudonym_record> pseudonym_by_handle(std::string_view handle) = 0;  // not_found
  [[nodiscard]] virtual result<std::uint64_t> certified_count(std::string_view key_id) = 0;

  // Channels ("general" exists after initialisation).
  [[nodiscard]] virtual result<std::vector<channel_record>> channels() = 0;
  [[nodiscard]] virtual result<void> add_channel(channel_record const& c) = 0;  // conflict if exists

  // Posts. append: not_found for an unknown channel or parent (or a parent
  // that is hidden/deleted); bad_request for a parent that is a reply or in
  // another channel; a repeated (author, nonce) returns the stored post
  // (created=false) when channel, parent and body match, else conflict.
  // created_at = now rounded down to the granularity.
  [[nodiscard]] virtual result<append_outcome> append_post(new_post const& p, std::int64_t now) = 0;
  [[nodiscard]] virtual result<post_record> post(std::string_view post_id) = 0;  // not_found; hidden/deleted included
  // Top-level visible posts newest first; bad_request for a cursor it did not issue.
  [[nodiscard]] virtual result<page<post_record>> feed(std::string_view channel,
                                                       std::optional<std::string> const& before,
                                                       std::size_t limit) = 0;
  // A top-level post and one page of its replies, oldest first, after the
  // cursor `after` (from an earlier page of the same thread). not_found for
  // an unknown id; bad_request for a reply's id, limit 0, or a cursor it did
  // not issue for this thread.
  [[nodiscard]] virtual result<thread_view> thread(std::string_view post_id, std::optional<std::string> const& after,
                                                   std::size_t limit) = 0;
  // Author's own delete: forbidden for another pk; erases body, nonce and sig
  // from the record, removes it from feeds and the flag queue. The old bytes
  // leave the files at the next erasure pass (store_options::erase_delay).
  [[nodiscard]] virtual result<post_record> delete_post(std::string_view post_id, bytes const& author_pk) = 0;
  // One of each reaction per pseudonym per post; returns the post's counts.
  [[nodiscard]] virtual result<std::map<std::string, std::uint64_t>> react(std::string_view post_id, bytes const& pk,
                                                                           std::string_view reaction, bool on) = 0;
  // One flag per pseudonym per post (a repeat is a no-op success).
  [[nodiscard]] virtual result<void> flag(std::string_view post_id, bytes const& pk, std::string_view reason,
                                          std::string_view note) = 0;

  // Moderation. The flag queue lists unhandled flagged posts, most flagged
  // first. hide/restore/dismiss/ban/unban append their modlog entry (id and
  // coarse time assigned by the store) in the same atomic write.
  [[nodiscard]] virtual result<page<flag_item>> flag_queue(std::optional<std::string> const& before,
                                                           std::size_t limit) = 0;
  [[nodiscard]] virtual result<post_record> hide(std::string_view post_id, modlog_entry entry, std::int64_t now) = 0;
  [[nodiscard]] virtual result<post_record> restore(std::string_view post_id, modlog_entry entry, std::int64_t now) = 0;
  [[nodiscard]] virtual result<void> dismiss(std::string_view post_id) = 0;
  [[nodiscard]] virtual result<void> ban(bytes const& pk, std::int64_t until, modlog_entry entry, std::int64_t now) = 0;
  [[nodiscard]] virtual result<void> unban(bytes const& pk, modlog_entry entry, std::int64_t now) = 0;  // not_found if not banned
  // nullopt: not banned. The stored time is returned even once it has passed: compare with now.
  [[nodiscard]] virtual result<std::optional<std::int64_t>> ban_until(bytes const& pk) = 0;
  // The reason given with the current ban (shown to the banned pseudonym);
  // empty when not banned or banned before reasons were kept.
  [[nodiscard]] virtual result<std::string> ban_reason(bytes const& pk) = 0;
  // For key rotation/revocation entries (no other change rides along).
  [[nodiscard]] virtual result<modlog_entry> append_modlog(modlog_entry entry, std::int64_t now) = 0;
  [[nodiscard]] virtual result<page<modlog_entry>> modlog(std::optional<std::string> const& before,
                                                          std::size_t limit) = 0;

  // Forum role: the pinned issuer (nullopt before `hearth init` pinned one).
  [[nodiscard]] virtual result<std::optional<pinned_issuer>> pinned() = 0;
  // Pins once: conflict if an issuer is already pinned; bad_request for a
  // master key that is not 32 bytes or an empty URL.
  [[nodiscard]] virtual result<void> set_pinned(pinned_issuer const& p) = 0;
  // The last verified key directory, the JSON text exactly as verified.
  [[nodiscard]] virtual result<std::optional<std::string>> directory_copy() = 0;
  // Stores it unless the stored copy has a higher seq (conflict); the same
  // seq replaces it. bad_request for an empty text.
  [[nodiscard]] virtual result<void> save_directory_copy(std::string json, std::uint64_t seq) = 0;
};

// The stores of one data directory, opened together. Holds an exclusive
// lock on the directory for its lifetime.
class data_dir {
 public:
  virtual ~data_dir() = default;
  virtual storage::role role() const = 0;
  // nullptr when the directory's role does not hold that store: an issuer
  // directory has no forum store, a forum directory no issuer store.
  virtual issuer_store* issuer() = 0;
  virtual forum_store* forum() = 0;
  // This service's staff accounts and audit log (see staff_store).
  virtual staff_store& staff() = 0;
  virtual std::filesystem::path const& path() const = 0;

  // done(true) once every change made by a call that returned before this
  // one is durable; done(false) if syncing failed. Without deferred_sync it
  // runs at once. It runs on the sync thread or the caller's: keep it short.
  virtual void when_durable(std::function<void(bool)> done) = 0;
  // The same, blocking.
  [[nodiscard]] virtual result<void> sync() = 0;
  // WAL syncs done and waiters completed by when_durable (for /metrics).
  virtual std::uint64_t wal_syncs() const = 0;
  virtual std::uint64_t durable_waiters() const = 0;
  // Times RocksDB began to slow down (delayed) or stop writes since open,
  // over the directory's stores (for /metrics).
  virtual write_stall_counts write_stalls() const = 0;

  // Flushes every memtable (old WAL files become obsolete and are deleted),
  // rewrites the families that record what employees and pseudonyms did at
  // the bottom level so that every sequence number there becomes 0, erases
  // the bytes of deleted posts, and rolls the MANIFEST so that no older edit
  // record remains. Blocking and thread-safe; writers go on meanwhile.
  // Runs on its own every scrub_interval and at open. internal on failure.
  [[nodiscard]] virtual result<void> scrub() = 0;
  virtual std::uint64_t scrubs() const = 0;  // completed scrubs (for /metrics)
};

// True when DIR holds a complete data directory of any role.
[[nodiscard]] bool is_initialised(std::filesystem::path const& dir);
// Creates the stores of role r under DIR (schema version records, channel
// "general" in a forum store), records the role last, and returns them
// open. open_error if DIR is already initialised or holds a partial store.
[[nodiscard]] std::unique_ptr<data_dir> create(std::filesystem::path const& dir, role r,
                                               store_options const& opts = {});
[[nodiscard]] std::unique_ptr<data_dir> create(std::filesystem::path const& dir, store_options const& opts = {});  // role::all
// Opens an initialised directory with the role it was created for.
// open_error: not initialised (says to run `hearth init`), another schema
// version, a store the role does not hold, or in use by another process.
[[nodiscard]] std::unique_ptr<data_dir> open(std::filesystem::path const& dir, store_options const& opts = {});

// Consistent copy of the directory's stores (those its role holds) into
// `to` (which must not exist); works while DIR is closed. restore: replaces
// DIR's stores with the backup's; DIR must be uninitialised or of the
// backup's role. progress (may be null) receives human-readable lines.
using progress_fn = void (*)(std::string_view line);
void backup(std::filesystem::path const& dir, std::filesystem::path const& to, progress_fn progress = nullptr);
void restore(std::filesystem::path const& from, std::filesystem::path const& dir, progress_fn progress = nullptr);
// Online backup of a directory this process has open (e.g. a running server):
// a RocksDB checkpoint of each of its stores (two stores share no
// references, so each being consistent in itself is all a restore needs).
// Throws open_error.
void backup(data_dir& open_dir, std::filesystem::path const& to, progress_fn progress = nullptr);

}  // namespace hearth::storage
