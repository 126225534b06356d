// Opening, creating, backing up and restoring a data directory.
#include "storage/stores.hpp"

#include "storage/group_sync.hpp"
#include "storage/impl.hpp"

#include <rocksdb/utilities/checkpoint.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>
#include <future>
#include <system_error>

namespace hearth::storage {
namespace {

namespace fs = std::filesystem;

constexpr char backup_marker[] = "hearth-backup";
constexpr char restore_staging[] = ".restore";
constexpr char restore_ready[] = "READY";  // in the staging directory: the staged stores are complete
constexpr std::array<char const*, 2> store_names{"issuer", "forum"};

void say(progress_fn progress, std::string const& line) {
  if (progress) progress(line);
}

bool path_exists(fs::path const& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

void fsync_path(fs::path const& p, bool directory) {
  int const fd = ::open(p.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw open_error("cannot open " + p.string() + " to sync it: " + std::strerror(errno));
  int const rc = ::fsync(fd);
  int const e = errno;
  ::close(fd);
  if (rc != 0) throw open_error("cannot sync " + p.string() + ": " + std::strerror(e));
}

// fsyncs every file and directory under root, and root itself.
void fsync_tree(fs::path const& root) {
  for (auto const& e : fs::recursive_directory_iterator(root)) fsync_path(e.path(), e.is_directory());
  fsync_path(root, true);
}

// Moves the staged stores of a restore into place. Idempotent, so that an
// interrupted run is finished by the next open: a store already moved is
// skipped, a ".old-" copy left behind is removed.
void finish_restore(fs::path const& dir, progress_fn progress) {
  auto const staging = dir / restore_staging;
  std::error_code ec;
  for (auto const* name : store_names) {
    auto const old = dir / (std::string(".old-") + name);
    if (path_exists(staging / name)) {
      fs::remove_all(old, ec);
      if (path_exists(dir / name)) {
        fs::rename(dir / name, old, ec);
        if (ec) throw open_error("cannot move " + (dir / name).string() + " aside: " + ec.message());
      }
      fs::rename(staging / name, dir / name, ec);
      if (ec) throw open_error("cannot move the restored " + std::string(name) + " store into place: " + ec.message());
      fsync_path(dir, true);
      say(progress, std::string("restored the ") + name + " store");
    }
    fs::remove_all(old, ec);
  }
  fs::remove_all(staging, ec);
  fsync_path(dir, true);
}

// At open, under the directory lock: a restore that was interrupted after its
// stores were staged is finished; one interrupted before is undone (the
// staging directory is dropped and the old stores stay).
void recover_restore(fs::path const& dir) {
  auto const staging = dir / restore_staging;
  if (!path_exists(staging)) return;
  if (path_exists(staging / restore_ready)) {
    finish_restore(dir, nullptr);
  } else {
    std::error_code ec;
    fs::remove_all(staging, ec);
  }
}

class data_dir_impl final : public data_dir {
 public:
  data_dir_impl(fs::path dir, bool create, store_options const& opts)
      : path_(std::move(dir)), lock_(path_, "stop the other hearth process first") {
    if (!create) recover_restore(path_);
    issuer_ = detail::make_issuer(path_, create, opts);
    forum_ = detail::make_forum(path_, create, opts);
    if (opts.deferred_sync)
      sync_ = std::make_unique<detail::group_sync>(
          std::vector<rocksdb::DB*>{detail::database_of(*issuer_).db(), detail::database_of(*forum_).db()},
          opts.sync_interval);
  }

  issuer_store& issuer() override { return *issuer_; }
  forum_store& forum() override { return *forum_; }
  fs::path const& path() const override { return path_; }

  void when_durable(std::function<void(bool)> done) override {
    if (sync_) sync_->when_durable(std::move(done));
    else done(true);
  }
  result<void> sync() override {
    if (!sync_) return {};
    std::promise<bool> p;
    auto f = p.get_future();
    sync_->when_durable([&p](bool ok) { p.set_value(ok); });
    if (!f.get()) return detail::err(errc::internal);
    return {};
  }
  std::uint64_t wal_syncs() const override { return sync_ ? sync_->syncs() : 0; }
  std::uint64_t durable_waiters() const override { return sync_ ? sync_->waiters() : 0; }

 private:
  fs::path path_;
  detail::dir_lock lock_;  // released after both stores are closed
  std::unique_ptr<issuer_store> issuer_;
  std::unique_ptr<forum_store> forum_;
  std::unique_ptr<detail::group_sync> sync_;  // destroyed first: completes its waiters while the stores are open
};


void checkpoint(detail::rdb& db, fs::path const& to) {
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(db.db(), &raw);
  if (!s.ok()) throw open_error("cannot create a checkpoint: " + s.ToString());
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  s = cp->CreateCheckpoint(to.string(), 0);  // 0: flush memtables first, so no WAL needs copying
  if (!s.ok()) throw open_error("cannot write checkpoint " + to.string() + ": " + s.ToString());
}

std::uintmax_t dir_size(fs::path const& p) {
  std::uintmax_t n = 0;
  std::error_code ec;
  for (auto const& e : fs::recursive_directory_iterator(p, ec)) {
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  }
  return n;
}

}  // namespace

bool is_initialised(fs::path const& dir) {
  return path_exists(dir / "issuer" / "CURRENT") && path_exists(dir / "forum" / "CURRENT");
}

std::unique_ptr<data_dir> create(fs::path const& dir, store_options const& opts) {
  if (is_initialised(dir)) {
    throw open_error(dir.string() + " is already initialised: use `hearth serve --data " + dir.string() +
                     "`, or choose an empty directory for `hearth init`");
  }
  for (auto const* name : store_names) {
    if (path_exists(dir / name)) {
      throw open_error((dir / name).string() +
                       " exists but is not a complete hearth store: move it away before `hearth init`");
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw open_error("cannot create " + dir.string() + ": " + ec.message());
  return std::make_unique<data_dir_impl>(dir, true, opts);
}

std::unique_ptr<data_dir> open(fs::path const& dir, store_options const& opts) {
  // (A restore interrupted while swapping may have left a store only in the
  // staging directory: opening finishes it.)
  if (!is_initialised(dir) && !path_exists(dir / restore_staging / restore_ready)) {
    throw open_error(dir.string() + " is not an initialised hearth data directory: run `hearth init --data " +
                     dir.string() + "` first");
  }
  return std::make_unique<data_dir_impl>(dir, false, opts);
}

void backup(data_dir& d, fs::path const& to, progress_fn progress) {
  if (path_exists(to)) throw open_error(to.string() + " already exists: choose a new backup directory");
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) throw open_error("cannot create " + to.string() + ": " + ec.message());
  say(progress, "backing up issuer store to " + (to / "issuer").string());
  checkpoint(detail::database_of(d.issuer()), to / "issuer");
  say(progress, "issuer store: " + std::to_string(dir_size(to / "issuer")) + " bytes");
  say(progress, "backing up forum store to " + (to / "forum").string());
  checkpoint(detail::database_of(d.forum()), to / "forum");
  say(progress, "forum store: " + std::to_string(dir_size(to / "forum")) + " bytes");
  {
    std::ofstream m(to / backup_marker);
    m << detail::schema_value("issuer") << '\n' << detail::schema_value("forum") << '\n';
    m.flush();
    if (!m) throw open_error("cannot write " + (to / backup_marker).string());
  }
  say(progress, "backup complete: " + to.string());
}

void backup(fs::path const& dir, fs::path const& to, progress_fn progress) {
  std::unique_ptr<data_dir> d;
  try {
    d = open(dir);
  } catch (open_error const& e) {
    throw open_error(std::string("cannot back up: ") + e.what() +
                     " (a running hearth server holds the directory: stop it, then run `hearth backup` again)");
  }
  backup(*d, to, progress);
}

void restore(fs::path const& from, fs::path const& dir, progress_fn progress) {
  if (!path_exists(from / backup_marker) || !path_exists(from / "issuer" / "CURRENT") || !path_exists(from / "forum" / "CURRENT")) {
    throw open_error(from.string() + " is not a complete hearth backup (made by `hearth backup`)");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw open_error("cannot create " + dir.string() + ": " + ec.message());
  detail::dir_lock lock(dir, "stop the running hearth server before `hearth restore`");
  recover_restore(dir);  // an earlier restore that was interrupted

  // Crash-safe in three steps: copy and check the stores in a staging
  // directory and sync them; mark the staging complete (READY, synced); swap
  // the stores in. A crash before READY leaves the old stores; after it, the
  // next open (or restore) finishes the swap.
  auto const staging = dir / restore_staging;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) throw open_error("cannot create " + staging.string() + ": " + ec.message());
  for (auto const* name : store_names) {
    say(progress, std::string("copying ") + name + " store from " + (from / name).string());
    fs::copy(from / name, staging / name, fs::copy_options::recursive, ec);
    if (ec) throw open_error("cannot copy " + (from / name).string() + ": " + ec.message());
  }
  say(progress, "checking the copied stores");
  {
    store_options o;
    auto i = detail::make_issuer(staging, false, o);
    auto f = detail::make_forum(staging, false, o);
  }
  say(progress, "syncing the copied stores to disk");
  fsync_tree(staging);
  {
    std::ofstream r(staging / restore_ready);
    r << "restore from " << from.string() << '\n';
    r.flush();
    if (!r) throw open_error("cannot write " + (staging / restore_ready).string());
  }
  fsync_path(staging / restore_ready, false);
  fsync_path(staging, true);
  finish_restore(dir, progress);
  say(progress, "restore complete: " + dir.string());
}

}  // namespace hearth::storage
