#include "storage/db.hpp"

#include "storage/env.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace hearth::storage::detail {
namespace {

std::uint64_t decode_le64(rocksdb::Slice const& s) {
  if (s.size() != 8) return 0;
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(s[i]);
  return v;
}

std::string encode_le64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) {
    s[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

// The key minus its last 8 bytes (a sequence number): the prefix under which
// consecutive inserts land next to each other.
class all_but_sequence final : public rocksdb::SliceTransform {
 public:
  char const* Name() const override { return "hearth.AllButSequence"; }
  rocksdb::Slice Transform(rocksdb::Slice const& key) const override { return {key.data(), key.size() - 8}; }
  bool InDomain(rocksdb::Slice const& key) const override { return key.size() >= 8; }
};

// Exact counters without a read on the write path: operands are 8-byte
// little-endian two's-complement deltas, added modulo 2^64.
class uint64_add final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(rocksdb::Slice const&, rocksdb::Slice const* existing, rocksdb::Slice const& value,
             std::string* new_value, rocksdb::Logger*) const override {
    std::uint64_t base = existing ? decode_le64(*existing) : 0;
    *new_value = encode_le64(base + decode_le64(value));
    return true;
  }
  char const* Name() const override { return "hearth.uint64add"; }
};

bool contains(std::vector<std::string> const& v, std::string const& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool diagnostic_log_from_environment() {
  char const* v = std::getenv("HEARTH_ROCKSDB_LOG");
  return v && *v && std::string_view(v) != "0";
}

// RocksDB's LOG and LOG.old.<microseconds> files, left by an older version
// or by a run with the diagnostic log: they hold times, counts and key
// ranges.
void remove_info_logs(std::filesystem::path const& store) {
  std::error_code ec;
  for (auto const& e : std::filesystem::directory_iterator(store, ec)) {
    auto const name = e.path().filename().string();
    if (name == "LOG" || name.starts_with("LOG.old.")) std::filesystem::remove(e.path(), ec);
  }
}

}  // namespace

std::string schema_value(std::string const& kind) {
  return "hearth-" + kind + "/" + std::to_string(schema_version);
}

std::string counter_delta(std::int64_t delta) { return encode_le64(static_cast<std::uint64_t>(delta)); }

// Counts the times a family's write condition leaves normal (RocksDB calls it
// from its background threads).
class rdb::stall_listener final : public rocksdb::EventListener {
 public:
  void OnStallConditionsChanged(rocksdb::WriteStallInfo const& info) override {
    if (info.condition.prev != rocksdb::WriteStallCondition::kNormal) return;
    if (info.condition.cur == rocksdb::WriteStallCondition::kDelayed) delayed.fetch_add(1, std::memory_order_relaxed);
    if (info.condition.cur == rocksdb::WriteStallCondition::kStopped) stopped.fetch_add(1, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t> delayed{0}, stopped{0};
};

write_stall_counts rdb::stalls() const {
  return {stalls_->delayed.load(std::memory_order_relaxed), stalls_->stopped.load(std::memory_order_relaxed)};
}

rdb::rdb(std::filesystem::path const& dir, db_spec const& spec, bool create, store_options const& opts)
    : opts_(opts) {
  auto const path = dir / spec.kind;
  auto const where = path.string();
  write_options_.sync = opts.sync && !opts.deferred_sync;

  rocksdb::DBOptions dbo;
  dbo.env = private_env();  // files 0600, directories 0700, no wall-clock time in any file
  dbo.create_if_missing = create;
  dbo.error_if_exists = create;
  dbo.create_missing_column_families = create;
  // Plain group commit: measured faster than pipelined writes for hearth's
  // small synced batches (bench_storage: 75k vs 46k posts/s with 100 writers).
  dbo.enable_pipelined_write = false;
  dbo.max_background_jobs = 2;
  dbo.max_total_wal_size = 64 << 20;
  // Nothing in the files may date or order what employees and pseudonyms did
  // (docs/storage.md, "Scrubbing"). No info log with times and counts:
  if (opts.diagnostic_log || diagnostic_log_from_environment()) {
    dbo.keep_log_file_num = 3;
    dbo.max_log_file_size = 4 << 20;
  } else {
    dbo.info_log = error_logger(spec.kind, opts.on_storage_error);
    dbo.info_log_level = rocksdb::InfoLogLevel::ERROR_LEVEL;
    dbo.stats_dump_period_sec = 0;
    remove_info_logs(path);
  }
  dbo.stats_persist_period_sec = 0;
  dbo.persist_stats_to_disk = false;
  // WAL files are deleted once obsolete, never archived or recycled (a
  // recycled file keeps old records past its new header).
  dbo.WAL_ttl_seconds = 0;
  dbo.WAL_size_limit_MB = 0;
  dbo.recycle_log_file_num = 0;
  // Every MANIFEST write starts a new MANIFEST from the current state, so
  // it never holds the history of flushes and compactions (with their
  // files' smallest and largest keys and sequence numbers), only the live
  // files and the last change. Flushes and compactions are rare enough
  // that writing the whole (small) state each time costs nothing measurable.
  dbo.max_manifest_file_size = 1;
  dbo.db_host_id = "";  // no host name in table files
  dbo.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Deferred sync: a write only appends to RocksDB's WAL buffer (no write(2)
  // per write group); the sync thread writes and syncs it with FlushWAL(true)
  // before anyone is told of a change. A crash loses only unacknowledged writes.
  dbo.manual_wal_flush = opts.deferred_sync;

  auto cache = rocksdb::NewLRUCache(opts.block_cache_bytes);
  stalls_ = std::make_shared<stall_listener>();
  dbo.listeners.push_back(stalls_);
  auto cf_options = [&](std::string const& name) {
    rocksdb::ColumnFamilyOptions o;
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    if (contains(spec.point_families, name)) {
      t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      // A bloom filter over the memtable too: most point reads on the write
      // path (is this nonce used, is this pseudonym banned) find nothing.
      o.memtable_whole_key_filtering = true;
      o.memtable_prefix_bloom_size_ratio = 0.05;
    }
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    if (contains(spec.counter_families, name)) {
      o.merge_operator = std::make_shared<uint64_add>();
      // A counter read merges the key's operands still in memtables; a small
      // memtable bounds that chain (flushes and compactions fold operands).
      // No read of a counter is on a hot write path, so max_successive_merges
      // (a memtable seek on every merge, 4 % of a post) is not used.
      o.write_buffer_size = 4 << 20;
    }
    if (contains(spec.sequence_families, name))
      o.memtable_insert_with_hint_prefix_extractor = std::make_shared<all_but_sequence>();
    if (!contains(spec.counter_families, name)) o.write_buffer_size = 16 << 20;
    o.max_write_buffer_number = 4;
    // No sequence number -> time table in the files, and no compactions
    // chosen by file age (which the clock above could not date anyway): the
    // scrub rewrites what must be rewritten.
    o.preserve_internal_time_seconds = 0;
    o.preclude_last_level_data_seconds = 0;
    o.ttl = 0;
    o.periodic_compaction_seconds = 0;
    return o;
  };

  std::vector<std::string> wanted{rocksdb::kDefaultColumnFamilyName};
  wanted.insert(wanted.end(), spec.column_families.begin(), spec.column_families.end());

  std::vector<std::string> names = wanted;
  if (!create) {
    std::error_code ec;
    if (!std::filesystem::exists(path / "CURRENT", ec)) {
      throw open_error(where + " is not an initialised hearth store: run `hearth init --data " + dir.string() +
                       "` first");
    }
    names.clear();
    auto s = rocksdb::DB::ListColumnFamilies(dbo, path.string(), &names);
    if (!s.ok()) throw open_error("cannot read " + where + ": " + s.ToString());
    for (auto const& a : spec.added_families) {
      if (contains(names, a)) continue;
      names.push_back(a);
      dbo.create_missing_column_families = true;
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (auto const& n : names) descs.emplace_back(n, cf_options(n));
  if (create) {
    std::error_code ec;
    std::filesystem::create_directory(path, ec);  // 0700 below, whatever the umask
    if (ec) throw open_error("cannot create " + where + ": " + ec.message());
    make_private(path);
    // The families are made with a MANIFEST that may grow (one MANIFEST per
    // family otherwise, each synced); the open below starts a new one.
    auto boot = dbo;
    boot.max_manifest_file_size = rocksdb::DBOptions().max_manifest_file_size;
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> made;
    auto s = rocksdb::DB::Open(boot, path.string(), descs, &made, &raw);
    if (!s.ok()) throw open_error("cannot create " + where + ": " + s.ToString());
    for (auto* h : made) raw->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    s = raw->Close();
    delete raw;
    if (!s.ok()) throw open_error("cannot create " + where + ": " + s.ToString());
    dbo.create_if_missing = false;
    dbo.error_if_exists = false;
    dbo.create_missing_column_families = false;
  }

  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> opened;
  auto s = rocksdb::DB::Open(dbo, path.string(), descs, &opened, &raw);
  if (!s.ok()) {
    auto msg = s.ToString();
    if (s.IsIOError() && (msg.find("lock") != std::string::npos || msg.find("LOCK") != std::string::npos)) {
      throw open_error(dir.string() + " is in use by another hearth process: stop it first (" + msg + ")");
    }
    throw open_error("cannot open " + where + ": " + msg);
  }
  db_.reset(raw);

  auto fail = [&](std::string const& msg) {
    for (auto* h : opened) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
    db_.reset();
    throw open_error(msg);
  };

  if (!create) {
    std::string value;
    auto g = db_->Get(rocksdb::ReadOptions{}, opened[0], schema_key, &value);
    if (g.IsNotFound()) {
      fail(where + " has no schema version record (initialisation was interrupted?): move " + dir.string() +
           " away and run `hearth init --data " + dir.string() + "` again, or restore a backup");
    }
    if (!g.ok()) fail("cannot read " + where + ": " + g.ToString());
    if (value != schema_value(spec.kind)) {
      fail(where + " has schema version '" + value + "' but this hearth needs '" + schema_value(spec.kind) +
           "': run the hearth version that wrote it, or restore a backup made by this version");
    }
    for (auto const& w : wanted) {
      if (!contains(names, w)) fail(where + " lacks column family '" + w + "': the store is damaged; restore a backup");
    }
  }
  for (auto const& f : spec.scrub_families)
    scrub_families_.push_back(std::find(wanted.begin(), wanted.end(), f) - wanted.begin());
  handles_.resize(wanted.size(), nullptr);
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto it = std::find(wanted.begin(), wanted.end(), names[i]);
    if (it != wanted.end()) {
      handles_[it - wanted.begin()] = opened[i];
    } else {
      handles_.push_back(opened[i]);  // unknown family: kept open, closed with the rest
    }
  }
}

rdb::~rdb() {
  if (!db_) return;
  for (auto* h : handles_) {
    if (h) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

result<void> rdb::write(rocksdb::WriteBatch& batch, access a) {
  rocksdb::Status s;
  if (a == access::no_wait) {
    auto wo = write_options_;
    wo.no_slowdown = true;  // a stalled write fails with Incomplete instead of sleeping
    s = db_->Write(wo, &batch);
    if (s.IsIncomplete()) return would_block();
  } else {
    s = db_->Write(write_options_, &batch);
  }
  if (!s.ok()) return err(errc::internal);
  return {};
}

result<std::optional<std::string>> rdb::get(std::size_t cf, std::string_view key, access a) {
  std::string value;
  rocksdb::ReadOptions ro;
  if (a == access::no_wait) ro.read_tier = rocksdb::kBlockCacheTier;  // memtables and block cache only
  auto s = db_->Get(ro, handles_[cf], rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (s.IsIncomplete() && a == access::no_wait) return would_block();
  if (!s.ok()) return err(errc::internal);
  return std::optional<std::string>{std::move(value)};
}

result<std::uint64_t> rdb::counter(std::size_t cf, std::string_view key, access a) {
  auto v = get(cf, key, a);
  if (!v) return v.error();
  if (!*v) return std::uint64_t{0};
  return decode_le64(**v);
}

std::unique_ptr<rocksdb::Iterator> rdb::iterator(std::size_t cf, rocksdb::Slice const* upper) {
  return iterator(cf, upper, access::wait);
}

std::unique_ptr<rocksdb::Iterator> rdb::iterator(std::size_t cf, rocksdb::Slice const* upper, access a) {
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = upper;
  if (a == access::no_wait) ro.read_tier = rocksdb::kBlockCacheTier;  // memtables and block cache only
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, handles_[cf]));
}

result<void> rdb::iterator_status(rocksdb::Iterator const& it, access a) {
  auto const s = it.status();
  if (s.ok()) return {};
  if (s.IsIncomplete() && a == access::no_wait) return would_block();
  return err(errc::internal);
}

result<void> rdb::maintain(bool scrub, std::vector<erase_keys> const& erase) {
  std::lock_guard lk(maintain_mu_);
  auto* db = db_.get();
  bool ok = true;
  auto check = [&](rocksdb::Status const& s) { ok = ok && s.ok(); };

  // Every memtable to a table file: the WAL files that held any of it are
  // then obsolete (a WAL is shared by all families, so all are flushed).
  std::vector<rocksdb::ColumnFamilyHandle*> unflushed;
  for (auto* h : handles_) {
    std::uint64_t active = 0, immutable = 0;
    if (!h) continue;
    if (!db->GetIntProperty(h, rocksdb::DB::Properties::kNumEntriesActiveMemTable, &active) ||
        !db->GetIntProperty(h, rocksdb::DB::Properties::kNumEntriesImmMemTables, &immutable) || active + immutable > 0)
      unflushed.push_back(h);
  }
  rocksdb::FlushOptions fo;
  fo.wait = true;
  fo.allow_write_stall = true;
  if (!unflushed.empty()) check(db->Flush(fo, unflushed));

  // kForce rewrites the bottom level even where the files do not overlap
  // (otherwise files that do not overlap are moved down whole, keeping their
  // sequence numbers); written at the bottom with no snapshot older, every
  // entry's sequence number becomes 0, and merge operands become values.
  // A family whose files all have sequence number 0 already is left alone.
  rocksdb::CompactRangeOptions co;
  co.exclusive_manual_compaction = false;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  co.allow_write_stall = true;
  bool rewrote = false;
  if (scrub) {
    for (auto cf : scrub_families_) {
      rocksdb::ColumnFamilyMetaData meta;
      db->GetColumnFamilyMetaData(handles_[cf], &meta);
      bool ordered = false;
      for (auto const& level : meta.levels)
        for (auto const& f : level.files) ordered = ordered || f.largest_seqno > 0;
      if (!ordered) continue;
      check(db->CompactRange(co, handles_[cf], nullptr, nullptr));
      rewrote = true;
    }
  }
  // Older versions of erased keys: the files holding a key are rewritten,
  // down to the bottom, without the versions the erased one shadows. A few
  // keys are compacted one by one; many, as one range (fewer rewrites).
  constexpr std::size_t one_by_one = 16;
  for (auto const& e : erase) {
    if (e.keys.empty()) continue;
    rewrote = true;
    if (e.keys.size() <= one_by_one) {
      for (auto const& k : e.keys) {
        rocksdb::Slice key(k);
        check(db->CompactRange(co, handles_[e.cf], &key, &key));
      }
    } else {
      auto [lo, hi] = std::minmax_element(e.keys.begin(), e.keys.end());
      rocksdb::Slice begin(*lo), end(*hi);
      check(db->CompactRange(co, handles_[e.cf], &begin, &end));
    }
  }

  if (rewrote || !unflushed.empty()) {
    // One more MANIFEST write, so that a new MANIFEST starts from the state
    // after the rewrites (max_manifest_file_size): a constant marker in the
    // default family, flushed.
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;  // flushed at once; nothing to recover
    check(db->Put(wo, handles_[0], maintenance_key, rocksdb::Slice()));
    check(db->Flush(fo, handles_[0]));
  }

  // Delete what became obsolete (old WALs, MANIFESTs, rewritten table
  // files) now rather than in a background job: re-enabling file deletions
  // purges synchronously. (A checkpoint in progress keeps them disabled:
  // then the files go when it ends.)
  check(db->DisableFileDeletions());
  check(db->EnableFileDeletions(/*force=*/false));
  if (!ok) return err(errc::internal);
  return {};
}

stripes::guard::guard(stripes& s, std::vector<std::size_t> idx) : s_(&s), idx_(std::move(idx)) {
  std::sort(idx_.begin(), idx_.end());
  idx_.erase(std::unique(idx_.begin(), idx_.end()), idx_.end());
  for (auto i : idx_) s_->m_[i].lock();
}

stripes::guard::~guard() {
  for (auto it = idx_.rbegin(); it != idx_.rend(); ++it) s_->m_[*it].unlock();
}

stripes::guard stripes::lock(std::vector<std::string> const& keys) {
  std::vector<std::size_t> idx;
  idx.reserve(keys.size());
  for (auto const& k : keys) idx.push_back(std::hash<std::string>{}(k) % count);
  return guard(*this, std::move(idx));
}

dir_lock::dir_lock(std::filesystem::path const& dir, std::string_view purpose) {
  auto p = (dir / "hearth.lock").string();
  fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw open_error("cannot open " + p + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd_);
    fd_ = -1;
    if (e == EWOULDBLOCK) {
      throw open_error(dir.string() + " is in use by another hearth process (or already open in this one): " +
                       std::string(purpose));
    }
    throw open_error("cannot lock " + p + ": " + std::strerror(e));
  }
}

dir_lock::~dir_lock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace hearth::storage::detail

namespace hearth::storage {

boost::system::error_code would_block() noexcept {
  return make_error_code(boost::system::errc::operation_would_block);
}
bool is_would_block(boost::system::error_code const& ec) noexcept { return ec == would_block(); }

}  // namespace hearth::storage
