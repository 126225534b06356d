// Nothing in the files dates or orders what employees and pseudonyms did:
// after a realistic run and a scrub, a copy of the data directory holds no
// sequence number above 0 in the scrubbed families (also where ids sort in
// issue order, so that files are moved down without a rewrite), no Unix
// time but the coarse post times, no info log, and no MANIFEST record of an
// older order. Also: the error-only log, the scrub thread, deletes without a
// flush each and the erasure pass, file modes under any umask, and waiters
// queued while the store closes.
#include "helpers.hpp"

#include "storage/env.hpp"
#include "storage/group_sync.hpp"

#include <doctest/doctest.h>
#include <rocksdb/utilities/debug.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sys/stat.h>
#include <thread>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;
using namespace std::chrono_literals;

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string read_all(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Every regular file under dir, by path.
std::map<std::string, std::string> files_under(fs::path const& dir) {
  std::map<std::string, std::string> out;
  for (auto const& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[e.path().string()] = read_all(e.path());
  return out;
}

// A reader's copy of a (possibly open) data directory. A file the store
// deletes while it is being copied (one made obsolete by a background
// compaction) makes the copy start again, as a reader's would.
fs::path copy_of(fs::path const& dir, fs::path const& to) {
  for (int attempt = 0;; ++attempt) {
    try {
      fs::copy(dir, to, fs::copy_options::recursive);
      return to;
    } catch (fs::filesystem_error const&) {
      if (attempt == 20) throw;
      fs::remove_all(to);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

// Every internal entry (key, sequence number) of the given families of one
// store copy, read with raw RocksDB. The copy is changed by being opened:
// use a copy of its own.
std::map<std::string, std::vector<rocksdb::KeyVersion>> versions(fs::path const& store,
                                                               std::set<std::string> const& families) {
  std::map<std::string, std::vector<rocksdb::KeyVersion>> out;
  with_raw_store(
      store,
      [&](rocksdb::DB& db, auto const& hs) {
        for (auto* h : hs) {
          if (!families.count(h->GetName())) continue;
          std::vector<rocksdb::KeyVersion> v;
          REQUIRE(rocksdb::GetAllKeyVersions(&db, h, rocksdb::Slice(), rocksdb::Slice(), 1000000, &v).ok());
          out[h->GetName()] = std::move(v);
        }
      },
      /*read_only=*/true);
  return out;
}

std::size_t above_zero(std::vector<rocksdb::KeyVersion> const& entries) {
  std::size_t n = 0;
  for (auto const& e : entries) n += e.sequence > 0;
  return n;
}

// Anything in the bytes that reads as a Unix time in [from, to] (seconds,
// milliseconds, microseconds or nanoseconds): fixed 32/64-bit integers of
// either byte order, varints (plain and zigzag) and decimal text, at every
// offset. Times in `allowed` (seconds) are not reported.
std::vector<std::string> times_in(std::string const& what, std::string const& b, std::int64_t from, std::int64_t to,
                                  std::set<std::int64_t> const& allowed) {
  std::vector<std::string> hits;
  auto check = [&](std::uint64_t v, std::size_t at, char const* how) {
    struct unit {
      std::uint64_t scale;
      char const* name;
    };
    for (auto u : {unit{1, "s"}, unit{1000, "ms"}, unit{1000000, "us"}, unit{1000000000, "ns"}}) {
      auto const lo = static_cast<std::uint64_t>(from) * u.scale;
      auto const hi = (static_cast<std::uint64_t>(to) + 1) * u.scale - 1;
      if (v < lo || v > hi) continue;
      if (allowed.count(static_cast<std::int64_t>(v / u.scale)) && u.scale == 1) continue;
      hits.push_back(what + " @" + std::to_string(at) + " " + how + " " + u.name + " " + std::to_string(v));
    }
  };
  auto const n = b.size();
  auto byte = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(b[i])); };
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t width : {4, 8}) {
      if (i + width > n) continue;
      std::uint64_t le = 0, be = 0;
      for (std::size_t k = 0; k < width; ++k) {
        le |= byte(i + k) << (8 * k);
        be = (be << 8) | byte(i + k);
      }
      check(le, i, width == 4 ? "le32" : "le64");
      check(be, i, width == 4 ? "be32" : "be64");
    }
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < 10 && i + k < n; ++k) {
      v |= (byte(i + k) & 0x7f) << (7 * k);
      if (!(byte(i + k) & 0x80)) {
        if (k >= 3) {  // fewer bytes cannot hold a time
          check(v, i, "varint");
          if (!(v & 1)) check(v >> 1, i, "zigzag");
        }
        break;
      }
    }
    bool const digit = b[i] >= '0' && b[i] <= '9';
    if (digit && (i == 0 || !(b[i - 1] >= '0' && b[i - 1] <= '9'))) {
      std::size_t end = i;
      while (end < n && b[end] >= '0' && b[end] <= '9') ++end;
      for (std::size_t s = i; s < end; ++s) {
        for (std::size_t len : {10, 13, 16, 19}) {
          if (s + len > end) continue;
          check(std::stoull(b.substr(s, len)), s, "text");
        }
      }
    }
  }
  return hits;
}

bool is_info_log(std::string const& name) { return name == "LOG" || name.starts_with("LOG.old"); }

// Where a known key of a scrubbed family stands in a MANIFEST (as the
// smallest or largest key of a table file), the 8 bytes after it are its
// sequence number and type: returns the largest sequence number found.
std::uint64_t largest_sequence_after(std::string const& manifest, std::string const& key, std::size_t& found) {
  std::uint64_t largest = 0;
  for (auto at = manifest.find(key); at != std::string::npos; at = manifest.find(key, at + 1)) {
    if (at + key.size() + 8 > manifest.size()) continue;
    std::uint64_t packed = 0;
    for (int k = 0; k < 8; ++k)
      packed |= static_cast<std::uint64_t>(static_cast<unsigned char>(manifest[at + key.size() + k])) << (8 * k);
    largest = std::max(largest, packed >> 8);
    ++found;
  }
  return largest;
}

std::string quota_key(std::string const& employee, std::string const& key_id) {
  std::string k(1, static_cast<char>(employee.size()));  // str(): a one-byte varint length here
  return k + employee + key_id;
}

store_options unscrubbed() {
  store_options o;
  o.scrub_interval = 0s;
  o.erase_delay = 3600s;
  return o;
}

std::set<std::string> const issuer_scrubbed{"employees", "quota", "counters"};
std::set<std::string> const forum_scrubbed{"tokens", "pseudonyms", "handles", "counters"};

}  // namespace

TEST_CASE("scrub: a copy of the data directory holds no order and no time of what employees and pseudonyms did") {
  temp_dir t;
  auto const started = unix_now();
  std::set<std::int64_t> post_times;
  std::vector<std::string> tokens, quota_keys, handles;
  constexpr int rounds = 6, per_round = 5;
  { auto d = create(t.data(), role::all, unscrubbed()); }
  // Employees whose ids sort in the order they are issued tokens, over
  // several runs: each run's table files do not overlap the last's, so
  // compactions move them down whole instead of rewriting them.
  for (int round = 0; round < rounds; ++round) {
    auto d = open(t.data(), unscrubbed());
    auto& is = *d->issuer();
    auto& f = *d->forum();
    for (int i = 0; i < per_round; ++i) {
      int const k = round * per_round + i;
      char id[32];
      std::snprintf(id, sizeof id, "employee-%04d", k);
      REQUIRE(is.import_roster({{id, "code-" + std::string(id)}}));
      REQUIRE(is.enroll(id, "code-" + std::string(id), "password-hash"));
      REQUIRE(is.commit_issue(id, "key-1", 1, bytes(256, static_cast<std::uint8_t>(k)), bytes(256, 0x42)));
      quota_keys.push_back(quota_key(id, "key-1"));
    }
    for (int i = 0; i < per_round; ++i) {
      int const k = round * per_round + i;
      bytes token(32);
      for (int j = 0; j < 32; ++j) token[j] = static_cast<std::uint8_t>((k * 131 + j * 29 + 7) ^ 0xa5);
      tokens.push_back(crypto::to_string(token));
      handles.push_back("handle_" + std::to_string(k));
      REQUIRE(f.certify(token, make_pk(k, 0x61), handles.back(), make_cert()));
    }
    for (int i = 0; i < per_round; ++i) {
      int const k = round * per_round + i;
      auto const now = unix_now();
      auto p = f.append_post(make_post("general", make_pk(k, 0x61), "hello " + std::to_string(k),
                                       "nonce-scrub-" + std::to_string(k) + "-000000"),
                             now);
      REQUIRE(p);
      post_times.insert(p->post.created_at);
      REQUIRE(f.react(p->post.id, make_pk(k + 1, 0x61), "+1", true));
      if (i == 0) REQUIRE(f.delete_post(p->post.id, make_pk(k, 0x61)));
    }
  }

  // Without a scrub, the order is there to read (so the scan below can fail).
  // Which families still show it depends on what RocksDB's own background
  // compactions have reached by now (one into the bottom level zeroes the
  // numbers of what it rewrites): some of the forum's always do.
  {
    copy_of(t.data(), t.path() / "before");
    auto issuer = versions(t.path() / "before" / "issuer", issuer_scrubbed);
    auto forum = versions(t.path() / "before" / "forum", forum_scrubbed);
    CHECK(above_zero(issuer["quota"]) + above_zero(issuer["employees"]) > 0);
    std::size_t ordered = 0;
    for (auto const& [family, entries] : forum) ordered += above_zero(entries);
    CHECK(ordered > 0);
  }

  auto d = open(t.data(), unscrubbed());
  REQUIRE(d->scrub());
  CHECK(d->scrubs() == 1);
  copy_of(t.data(), t.path() / "after");  // copied while open, as a reader of the disk would
  copy_of(t.data(), t.path() / "after-opened");
  auto const finished = unix_now();

  // No sequence number above 0 in the scrubbed families, in table files or
  // a WAL (which a read-only open replays).
  auto issuer = versions(t.path() / "after-opened" / "issuer", issuer_scrubbed);
  auto forum = versions(t.path() / "after-opened" / "forum", forum_scrubbed);
  CHECK(issuer["quota"].size() == rounds * per_round);
  CHECK(issuer["employees"].size() == rounds * per_round);
  CHECK(forum["tokens"].size() == rounds * per_round);
  CHECK(forum["handles"].size() == rounds * per_round);
  for (auto const* v : {&issuer, &forum}) {
    for (auto const& [family, entries] : *v) {
      CAPTURE(family);
      CHECK_FALSE(entries.empty());
      CHECK(above_zero(entries) == 0);
    }
  }

  auto const files = files_under(t.path() / "after");
  std::size_t manifests = 0, boundaries = 0;
  for (auto const& [path, content] : files) {
    auto const name = fs::path(path).filename().string();
    INFO(path);
    // No info log: no times, counts or key ranges of flushes and compactions.
    CHECK_FALSE(is_info_log(name));
    // No Unix time but the coarse post times (PROTOCOL §2).
    auto hits = times_in(name, content, started - 1, finished + 1, post_times);
    CHECK_MESSAGE(hits.empty(), (hits.empty() ? std::string() : hits.front()));
    // The MANIFEST holds the live files only: every boundary key of a
    // scrubbed family carries sequence number 0.
    if (name.starts_with("MANIFEST-")) {
      ++manifests;
      for (auto const& k : tokens) CHECK(largest_sequence_after(content, k, boundaries) == 0);
      for (auto const& k : quota_keys) CHECK(largest_sequence_after(content, k, boundaries) == 0);
      for (auto const& k : handles) CHECK(largest_sequence_after(content, k, boundaries) == 0);
    }
    // No WAL holds a token spend or a quota use any more.
    if (name.ends_with(".log")) {
      for (auto const& k : tokens) CHECK(content.find(k) == std::string::npos);
      for (auto const& k : quota_keys) CHECK(content.find(k) == std::string::npos);
    }
  }
  CHECK(manifests == 2);
  CHECK(boundaries > 0);

  // And the same holds after a restart, which scrubs at open by itself.
  d.reset();
  {
    auto again = open(t.data(), unscrubbed());
    REQUIRE(again->forum()->certify(bytes(32, 0x77), make_pk(900, 0x61), "late_one", make_cert()));
  }
  auto reopened = open(t.data());  // default options: scrub at open
  CHECK(reopened->scrubs() == 1);
  copy_of(t.data(), t.path() / "reopened");
  auto late = versions(t.path() / "reopened" / "forum", forum_scrubbed);
  CHECK(late["tokens"].size() == rounds * per_round + 1);
  for (auto const& [family, entries] : late) CHECK(above_zero(entries) == 0);
}

TEST_CASE("scrub: no LOG is written, old ones are removed at open, and the diagnostic log brings it back") {
  temp_dir t;
  { auto d = create(t.data(), role::all, unscrubbed()); }
  // As an older version left them.
  for (auto const* store : {"issuer", "forum"}) {
    std::ofstream(t.data() / store / "LOG") << "2025/01/01-00:00:00.000000 Cumulative writes: 22 writes\n";
    std::ofstream(t.data() / store / "LOG.old.1700000000123456") << "old\n";
  }
  auto logs = [&] {
    std::size_t n = 0;
    for (auto const& e : fs::recursive_directory_iterator(t.data())) n += is_info_log(e.path().filename().string());
    return n;
  };
  CHECK(logs() == 4);
  {
    auto d = open(t.data());
    CHECK(logs() == 0);
    REQUIRE(d->forum()->append_post(make_post("general", make_pk(1), "b", "nonce-log-000001"), 0));
    REQUIRE(d->scrub());
    backup(*d, t.path() / "bk");
    CHECK(logs() == 0);
  }
  CHECK(logs() == 0);
  store_options diagnostic = unscrubbed();
  diagnostic.diagnostic_log = true;
  {
    auto d = open(t.data(), diagnostic);
    CHECK(fs::exists(t.data() / "forum" / "LOG"));
    CHECK(fs::exists(t.data() / "issuer" / "LOG"));
  }
  { auto d = open(t.data(), unscrubbed()); }  // off again: gone
  CHECK(logs() == 0);
}

TEST_CASE("scrub: RocksDB's log keeps errors only, without a time, printable") {
  std::vector<std::string> lines;
  auto log = detail::error_logger("forum", [&](std::string_view l) { lines.emplace_back(l); });
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, log, "[%s] flushed %d keys", "tokens", 5);
  rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, log, "slow %d", 1);
  rocksdb::Header(log, "DB SUMMARY %s", "x");
  rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, log, "Compaction error: %s\n", "IO error: No space left on device");
  rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, log, "bad key '%s'", "\x01\x02pk\xff");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "hearth storage (forum): error: Compaction error: IO error: No space left on device");
  CHECK(lines[1] == "hearth storage (forum): error: bad key '??pk?'");
}

TEST_CASE("scrub: runs at open and then every scrub_interval; zero turns it off") {
  temp_dir t;
  { auto d = create(t.data(), role::forum); }
  store_options every_second;
  every_second.scrub_interval = 1s;
  {
    auto d = open(t.data(), every_second);
    CHECK(d->scrubs() == 1);
    for (int i = 0; i < 200 && d->scrubs() < 3; ++i) std::this_thread::sleep_for(50ms);
    CHECK(d->scrubs() >= 3);
  }
  auto d = open(t.data(), unscrubbed());
  std::this_thread::sleep_for(300ms);
  CHECK(d->scrubs() == 0);
  REQUIRE(d->scrub());
  CHECK(d->scrubs() == 1);
}

TEST_CASE("scrub: 300 deletes flush nothing each, and the erasure pass that follows removes every body") {
  temp_dir t;
  auto const author = make_pk(1);
  auto sst_files = [&] {
    std::size_t n = 0;
    for (auto const& e : fs::recursive_directory_iterator(t.data())) n += e.path().extension() == ".sst";
    return n;
  };
  auto body = [](int i) { return "ERASE-ME-BODY-" + std::to_string(1000 + i); };
  auto nonce = [](int i) { return "nonce-erase-" + std::to_string(1000 + i) + "-zz"; };
  auto remaining = [&] {
    std::size_t n = 0;
    for (auto const& [path, content] : files_under(t.data())) {
      for (int i = 0; i < 300; ++i)
        n += content.find(body(i)) != std::string::npos || content.find(nonce(i)) != std::string::npos;
    }
    return n;
  };
  std::vector<std::string> ids;
  {
    auto d = create(t.data(), role::forum, unscrubbed());  // erase_delay: an hour, so no pass comes now
    auto& f = *d->forum();
    REQUIRE(f.certify(to_bytes("token"), author, "author", make_cert()));
    for (int i = 0; i < 300; ++i) {
      auto p = f.append_post(make_post("general", author, body(i), nonce(i), i % 3 == 2 ? ids.front() : ""), 0);
      REQUIRE(p);
      ids.push_back(p->post.id);
    }
    REQUIRE(f.hide(ids[1], make_entry(), 0));  // a hidden post has lived in the feed and off it
    REQUIRE(d->scrub());                       // the bodies are in table files, not only in the WAL
    auto const before = sst_files();
    for (int i = 299; i >= 0; --i) REQUIRE(f.delete_post(ids[i], author));
    MESSAGE("table files: " << before << " before the deletes, " << sst_files() << " after them");
    CHECK(sst_files() == before);  // no flush per delete (there used to be 195 files after 300)
    CHECK(remaining() > 0);        // the old bytes wait for the pass
  }
  // The pending erasures are kept in the store: after a restart the pass
  // still comes within erase_delay (plus the time of the pass itself).
  store_options soon = unscrubbed();
  soon.erase_delay = 1s;
  auto d = open(t.data(), soon);
  CHECK(remaining() > 0);  // a restart alone does not erase them
  std::size_t left = 1;
  for (int i = 0; i < 300 && left > 0; ++i) {
    std::this_thread::sleep_for(100ms);
    left = remaining();
  }
  CHECK(left == 0);
  MESSAGE("table files after the erasure pass: " << sst_files());
  CHECK(sst_files() <= 20);
  // The deleted posts stay deleted, the thread keeps its structure.
  auto th = d->forum()->thread(ids.front(), std::nullopt, 200);
  REQUIRE(th);
  CHECK(th->post.deleted);
  CHECK(th->replies.size() == 100);
  for (auto const& r : th->replies) CHECK(r.deleted);
}

namespace {

struct umask_scope {
  explicit umask_scope(mode_t m) : old(::umask(m)) {}
  ~umask_scope() { ::umask(old); }
  mode_t old;
};

// Every file and directory under root (and root itself): its mode, when it is
// not 0600 (files) or 0700 (directories).
std::vector<std::string> loose(fs::path const& root) {
  std::vector<std::string> out;
  auto check = [&](fs::path const& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    auto const mode = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode) && mode != 0700) out.push_back(p.string() + " dir " + std::to_string(mode));
    if (S_ISREG(st.st_mode) && mode != 0600) out.push_back(p.string() + " file " + std::to_string(mode));
  };
  check(root);
  for (auto const& e : fs::recursive_directory_iterator(root)) check(e.path());
  return out;
}

}  // namespace

TEST_CASE("scrub: data directories, backups and restores are 0700/0600 whatever the umask") {
  for (mode_t mask : {mode_t{022}, mode_t{0}}) {
    for (auto r : {role::all, role::issuer, role::forum}) {
      CAPTURE(mask);
      CAPTURE(role_name(r));
      temp_dir t;
      umask_scope u(mask);
      store_options o = unscrubbed();
      o.diagnostic_log = true;  // its LOG files too
      {
        auto d = create(t.data(), r, o);
        REQUIRE(d->staff().add_staff({"admin", staff_role::admin, "h"}));
        if (auto* f = d->forum()) REQUIRE(f->append_post(make_post("general", make_pk(1), "b", "nonce-mode-00001"), 0));
        if (auto* i = d->issuer()) REQUIRE(i->commit_issue("e", "k", 1, {1}, {2}));
        REQUIRE(d->scrub());
        backup(*d, t.path() / "online");
        auto bad = loose(t.data());  // as made, before any later open tightens anything
        CHECK_MESSAGE(bad.empty(), (bad.empty() ? std::string() : bad.front()));
      }
      backup(t.data(), t.path() / "offline");
      restore(t.path() / "offline", t.path() / "restored");
      { auto d = open(t.path() / "restored"); }
      for (auto const* dir : {"data", "online", "offline", "restored"}) {
        auto bad = loose(t.path() / dir);
        CHECK_MESSAGE(bad.empty(), (bad.empty() ? std::string() : bad.front()));
      }
    }
  }
}

TEST_CASE("scrub: a directory made under a loose umask is tightened when opened") {
  temp_dir t;
  { auto d = create(t.data()); }
  for (auto const& e : fs::recursive_directory_iterator(t.data()))
    ::chmod(e.path().c_str(), e.is_directory() ? 0755 : 0644);
  ::chmod(t.data().c_str(), 0755);
  { auto d = open(t.data(), unscrubbed()); }
  CHECK(loose(t.data()).empty());
}

TEST_CASE("group sync: a waiter queued while the store closes is still completed, in order") {
  temp_dir t;
  rocksdb::Options o;
  o.create_if_missing = true;
  o.manual_wal_flush = true;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(o, (t.path() / "db").string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  auto sync = std::make_unique<detail::group_sync>(std::vector<rocksdb::DB*>{db.get()}, 2ms);

  constexpr int writers = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> queued{0}, completed{0}, failed{0}, out_of_order{0}, after_stop{0};
  std::atomic<bool> stopped{false};
  std::vector<std::thread> ts;
  for (int w = 0; w < writers; ++w) {
    ts.emplace_back([&, w] {
      auto last = std::make_shared<std::atomic<int>>(-1);
      for (int k = 0; !stop; ++k) {
        if (!db->Put(rocksdb::WriteOptions(), "k" + std::to_string(w) + "-" + std::to_string(k), "v").ok()) ++failed;
        ++queued;
        if (stopped) ++after_stop;
        sync->when_durable([&, last, k](bool ok) {
          if (!ok) ++failed;
          if (last->exchange(k) != k - 1) ++out_of_order;
          ++completed;
        });
      }
    });
  }
  std::this_thread::sleep_for(50ms);
  sync->stop();  // the writers go on meanwhile and after
  stopped = true;
  std::this_thread::sleep_for(50ms);
  stop = true;
  for (auto& th : ts) th.join();
  CHECK(after_stop > 0);
  CHECK(completed == queued);
  CHECK(failed == 0);
  CHECK(out_of_order == 0);
  std::atomic<bool> late{false};
  sync->when_durable([&](bool ok) { late = ok; });  // nothing unsynced: at once
  CHECK(late);
  sync.reset();
  REQUIRE(db->Close().ok());
}
