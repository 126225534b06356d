// What RocksDB may write into a data directory, and with which permissions
// (internal to storage/): an Env that creates every file 0600 and every
// directory 0700 whatever the umask, and whose wall clock reads 0, so that
// no table file or MANIFEST carries a creation or key time; and an info log
// that keeps only errors, without times, for the operator.
#pragma once

#include <rocksdb/env.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace hearth::storage::detail {

inline constexpr unsigned private_file_mode = 0600;
inline constexpr unsigned private_dir_mode = 0700;

// Shared by every store of the process; never destroyed.
rocksdb::Env* private_env();

// RocksDB's info log for one store: drops everything below ERROR (and the
// header lines), and hands each error, without a time, to sink (stderr
// when sink is empty), prefixed with the store's name.
std::shared_ptr<rocksdb::Logger> error_logger(std::string store, std::function<void(std::string_view)> sink);

// chmod: files 0600, directories 0700 (p itself, and with tree, everything
// under it). Sockets and other special files are left alone.
void make_private(std::filesystem::path const& p, bool tree = false);

// Writes text to path, created 0600 whatever the umask; with sync, fsynced.
// Throws open_error.
void write_private_file(std::filesystem::path const& path, std::string_view text, bool sync);

}  // namespace hearth::storage::detail
