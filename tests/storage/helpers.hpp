// Shared helpers of the storage tests: fresh temporary data directories and
// small record builders.
#pragma once

#include "storage/stores.hpp"

#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

// Results print as "ok" or their error code in failure messages.
namespace doctest {
template <class T>
struct StringMaker<boost::system::result<T, boost::system::error_code>> {
  static String convert(boost::system::result<T, boost::system::error_code> const& r) {
    return r ? String("ok") : String(r.error().message().c_str());
  }
};
}  // namespace doctest

namespace hearth::storage::test {

namespace fs = std::filesystem;

class temp_dir {
 public:
  temp_dir() {
    std::string t = (fs::temp_directory_path() / "hearth-storage-XXXXXX").string();
    if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
    path_ = t;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(temp_dir const&) = delete;
  temp_dir& operator=(temp_dir const&) = delete;
  fs::path const& path() const { return path_; }
  fs::path data() const { return path_ / "data"; }

 private:
  fs::path path_;
};

inline bytes make_pk(unsigned i, std::uint8_t tag = 0x50) {
  bytes b(32, tag);
  for (int k = 0; k < 4; ++k) b[k] = static_cast<std::uint8_t>(i >> (8 * k));
  return b;
}

inline bytes to_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

inline certification make_cert(std::string key_id = "key-1", std::uint64_t epoch = 1, std::int64_t accept = 2000000000) {
  return certification{std::move(key_id), epoch, accept};
}

inline new_post make_post(std::string channel, bytes const& pk, std::string body, std::string nonce,
                          std::string parent = {}) {
  new_post p;
  p.channel = std::move(channel);
  p.parent = std::move(parent);
  p.author_pk = pk;
  p.author_handle = "author";
  p.body = std::move(body);
  p.nonce = std::move(nonce);
  p.sig = bytes(64, 0x5a);
  return p;
}

inline modlog_entry make_entry(std::string reason = "because") {
  modlog_entry e;
  e.reason = std::move(reason);
  e.actor_role = "moderator";
  return e;
}

// open(dir)'s error message, or empty if it opened.
inline std::string open_message(fs::path const& dir) {
  try {
    auto d = open(dir);
  } catch (open_error const& e) {
    return e.what();
  }
  return {};
}

// Opens one store (DIR/issuer or DIR/forum, closed) with raw RocksDB and
// every column family, and runs f(db, handles); handles[0] is "default".
template <class F>
void with_raw_store(fs::path const& store, F&& f, bool read_only = false) {
  rocksdb::DBOptions o;
  std::vector<std::string> names;
  REQUIRE(rocksdb::DB::ListColumnFamilies(o, store.string(), &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (auto const& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions{});
  std::vector<rocksdb::ColumnFamilyHandle*> hs;
  rocksdb::DB* db = nullptr;
  auto s = read_only ? rocksdb::DB::OpenForReadOnly(o, store.string(), descs, &hs, &db)
                     : rocksdb::DB::Open(o, store.string(), descs, &hs, &db);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  f(*db, hs);
  for (auto* h : hs) REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
  REQUIRE(db->Close().ok());
  delete db;
}

inline bool is(boost::system::error_code const& ec, errc e) { return ec == make_error_code(e); }

template <class R>
bool fails_with(R const& r, errc e) {
  return !r && is(r.error(), e);
}

// Every byte of every file under dir (WAL, SST, MANIFEST, OPTIONS, LOG...),
// as (path, content) pairs.
inline std::vector<std::pair<std::string, std::string>> all_files(fs::path const& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto const& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    out.emplace_back(e.path().string(), std::string((std::istreambuf_iterator<char>(in)), {}));
  }
  return out;
}

}  // namespace hearth::storage::test
