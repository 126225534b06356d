// Construction of the store implementations (internal to storage/).
#pragma once

#include "storage/db.hpp"
#include "storage/stores.hpp"

#include <filesystem>
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

// Staff accounts and audit log in the given column families of db (which
// must outlive it).
std::unique_ptr<staff_store> make_staff(rdb& db, std::size_t staff_cf, std::size_t audit_cf);

}  // namespace hearth::storage::detail
