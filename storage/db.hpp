// A RocksDB database with named column families, opened for one of hearth's
// stores, plus the lock stripes used for check-and-set operations (internal
// to storage/).
#pragma once

#include "common/errc.hpp"
#include "storage/stores.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::storage::detail {

inline constexpr char schema_key[] = "hearth.schema";
inline constexpr char maintenance_key[] = "hearth.maintenance";  // empty; rewritten by maintain()
inline constexpr std::uint32_t schema_version = 1;

struct db_spec {
  std::string kind;                       // "issuer" or "forum"
  std::vector<std::string> column_families;  // excluding "default"
  std::vector<std::string> counter_families; // families with the uint64 add merge operator
  std::vector<std::string> point_families;   // families that get a bloom filter
  // Families whose keys end in an 8-byte sequence number that grows (or
  // shrinks) steadily under a prefix: memtable inserts there start from the
  // previous insert's position under the same prefix.
  std::vector<std::string> sequence_families = {};
  // Families added to the schema after stores were made without them: an
  // older store gets them (empty) when it is opened. Older code keeps an
  // unknown family open untouched, so this needs no new schema version.
  std::vector<std::string> added_families = {};
  // Families that record what employees and pseudonyms did (which quota,
  // which token, which pseudonym): data_dir::scrub rewrites them whole.
  std::vector<std::string> scrub_families = {};
};

// Keys of one family whose older versions must leave the files.
struct erase_keys {
  std::size_t cf = 0;
  std::vector<std::string> keys;
};

std::string schema_value(std::string const& kind);  // e.g. "hearth-forum/1"

class rdb {
 public:
  // Opens (or, with create, creates) the database at path. Throws open_error
  // with a message naming the data directory `dir` and what to do.
  rdb(std::filesystem::path const& dir, db_spec const& spec, bool create, store_options const& opts);
  ~rdb();
  rdb(rdb const&) = delete;
  rdb& operator=(rdb const&) = delete;

  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(std::size_t i) { return handles_[i]; }  // 0 = default
  std::vector<rocksdb::ColumnFamilyHandle*> const& handles() const { return handles_; }

  // With access::no_wait (see storage::access): a write RocksDB would stall,
  // or a read the memtables and the block cache cannot answer, fails with
  // would_block() and changes nothing.
  [[nodiscard]] result<void> write(rocksdb::WriteBatch& batch, access a);
  // nullopt if the key is absent.
  [[nodiscard]] result<std::optional<std::string>> get(std::size_t cf, std::string_view key, access a);
  // Counter families: 0 if absent.
  [[nodiscard]] result<std::uint64_t> counter(std::size_t cf, std::string_view key, access a);
  // An iterator that waits for the disk (listings, scans).
  std::unique_ptr<rocksdb::Iterator> iterator(std::size_t cf, rocksdb::Slice const* upper = nullptr);
  // With access::no_wait: one that reads the memtables and the block cache
  // only; where it would need the disk it stops (!Valid()) with
  // iterator_status() answering would_block. For short listings on an I/O
  // thread (a feed page).
  std::unique_ptr<rocksdb::Iterator> iterator(std::size_t cf, rocksdb::Slice const* upper, access a);
  // An iterator's end: ok, would_block (no_wait, the disk was needed) or internal.
  [[nodiscard]] static result<void> iterator_status(rocksdb::Iterator const& it, access a);

  // Flushes every family (so every older WAL file is obsolete), then, with
  // scrub, rewrites each scrub family at the bottom level (sequence numbers
  // become 0), and rewrites the files holding the given keys so their older
  // versions are dropped; then rolls the MANIFEST and deletes obsolete files
  // before returning. Blocking; writers go on meanwhile. internal on failure.
  [[nodiscard]] result<void> maintain(bool scrub, std::vector<erase_keys> const& erase);

  store_options const& options() const { return opts_; }
  // Write stalls this database entered since open.
  write_stall_counts stalls() const;

 private:
  class stall_listener;
  std::shared_ptr<stall_listener> stalls_;  // registered with RocksDB before db_ opens
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::size_t> scrub_families_;
  std::mutex maintain_mu_;  // one maintain() at a time
  rocksdb::WriteOptions write_options_;
  store_options opts_;
};

// How the two views of a store implementation (see storage::access), which
// share one state, reach each other: the view for access::wait owns the one
// for access::no_wait.
template <class Impl>
struct view_links {
  explicit view_links(Impl& wait_view) : wait(&wait_view) {}
  Impl* wait;                       // the view for access::wait (itself, in that view)
  std::unique_ptr<Impl> no_wait;    // in the view for access::wait only
  Impl& pick(Impl& self, access self_access, access a) {
    if (a == self_access) return self;
    return a == access::wait ? *wait : *no_wait;
  }
};

// Encodes a delta for a counter family (two's complement: -1 decrements).
std::string counter_delta(std::int64_t delta);

// Striped mutexes keyed by the contended key. A guard locks any number of
// stripes in ascending index order, so two guards never deadlock.
class stripes {
 public:
  static constexpr std::size_t count = 1024;

  class guard {
   public:
    guard(stripes& s, std::vector<std::size_t> idx);
    ~guard();
    guard(guard&& o) noexcept : s_(o.s_), idx_(std::move(o.idx_)) { o.idx_.clear(); }
    guard(guard const&) = delete;
    guard& operator=(guard const&) = delete;
    guard& operator=(guard&&) = delete;

   private:
    stripes* s_;
    std::vector<std::size_t> idx_;
  };

  // Each key should carry a short domain tag ("t" token, "k" pk, ...).
  [[nodiscard]] guard lock(std::vector<std::string> const& keys);

 private:
  std::array<std::mutex, count> m_;
};

// Process-wide directory lock (flock on DIR/hearth.lock). Throws open_error
// if another process (or another open in this process) holds it.
class dir_lock {
 public:
  explicit dir_lock(std::filesystem::path const& dir, std::string_view purpose);
  ~dir_lock();
  dir_lock(dir_lock const&) = delete;
  dir_lock& operator=(dir_lock const&) = delete;

 private:
  int fd_ = -1;
};

[[nodiscard]] inline boost::system::error_code err(errc e) { return make_error_code(e); }

}  // namespace hearth::storage::detail
