// Construction of the store implementations (internal to storage/).
#pragma once

#include "storage/db.hpp"
#include "storage/stores.hpp"

#include <filesystem>
#include <functional>
#include <memory>

namespace hearth::storage::detail {

db_spec issuer_spec();
db_spec forum_spec();

// With create, the database is created and its schema record (and, for the
// forum, the channel "general") written; otherwise it is opened and checked.
// Throws open_error.
std::unique_ptr<issuer_store> make_issuer(std::filesystem::path const& dir, bool create, store_options const& opts);
std::unique_ptr<forum_store> make_forum(std::filesystem::path const& dir, bool create, store_options const& opts);

// The database behind a store made above, and the staff accounts kept in it.
rdb& database_of(issuer_store& s);
rdb& database_of(forum_store& s);
staff_store& staff_of(issuer_store& s);
staff_store& staff_of(forum_store& s);

// Adds entry to the forum store's moderation log in batch b (its id and
// coarse time assigned now): a change made elsewhere in the same database is
// logged in the same atomic write.
void add_modlog(forum_store& s, rocksdb::WriteBatch& b, modlog_entry& entry, std::int64_t now);

// A scrub of the issuer store; a scrub (or, without scrub, an erasure pass
// of deleted posts) of the forum store. See rdb::maintain.
[[nodiscard]] result<void> maintain(issuer_store& s);
[[nodiscard]] result<void> maintain(forum_store& s, bool scrub);
// hook() runs (on the deleting thread, after the delete is written) when a
// deleted post awaits an erasure pass. Set before the store is shared.
void on_erase_pending(forum_store& s, std::function<void()> hook);
// True if deleted posts await an erasure pass (e.g. left by a crash).
bool erasures_pending(forum_store& s);

// Staff accounts and audit log in the given column families of db (which
// must outlive it).
std::unique_ptr<staff_store> make_staff(rdb& db, std::size_t staff_cf, std::size_t audit_cf);

}  // namespace hearth::storage::detail
