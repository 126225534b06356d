// bench_storage: the storage figures of DESIGN.md, each beside raw RocksDB
// doing comparable synced work in the same run, printed as a ratio.
//   bench_storage [--dir DIR] [--quick]
// DIR (default: a fresh directory under /var/tmp) must be on the disk being
// measured (not tmpfs). Floors: >= 15,000 durable posts/s with 100 writers,
// >= 30,000 feed pages of 50 per second.
#include "storage/stores.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace hearth;
using namespace hearth::storage;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

struct figures {
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

figures summarise(std::vector<double>& lat_ms, std::size_t ops, double secs) {
  figures f;
  f.per_second = ops / secs;
  if (!lat_ms.empty()) {
    std::sort(lat_ms.begin(), lat_ms.end());
    f.p50_ms = lat_ms[lat_ms.size() / 2];
    f.p99_ms = lat_ms[std::min(lat_ms.size() - 1, lat_ms.size() * 99 / 100)];
  }
  return f;
}

// Runs op(thread, i) for i in [0, per_thread) on `threads` threads; returns
// throughput and latency percentiles over all calls.
template <class Op>
figures run(int threads, int per_thread, Op op) {
  std::vector<std::vector<double>> lat(threads);
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      lat[t].reserve(per_thread);
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < per_thread; ++i) {
        auto s = clock_type::now();
        op(t, i);
        lat[t].push_back(seconds_since(s) * 1000);
      }
    });
  }
  auto start = clock_type::now();
  go = true;
  for (auto& t : ts) t.join();
  auto secs = seconds_since(start);
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  return summarise(all, static_cast<std::size_t>(threads) * per_thread, secs);
}

// Runs op(thread) repeatedly for `secs` seconds; returns calls per second.
template <class Op>
double run_for(int threads, double secs, Op op) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> total{0};
  std::vector<std::thread> ts;
  auto start = clock_type::now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      std::uint64_t n = 0;
      std::mt19937_64 rng(t * 7919 + 1);
      while (!stop.load(std::memory_order_relaxed)) {
        op(rng);
        ++n;
      }
      total += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  stop = true;
  for (auto& t : ts) t.join();
  return total.load() / seconds_since(start);
}

void fail(char const* what) {
  std::fprintf(stderr, "bench_storage: %s\n", what);
  std::exit(1);
}

// Raw RocksDB with the same database options as the stores.
struct raw_db {
  explicit raw_db(fs::path const& p) {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.enable_pipelined_write = true;
    o.max_background_jobs = 2;
    o.write_buffer_size = 16 << 20;
    o.max_write_buffer_number = 4;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(o, p.string(), &raw).ok()) fail("cannot open raw db");
    db.reset(raw);
    w.sync = true;
  }
  ~raw_db() { db->Close().PermitUncheckedError(); }
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions w;
};

std::string key_of(std::uint64_t n) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i) {
    k[i] = static_cast<char>(n & 0xff);
    n >>= 8;
  }
  return k;
}

void line(char const* name, double value, char const* unit, char const* anchor_name, double anchor) {
  std::printf("%-44s %12.0f %-10s | %-36s %12.0f | ratio %.2f\n", name, value, unit, anchor_name, anchor,
              anchor > 0 ? value / anchor : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  fs::path base;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) base = argv[++i];
    else if (!std::strcmp(argv[i], "--quick")) quick = true;
    else {
      std::fprintf(stderr, "usage: bench_storage [--dir DIR] [--quick]\n");
      return 2;
    }
  }
  bool const own = base.empty();
  if (own) {
    std::string t = "/var/tmp/hearth-bench-storage-XXXXXX";
    if (!::mkdtemp(t.data())) fail("mkdtemp");
    base = t;
  }
  fs::create_directories(base);
  int const single_n = quick ? 500 : 2000;
  int const writers = 100;
  int const per_writer = quick ? 100 : 600;

  std::string const body(200, 'b');
  bytes const sig(64, 's');
  std::string const raw_value(std::string(330, 'v'));  // about an encoded post

  std::printf("bench_storage: data in %s, %u hardware threads\n", base.c_str(), std::thread::hardware_concurrency());
  auto dir = create(base / "data");
  auto& forum = *dir->forum();
  std::vector<bytes> authors;
  for (int t = 0; t < writers; ++t) {
    bytes pk(32, 0x40);
    pk[0] = static_cast<std::uint8_t>(t);
    authors.push_back(pk);
  }
  auto post_op = [&](int t, int i, char const* tag) {
    new_post p;
    p.channel = "general";
    p.author_pk = authors[t];
    p.author_handle = "writer" + std::to_string(t);
    p.body = body;
    p.nonce = std::string(tag) + "-nonce-" + std::to_string(t) + "-" + std::to_string(i);
    p.sig = sig;
    auto r = forum.append_post(p, 1700000000 + i);
    if (!r || !r->created) fail("append_post failed");
  };

  raw_db raw(base / "raw");
  std::atomic<std::uint64_t> raw_key{0};

  // 1 writer.
  auto posts1 = run(1, single_n, [&](int t, int i) { post_op(t, i, "one"); });
  auto raw1 = run(1, single_n, [&](int, int) {
    if (!raw.db->Put(raw.w, key_of(++raw_key), raw_value).ok()) fail("raw put");
  });
  // 100 writers.
  auto posts100 = run(writers, per_writer, [&](int t, int i) { post_op(t, i, "many"); });
  auto raw100 = run(writers, per_writer, [&](int, int) {
    if (!raw.db->Put(raw.w, key_of(++raw_key), raw_value).ok()) fail("raw put");
  });
  // Batches of 100 records, one writer.
  int const batches = writers * per_writer / 100;
  auto rawb = run(1, batches, [&](int, int) {
    rocksdb::WriteBatch b;
    for (int k = 0; k < 100; ++k) b.Put(key_of(++raw_key), raw_value);
    if (!raw.db->Write(raw.w, &b).ok()) fail("raw batch");
  });
  rawb.per_second *= 100;

  // Feed pages of 50 from random positions of the channel.
  std::vector<std::optional<std::string>> cursors{std::nullopt};
  for (std::optional<std::string> c;;) {
    auto pg = forum.feed("general", c, 50);
    if (!pg) fail("feed");
    if (!pg->next) break;
    c = pg->next;
    cursors.push_back(c);
  }
  double const feed_secs = quick ? 1.0 : 3.0;
  auto pages = run_for(2, feed_secs, [&](std::mt19937_64& rng) {
    auto const& c = cursors[rng() % cursors.size()];
    auto pg = forum.feed("general", c, 50);
    if (!pg || pg->items.empty()) fail("feed page");
  });
  auto const raw_keys = raw_key.load();
  auto raw_pages = run_for(2, feed_secs, [&](std::mt19937_64& rng) {
    std::unique_ptr<rocksdb::Iterator> it(raw.db->NewIterator(rocksdb::ReadOptions{}));
    int n = 0;
    std::vector<std::string> out;
    out.reserve(50);
    for (it->Seek(key_of(1 + rng() % (raw_keys > 50 ? raw_keys - 50 : 1))); it->Valid() && n < 50; it->Next(), ++n) {
      out.emplace_back(it->value().ToString());
    }
    if (n == 0) fail("raw scan");
  });

  std::printf("\n%-44s %12s %-10s | %-36s %12s |\n", "figure", "value", "", "raw RocksDB, same run", "value");
  line("durable posts/s, 1 writer", posts1.per_second, "posts/s", "synced single Put/s, 1 writer", raw1.per_second);
  std::printf("    latency p50 %.2f ms, p99 %.2f ms (raw: p50 %.2f ms, p99 %.2f ms)\n", posts1.p50_ms, posts1.p99_ms,
              raw1.p50_ms, raw1.p99_ms);
  line("durable posts/s, 100 writers", posts100.per_second, "posts/s", "synced single Put/s, 100 threads",
       raw100.per_second);
  std::printf("    latency p50 %.2f ms, p99 %.2f ms (raw: p50 %.2f ms, p99 %.2f ms)\n", posts100.p50_ms,
              posts100.p99_ms, raw100.p50_ms, raw100.p99_ms);
  line("durable posts/s, 100 writers", posts100.per_second, "posts/s", "synced batches of 100, records/s",
       rawb.per_second);
  line("feed pages of 50/s (2 threads)", pages, "pages/s", "raw 50-entry scans/s (2 threads)", raw_pages);

  bool ok = posts100.per_second >= 15000 && posts100.p99_ms <= 20 && pages >= 30000;
  std::printf("\nfloors (DESIGN.md): posts/s with 100 writers >= 15000 and p99 <= 20 ms: %s; feed pages/s >= 30000: %s\n",
              posts100.per_second >= 15000 && posts100.p99_ms <= 20 ? "met" : "MISSED",
              pages >= 30000 ? "met" : "MISSED");
  dir.reset();
  std::error_code ec;
  if (own) fs::remove_all(base, ec);
  return ok ? 0 : 1;
}
