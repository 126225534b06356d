#include "storage/env.hpp"

#include "storage/stores.hpp"

#include <rocksdb/file_system.h>
#include <rocksdb/system_clock.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hearth::storage::detail {
namespace {

namespace fs = std::filesystem;

void chmod_quietly(std::string const& path, unsigned mode) {
  // A failure leaves RocksDB's own mode (already limited by the umask);
  // the store directory above it is 0700 in any case.
  (void)::chmod(path.c_str(), mode);
}

template <class S>
S tightened(S s, std::string const& path, unsigned mode) {
  if (s.ok()) chmod_quietly(path, mode);
  return s;
}

// Table properties (creation time, oldest key time, file creation time) and
// the MANIFEST's per-file times come from this clock's wall time: reading 0
// keeps every such field 0. Monotonic time (NowMicros, NowNanos), which
// RocksDB uses for rates, stalls and durations and never stores, is real.
class no_wall_clock final : public rocksdb::SystemClockWrapper {
 public:
  using SystemClockWrapper::SystemClockWrapper;
  char const* Name() const override { return "hearth.NoWallClock"; }
  rocksdb::Status GetCurrentTime(int64_t* unix_time) override {
    *unix_time = 0;
    return rocksdb::Status::OK();
  }
};

class private_fs final : public rocksdb::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  char const* Name() const override { return "hearth.PrivateFileSystem"; }

  rocksdb::IOStatus NewWritableFile(std::string const& f, rocksdb::FileOptions const& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override {
    return tightened(target()->NewWritableFile(f, o, r, d), f, private_file_mode);
  }
  rocksdb::IOStatus ReopenWritableFile(std::string const& f, rocksdb::FileOptions const& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override {
    return tightened(target()->ReopenWritableFile(f, o, r, d), f, private_file_mode);
  }
  rocksdb::IOStatus ReuseWritableFile(std::string const& f, std::string const& old, rocksdb::FileOptions const& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* d) override {
    return tightened(target()->ReuseWritableFile(f, old, o, r, d), f, private_file_mode);
  }
  rocksdb::IOStatus NewRandomRWFile(std::string const& f, rocksdb::FileOptions const& o,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* r, rocksdb::IODebugContext* d) override {
    return tightened(target()->NewRandomRWFile(f, o, r, d), f, private_file_mode);
  }
  rocksdb::IOStatus NewLogger(std::string const& f, rocksdb::IOOptions const& o, std::shared_ptr<rocksdb::Logger>* r,
                              rocksdb::IODebugContext* d) override {
    return tightened(target()->NewLogger(f, o, r, d), f, private_file_mode);
  }
  rocksdb::IOStatus LockFile(std::string const& f, rocksdb::IOOptions const& o, rocksdb::FileLock** l,
                             rocksdb::IODebugContext* d) override {
    return tightened(target()->LockFile(f, o, l, d), f, private_file_mode);
  }
  rocksdb::IOStatus CreateDir(std::string const& f, rocksdb::IOOptions const& o, rocksdb::IODebugContext* d) override {
    return tightened(target()->CreateDir(f, o, d), f, private_dir_mode);
  }
  rocksdb::IOStatus CreateDirIfMissing(std::string const& f, rocksdb::IOOptions const& o,
                                       rocksdb::IODebugContext* d) override {
    return tightened(target()->CreateDirIfMissing(f, o, d), f, private_dir_mode);
  }
};

// The Env the stores are opened with. RocksDB goes through its FileSystem
// and SystemClock for nearly everything; the few calls that still go through
// the Env itself (a checkpoint's directory, for one) are tightened here too.
class private_env_impl final : public rocksdb::EnvWrapper {
 public:
  private_env_impl() : EnvWrapper(rocksdb::Env::Default()) {
    file_system_ = std::make_shared<private_fs>(rocksdb::FileSystem::Default());
    system_clock_ = std::make_shared<no_wall_clock>(rocksdb::SystemClock::Default());
    // RocksDB's background work (flushes and compactions) runs at the
    // lowest CPU priority (nice 19): it can wait for a spare moment, while a
    // reply or push held up behind it cannot. On one busy core (1,000 posts/s
    // with 50 subscribers each, the core 75 % busy) a compaction of 0.2 s
    // taking its fair share held every reply behind it, and the backlog took
    // a second to clear: p99 went from about 10 ms to over 200 ms. A flush
    // that the writes need (the memtables full) still gets the core once the
    // writes stall, and stalls are counted (hearth_write_stalls_total).
    for (auto pool : {rocksdb::Env::Priority::HIGH, rocksdb::Env::Priority::LOW})
      target()->LowerThreadPoolCPUPriority(pool, rocksdb::CpuPriority::kLow).PermitUncheckedError();
  }
  char const* Name() const override { return "hearth.PrivateEnv"; }

  rocksdb::Status GetCurrentTime(int64_t* unix_time) override { return system_clock_->GetCurrentTime(unix_time); }

  rocksdb::Status NewWritableFile(std::string const& f, std::unique_ptr<rocksdb::WritableFile>* r,
                                  rocksdb::EnvOptions const& o) override {
    return tightened(target()->NewWritableFile(f, r, o), f, private_file_mode);
  }
  rocksdb::Status ReopenWritableFile(std::string const& f, std::unique_ptr<rocksdb::WritableFile>* r,
                                     rocksdb::EnvOptions const& o) override {
    return tightened(target()->ReopenWritableFile(f, r, o), f, private_file_mode);
  }
  rocksdb::Status ReuseWritableFile(std::string const& f, std::string const& old,
                                    std::unique_ptr<rocksdb::WritableFile>* r, rocksdb::EnvOptions const& o) override {
    return tightened(target()->ReuseWritableFile(f, old, r, o), f, private_file_mode);
  }
  rocksdb::Status NewRandomRWFile(std::string const& f, std::unique_ptr<rocksdb::RandomRWFile>* r,
                                  rocksdb::EnvOptions const& o) override {
    return tightened(target()->NewRandomRWFile(f, r, o), f, private_file_mode);
  }
  rocksdb::Status NewLogger(std::string const& f, std::shared_ptr<rocksdb::Logger>* r) override {
    return tightened(target()->NewLogger(f, r), f, private_file_mode);
  }
  rocksdb::Status LockFile(std::string const& f, rocksdb::FileLock** l) override {
    return tightened(target()->LockFile(f, l), f, private_file_mode);
  }
  rocksdb::Status CreateDir(std::string const& f) override {
    return tightened(target()->CreateDir(f), f, private_dir_mode);
  }
  rocksdb::Status CreateDirIfMissing(std::string const& f) override {
    return tightened(target()->CreateDirIfMissing(f), f, private_dir_mode);
  }
};

class error_only_logger final : public rocksdb::Logger {
 public:
  error_only_logger(std::string store, std::function<void(std::string_view)> sink)
      : Logger(rocksdb::InfoLogLevel::ERROR_LEVEL), store_(std::move(store)), sink_(std::move(sink)) {}

  using Logger::Logv;
  void Logv(char const*, va_list) override {}  // info level: dropped
  void LogHeader(char const*, va_list) override {}
  void Logv(rocksdb::InfoLogLevel level, char const* format, va_list ap) override {
    if (level < rocksdb::InfoLogLevel::ERROR_LEVEL || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    char buf[512];
    int const n = std::vsnprintf(buf, sizeof buf, format, ap);
    if (n < 0) return;
    auto len = std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1);
    while (len > 0 && buf[len - 1] == '\n') --len;
    std::string line = "hearth storage (" + store_ + "): " +
                       (level == rocksdb::InfoLogLevel::FATAL_LEVEL ? "fatal: " : "error: ");
    // Printable ASCII only: a message that quoted a binary key keeps its shape, not its bytes.
    for (std::size_t i = 0; i < len; ++i) {
      auto const c = static_cast<unsigned char>(buf[i]);
      line += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
    }
    if (sink_) {
      sink_(line);
    } else {
      line += '\n';
      auto w = ::write(2, line.data(), line.size());
      (void)w;
    }
  }

 private:
  std::string store_;
  std::function<void(std::string_view)> sink_;
};

}  // namespace

rocksdb::Env* private_env() {
  static auto* env = new private_env_impl();
  return env;
}

std::shared_ptr<rocksdb::Logger> error_logger(std::string store, std::function<void(std::string_view)> sink) {
  return std::make_shared<error_only_logger>(std::move(store), std::move(sink));
}

void make_private(fs::path const& p, bool tree) {
  std::error_code ec;
  auto const st = fs::symlink_status(p, ec);
  if (ec) return;
  if (fs::is_directory(st)) {
    chmod_quietly(p.string(), private_dir_mode);
    if (!tree) return;
    for (auto const& e : fs::directory_iterator(p, ec)) make_private(e.path(), true);
  } else if (fs::is_regular_file(st)) {
    chmod_quietly(p.string(), private_file_mode);
  }
}

void write_private_file(fs::path const& path, std::string_view text, bool sync) {
  int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, private_file_mode);
  if (fd < 0) throw open_error("cannot write " + path.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, private_file_mode) == 0;  // an existing file keeps its mode otherwise
  for (std::size_t done = 0; ok && done < text.size();) {
    auto const n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  if (ok && sync) ok = ::fsync(fd) == 0;
  int const e = errno;
  ::close(fd);
  if (!ok) throw open_error("cannot write " + path.string() + ": " + std::strerror(e));
}

}  // namespace hearth::storage::detail
