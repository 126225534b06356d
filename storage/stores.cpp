// Opening, creating, backing up and restoring a data directory of one role.
#include "storage/stores.hpp"

#include "storage/env.hpp"
#include "storage/group_sync.hpp"
#include "storage/impl.hpp"

#include <rocksdb/utilities/checkpoint.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>
#include <future>
#include <system_error>
#include <thread>

namespace hearth::storage {
namespace {

namespace fs = std::filesystem;

constexpr char backup_marker[] = "hearth-backup";
constexpr char restore_staging[] = ".restore";
constexpr char restore_ready[] = "READY";  // in the staging directory: the staged stores are complete
constexpr char role_file[] = "hearth.role";  // the role's name and a newline, written last by create
constexpr std::array<char const*, 2> store_names{"issuer", "forum"};

bool holds(role r, std::string_view store) {
  if (store == "issuer") return r != role::forum;
  return r != role::issuer;
}

std::vector<char const*> stores_of(role r) {
  std::vector<char const*> out;
  for (auto const* name : store_names)
    if (holds(r, name)) out.push_back(name);
  return out;
}

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

std::string read_small_file(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (in.bad()) throw open_error("cannot read " + p.string());
  return text;
}

// Writes `text` to dir/name durably and atomically: a crash leaves either
// no file or the whole file.
void write_file_atomically(fs::path const& dir, std::string const& name, std::string const& text) {
  auto const tmp = dir / (name + ".tmp");
  detail::write_private_file(tmp, text, true);
  std::error_code ec;
  fs::rename(tmp, dir / name, ec);
  if (ec) throw open_error("cannot write " + (dir / name).string() + ": " + ec.message());
  fsync_path(dir, true);
}

// The role recorded in DIR. A directory made before roles existed has no
// role file: it is `all` when both stores are there. nullopt: nothing
// recorded (or an unreadable record), i.e. not a complete directory.
std::optional<role> recorded_role(fs::path const& dir) {
  auto const file = dir / role_file;
  if (!path_exists(file)) {
    if (path_exists(dir / "issuer" / "CURRENT") && path_exists(dir / "forum" / "CURRENT")) return role::all;
    return std::nullopt;
  }
  std::string text;
  try {
    text = read_small_file(file);
  } catch (open_error const&) {
    return std::nullopt;
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return parse_role(text);
}

bool complete(fs::path const& dir, role r) {
  for (auto const* name : stores_of(r))
    if (!path_exists(dir / name / "CURRENT")) return false;
  return true;
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
  // The role last: until it is in place an uninitialised DIR stays so.
  if (path_exists(staging / role_file)) {
    fs::rename(staging / role_file, dir / role_file, ec);
    if (ec) throw open_error("cannot move the restored role record into place: " + ec.message());
    fsync_path(dir, true);
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
  // create: r is the role to make; otherwise the role is read from DIR.
  data_dir_impl(fs::path dir, std::optional<storage::role> r, store_options const& opts)
      : path_(std::move(dir)), lock_(path_, "stop the other hearth process first"), opts_(opts) {
    bool const create = r.has_value();
    if (create) {
      role_ = *r;
    } else {
      recover_restore(path_);
      auto rec = recorded_role(path_);
      if (!rec || !complete(path_, *rec)) throw not_initialised(path_);
      role_ = *rec;
      for (auto const* name : store_names) {
        if (!holds(role_, name) && path_exists(path_ / name)) {
          throw open_error(path_.string() + " is initialised for the " + std::string(role_name(role_)) +
                           " role but also holds " + (path_ / name).string() + ", which that role never has: move it away");
        }
      }
      // A directory made by an older version, or under a loose umask: what
      // it holds is readable by its owner alone from now on.
      detail::make_private(path_);
      detail::make_private(path_ / role_file);
      detail::make_private(path_ / "hearth.lock");
      for (auto const* name : stores_of(role_)) detail::make_private(path_ / name, true);
    }
    std::vector<rocksdb::DB*> dbs;
    if (holds(role_, "issuer")) {
      issuer_ = detail::make_issuer(path_, create, opts);
      dbs.push_back(detail::database_of(*issuer_).db());
    }
    if (holds(role_, "forum")) {
      forum_ = detail::make_forum(path_, create, opts);
      dbs.push_back(detail::database_of(*forum_).db());
      detail::on_erase_pending(*forum_, [this] { erase_soon(); });
    }
    if (create) {
      // The initial records are durable before the role says the directory is complete.
      for (auto* db : dbs) {
        if (!db->FlushWAL(true).ok()) throw open_error("cannot sync the new stores under " + path_.string());
      }
      fsync_path(path_, true);
      write_file_atomically(path_, role_file, std::string(role_name(role_)) + "\n");
    } else if (opts.scrub_interval.count() > 0) {
      // What a crash left in the WAL (recovered into fresh table files),
      // and erasures that were still pending, are scrubbed before use.
      if (!scrub()) throw open_error("cannot scrub the stores under " + path_.string() + " (see the errors above)");
    }
    // Deletes that no pass has erased yet (the process stopped first): due
    // as if they were made now.
    if (forum_ && detail::erasures_pending(*forum_)) erase_due_ = clock::now() + opts.erase_delay;
    if (opts.deferred_sync) sync_ = std::make_unique<detail::group_sync>(std::move(dbs), opts.sync_interval);
    if (opts.scrub_interval.count() > 0 || forum_) maintenance_ = std::thread([this] { maintenance_loop(); });
  }

  ~data_dir_impl() override {
    {
      std::lock_guard lk(maintenance_mu_);
      stopping_ = true;
    }
    maintenance_cv_.notify_one();
    if (maintenance_.joinable()) maintenance_.join();
    if (sync_) sync_->stop();  // completes its waiters while the stores are open
  }

  static open_error not_initialised(fs::path const& dir) {
    return open_error(dir.string() + " is not an initialised hearth data directory: run `hearth init --data " +
                      dir.string() + "` first");
  }

  storage::role role() const override { return role_; }
  issuer_store* issuer() override { return issuer_.get(); }
  forum_store* forum() override { return forum_.get(); }
  staff_store& staff() override { return issuer_ ? detail::staff_of(*issuer_) : detail::staff_of(*forum_); }
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
  write_stall_counts write_stalls() const override {
    write_stall_counts sum;
    auto add = [&sum](write_stall_counts c) {
      sum.delayed += c.delayed;
      sum.stopped += c.stopped;
    };
    if (issuer_) add(detail::database_of(*issuer_).stalls());
    if (forum_) add(detail::database_of(*forum_).stalls());
    return sum;
  }

  result<void> scrub() override {
    std::lock_guard lk(scrub_mu_);
    if (issuer_) {
      if (auto r = detail::maintain(*issuer_); !r) return r;
    }
    if (forum_) {
      if (auto r = detail::maintain(*forum_, true); !r) return r;
    }
    scrubs_.fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  std::uint64_t scrubs() const override { return scrubs_.load(std::memory_order_relaxed); }

 private:
  using clock = std::chrono::steady_clock;

  // A delete awaits erasure: a pass within erase_delay, shared by every
  // delete until it starts.
  void erase_soon() {
    {
      std::lock_guard lk(maintenance_mu_);
      if (erase_due_) return;
      erase_due_ = clock::now() + opts_.erase_delay;
    }
    maintenance_cv_.notify_one();
  }

  void report(std::string const& line) {
    if (opts_.on_storage_error) {
      opts_.on_storage_error(line);
    } else {
      auto const text = line + "\n";
      auto w = ::write(2, text.data(), text.size());
      (void)w;
    }
  }

  // The maintenance thread: a scrub every scrub_interval, an erasure pass
  // when one is due (a scrub does the pending erasures too).
  void maintenance_loop() {
    auto const interval = opts_.scrub_interval;
    auto next_scrub = interval.count() > 0 ? clock::now() + interval : clock::time_point::max();
    std::unique_lock lk(maintenance_mu_);
    for (;;) {
      if (stopping_) return;
      auto const now = clock::now();
      bool const scrub_now = now >= next_scrub;
      bool const erase_now = erase_due_ && now >= *erase_due_;
      if (!scrub_now && !erase_now) {
        auto const due = erase_due_ ? std::min(next_scrub, *erase_due_) : next_scrub;
        if (due == clock::time_point::max()) maintenance_cv_.wait(lk);
        else maintenance_cv_.wait_until(lk, due);
        continue;
      }
      erase_due_.reset();
      lk.unlock();
      if (scrub_now) {
        if (!scrub()) report("hearth storage: the scrub of " + path_.string() + " failed; it is tried again later");
      } else if (forum_) {
        if (!detail::maintain(*forum_, false))
          report("hearth storage: erasing deleted posts in " + path_.string() + " failed; it is tried again later");
      }
      lk.lock();
      if (scrub_now) next_scrub = clock::now() + interval;
    }
  }

  fs::path path_;
  detail::dir_lock lock_;  // released after the stores are closed
  store_options opts_;
  storage::role role_ = storage::role::all;
  std::unique_ptr<issuer_store> issuer_;
  std::unique_ptr<forum_store> forum_;
  std::unique_ptr<detail::group_sync> sync_;
  std::mutex scrub_mu_;
  std::atomic<std::uint64_t> scrubs_{0};
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  std::optional<clock::time_point> erase_due_;
  bool stopping_ = false;
  std::thread maintenance_;  // started last, joined first
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

std::string_view role_name(role r) noexcept {
  switch (r) {
    case role::issuer: return "issuer";
    case role::forum: return "forum";
    case role::all: break;
  }
  return "all";
}

std::optional<role> parse_role(std::string_view name) noexcept {
  for (auto r : {role::all, role::issuer, role::forum})
    if (role_name(r) == name) return r;
  return std::nullopt;
}

bool is_initialised(fs::path const& dir) {
  auto r = recorded_role(dir);
  return r && complete(dir, *r);
}

std::unique_ptr<data_dir> create(fs::path const& dir, role r, store_options const& opts) {
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
  if (path_exists(dir / role_file)) {
    throw open_error((dir / role_file).string() + " exists but " + dir.string() +
                     " holds no complete stores: move it away before `hearth init`");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw open_error("cannot create " + dir.string() + ": " + ec.message());
  detail::make_private(dir);
  return std::make_unique<data_dir_impl>(dir, r, opts);
}

std::unique_ptr<data_dir> create(fs::path const& dir, store_options const& opts) { return create(dir, role::all, opts); }

std::unique_ptr<data_dir> open(fs::path const& dir, store_options const& opts) {
  // (A restore interrupted while swapping may have left a store only in the
  // staging directory: opening finishes it.)
  if (!is_initialised(dir) && !path_exists(dir / restore_staging / restore_ready))
    throw data_dir_impl::not_initialised(dir);
  return std::make_unique<data_dir_impl>(dir, std::nullopt, opts);
}

void backup(data_dir& d, fs::path const& to, progress_fn progress) {
  if (path_exists(to)) throw open_error(to.string() + " already exists: choose a new backup directory");
  // A backup is a copy of the files, kept long: scrubbed first, so that it
  // carries no order older than the moment it was taken.
  say(progress, "scrubbing " + d.path().string());
  if (!d.scrub()) throw open_error("cannot scrub " + d.path().string() + " before the backup (see the errors above)");
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) throw open_error("cannot create " + to.string() + ": " + ec.message());
  detail::make_private(to);
  std::string marker;
  auto one = [&](char const* name, detail::rdb& db) {
    say(progress, std::string("backing up ") + name + " store to " + (to / name).string());
    checkpoint(db, to / name);
    say(progress, std::string(name) + " store: " + std::to_string(dir_size(to / name)) + " bytes");
    marker += detail::schema_value(name) + '\n';
  };
  if (auto* i = d.issuer()) one("issuer", detail::database_of(*i));
  if (auto* f = d.forum()) one("forum", detail::database_of(*f));
  marker += "role " + std::string(role_name(d.role())) + '\n';
  detail::write_private_file(to / backup_marker, marker, true);
  fsync_path(to, true);
  say(progress, "backup complete: " + to.string());
}

void backup(fs::path const& dir, fs::path const& to, progress_fn progress) {
  std::unique_ptr<data_dir> d;
  try {
    store_options o;
    o.scrub_interval = std::chrono::seconds(0);  // the backup scrubs anyway
    d = open(dir, o);
  } catch (open_error const& e) {
    throw open_error(std::string("cannot back up: ") + e.what() +
                     " (a running hearth server holds the directory: stop it, then run `hearth backup` again)");
  }
  backup(*d, to, progress);
}

namespace {

// The role a backup was made for: its marker's `role` line (a backup made
// before roles has none and holds both stores: all). Throws open_error if
// FROM is not a complete backup.
role backup_role(fs::path const& from) {
  auto const not_backup = [&] {
    return open_error(from.string() + " is not a complete hearth backup (made by `hearth backup`)");
  };
  if (!path_exists(from / backup_marker)) throw not_backup();
  auto const text = read_small_file(from / backup_marker);
  role r = role::all;
  for (std::size_t pos = 0; pos < text.size();) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    auto const line = std::string_view(text).substr(pos, end - pos);
    if (line.starts_with("role ")) {
      auto p = parse_role(line.substr(5));
      if (!p) throw open_error(from.string() + " names an unknown role (" + std::string(line.substr(5)) + ")");
      r = *p;
    }
    pos = end + 1;
  }
  if (!complete(from, r)) throw not_backup();
  return r;
}

}  // namespace

void restore(fs::path const& from, fs::path const& dir, progress_fn progress) {
  auto const r = backup_role(from);
  std::error_code ec;
  bool const fresh = !path_exists(dir);
  fs::create_directories(dir, ec);
  if (ec) throw open_error("cannot create " + dir.string() + ": " + ec.message());
  if (fresh) detail::make_private(dir);
  detail::dir_lock lock(dir, "stop the running hearth server before `hearth restore`");
  recover_restore(dir);  // an earlier restore that was interrupted
  if (auto current = recorded_role(dir); current && *current != r) {
    throw open_error(dir.string() + " is initialised for the " + std::string(role_name(*current)) + " role and " +
                     from.string() + " is a backup of the " + std::string(role_name(r)) +
                     " role: restore it into a directory of that role or an empty one");
  }
  for (auto const* name : store_names) {
    if (!holds(r, name) && path_exists(dir / name)) {
      throw open_error((dir / name).string() + " exists, but a directory of the " + std::string(role_name(r)) +
                       " role has no " + name + " store: move it away before `hearth restore`");
    }
  }

  // Crash-safe in three steps: copy and check the stores in a staging
  // directory and sync them; mark the staging complete (READY, synced); swap
  // the stores in, then the role record. A crash before READY leaves the old
  // stores; after it, the next open (or restore) finishes the swap.
  auto const staging = dir / restore_staging;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) throw open_error("cannot create " + staging.string() + ": " + ec.message());
  for (auto const* name : stores_of(r)) {
    say(progress, std::string("copying ") + name + " store from " + (from / name).string());
    fs::copy(from / name, staging / name, fs::copy_options::recursive, ec);
    if (ec) throw open_error("cannot copy " + (from / name).string() + ": " + ec.message());
  }
  detail::write_private_file(staging / role_file, std::string(role_name(r)) + '\n', false);
  // Copies keep the backup's modes (a backup made by an older version may
  // be 0644): the restored stores are the owner's alone.
  detail::make_private(staging, true);
  say(progress, "checking the copied stores");
  {
    store_options o;
    if (holds(r, "issuer")) detail::make_issuer(staging, false, o).reset();
    if (holds(r, "forum")) detail::make_forum(staging, false, o).reset();
  }
  say(progress, "syncing the copied stores to disk");
  fsync_tree(staging);
  detail::write_private_file(staging / restore_ready, "restore from " + from.string() + '\n', true);
  fsync_path(staging, true);
  finish_restore(dir, progress);
  say(progress, "restore complete: " + dir.string());
}

}  // namespace hearth::storage
