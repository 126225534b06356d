// bench_load: the real `hearth serve` under the load a company brings, each
// phase repeated (median and spread [min..max]), every reply checked rather
// than trusted, then one table: figure | median | spread | anchor | ratio |
// goal | met?
//
//   mixed        5,000 logged-in connections, each its own certified pseudonym
//                (one token each), each subscribed to one of --channels
//                channels; posts at a fixed rate (100, 1,000, 5,000/s) from
//                --authors of them, feed reads alongside, open loop: every
//                request has an intended send time fixed in advance and its
//                latency counts from then, so a stall delays the clock, not
//                the schedule. Replies and live pushes: p50/p99/p99.9/max;
//                slow-subscriber closes (server metric and client side);
//                delivery checked per subscriber; acknowledged posts read
//                back with `thread`; fdatasync/fsync calls per post (strace)
//                and WAL syncs per post (/metrics).
//   feed         `feed` pages of 50 (~25 KB) over WebSocket+JSON, pipelined;
//                every reply compared byte for byte with the page checked
//                first (signatures verified); anchor: bench_storage's store
//                level pages/s on the server's core, same run.
//   grown        a store of --grown-posts posts by --grown-pseudonyms
//                pseudonyms in --grown-channels channels (built once through
//                hearth_storage under --dir, reused), served with a block
//                cache of --cache-mb (16 MB, far smaller than the data); certify, login,
//                posts and feed beside the same on a fresh small store;
//                hearth_io_handoffs_total and hearth_write_stalls_total.
//   connections  CPU per post and RSS per subscriber at 1k, 10k, 50k
//                subscribed, receiving connections, beside a Node `ws`
//                server at the same points.
//
// The server runs on cpu 0 (taskset), this client on cpu 1. The data
// directories live under --dir (default /var/tmp); the bench refuses tmpfs
// and prints the filesystem it ran on.
//
// Usage: bench_load [--hearth PATH] [--quick] [--repeats N] [--phase NAME]
//                   [--duration S] [--warmup S] [--rates 100,1000,5000]
//                   [--subscribers N] [--authors N] [--channels N] [--feed-rate N]
//                   [--points 1000,10000,50000] [--grown-posts N]
//                   [--grown-pseudonyms N] [--grown-channels N] [--cache-mb N] [--dir DIR]
//                   [--no-node] [--no-pin] [--keep] [--perf mixed|feed|grown]
//   --perf PART   records the server with `perf record` (--perf-args, default
//                 "-F 999 -g") during the 1,000/s mixed run, the timed feed
//                 pages or the grown store's figures; keeps the data directories
#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"
#include "crypto/random.hpp"
#include "storage/stores.hpp"
#include "tests/bench/bench_common.hpp"

#include <signal.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace crypto = hearth::crypto;
namespace storage = hearth::storage;
using namespace hearth::bench;

namespace {

// ------------------------------------------------------------------ goals

constexpr double goal_reply_p99_ms = 20;       // at 1,000 posts/s with 5,000 subscribers
constexpr double goal_push_p99_ms = 50;
constexpr double goal_feed_pages = 20000;
constexpr double goal_grown_ratio = 0.80;      // grown-store posts/s over small-store posts/s
constexpr double design_feed_pages = 30000;    // DESIGN.md's store-level floor (anchor when bench_storage is absent)

struct options {
  std::string hearth;
  bool quick = false;
  bool pin = true;
  bool keep = false;
  bool node = true;
#ifdef HEARTH_NODE_ANCHOR_DIR
  std::string node_dir = HEARTH_NODE_ANCHOR_DIR;
#else
  std::string node_dir;
#endif
  std::string bench_storage;  // found beside this binary unless given
  std::size_t repeats = 5;
  std::string phase = "all";
  std::string dir = "/var/tmp";
  // mixed
  double duration = 60, warmup = 5;
  std::vector<double> rates{100, 1000, 5000};
  std::size_t subscribers = 5000, authors = 100, channels = 100;
  double feed_rate = 200;  // feed reads per second alongside the posts
  // feed
  std::size_t feed_posts = 1000, feed_pages = 100000, feed_connections = 4, feed_window = 16;
  // grown
  std::size_t grown_posts = 1000000, grown_pseudonyms = 100000, grown_channels = 100;
  std::size_t cache_mb = 16;  // storage.block_cache_mb of both stores in the grown phase (the grown data is ~300 MB)
  std::size_t store_tokens = 2000, store_logins = 2000, store_posts_per_author = 100, store_feed_pages = 20000;
  // connections
  std::vector<std::size_t> points{1000, 10000, 50000};
  std::size_t point_pseudonyms = 1000, point_posts = 20;
  // `perf record` of the server during one part: mixed (the 1,000/s run with
  // everyone subscribed), feed (the timed pages), grown (the grown store's figures)
  std::string perf_phase;
  std::string perf_args = "-F 999 -g";
};

std::vector<double> parse_list(std::string const& s) {
  std::vector<double> v;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) v.push_back(std::stod(item));
  if (v.empty()) die("empty list: " + s);
  return v;
}

// ------------------------------------------------------------- figures

// Every figure of every repeat, by key; the table takes medians and spreads.
std::map<std::string, std::vector<double>> figures;
void record(std::string const& key, double v) { figures[key].push_back(v); }

struct spread {
  double median = 0, min = 0, max = 0;
  std::size_t n = 0;
};
std::optional<spread> summary(std::string const& key) {
  auto it = figures.find(key);
  if (it == figures.end() || it->second.empty()) return std::nullopt;
  auto v = it->second;
  std::sort(v.begin(), v.end());
  return spread{median(v), v.front(), v.back(), v.size()};
}

// Latencies in microseconds: 1 us buckets up to 1 s, then 1 ms buckets up to
// 120 s (longer counts as 120 s); exact enough for p99.9, fixed memory.
class histogram {
 public:
  histogram() : fine_(1000000, 0), coarse_(120000, 0) {}
  void add(double us) {
    ++n_;
    max_ = std::max(max_, us);
    if (us < 1e6) ++fine_[static_cast<std::size_t>(std::max(0.0, us))];
    else ++coarse_[std::min<std::size_t>(coarse_.size() - 1, static_cast<std::size_t>(us / 1000))];
  }
  std::size_t count() const { return n_; }
  double max_ms() const { return max_ / 1000; }
  double quantile_ms(double p) const {
    if (n_ == 0) return 0;
    auto const want = static_cast<std::size_t>(std::ceil(p * static_cast<double>(n_)));
    std::size_t seen = 0;
    for (std::size_t i = 0; i < fine_.size(); ++i)
      if ((seen += fine_[i]) >= want) return static_cast<double>(i) / 1000;
    for (std::size_t i = 0; i < coarse_.size(); ++i)
      if ((seen += coarse_[i]) >= want) return static_cast<double>(i);
    return max_ms();
  }
  std::string line() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.1f ms (%zu samples)", quantile_ms(0.5),
                  quantile_ms(0.99), quantile_ms(0.999), max_ms(), n_);
    return buf;
  }

 private:
  std::vector<std::uint32_t> fine_, coarse_;
  std::size_t n_ = 0;
  double max_ = 0;
};

// ------------------------------------------------------------- the server

// The filesystem type of path; dies on tmpfs (a durability bench there measures nothing).
std::string filesystem_of(fs::path const& path) {
  struct statfs st{};
  if (::statfs(path.c_str(), &st) != 0) die("statfs " + path.string());
  if (st.f_type == TMPFS_MAGIC) die(path.string() + " is on tmpfs: fsync there is a no-op; pass --dir on a disk");
  std::string name = run_capture("stat -f -c %T " + shell_quote(path.string()) + " 2>/dev/null", false);
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(st.f_type));
  return (name.empty() ? std::string("unknown") : name) + " (magic " + hex + ")";
}

// One `hearth serve` on a data directory, with the client's driver and a
// logged-in admin connection.
struct fixture {
  options const& o;
  fs::path work, data, config;
  server_process server;
  std::unique_ptr<driver> d;
  client_ptr staff;
  active_key key;
  bool pinned = false;
  bool own_data = true;  // remove work at the end

  explicit fixture(options const& opts) : o(opts) {}
  fixture(fixture const&) = delete;
  fixture& operator=(fixture const&) = delete;
  ~fixture() { stop(); }

  // A fresh data directory (or an existing one: existing_data, kept after).
  void start(std::string const& name, fs::path const& existing_data = {}, std::string const& extra_config = "",
             std::vector<std::string> env = {}) {
    pinned = o.pin && ::sysconf(_SC_NPROCESSORS_ONLN) >= 2;
    work = make_temp_dir(o.dir, "hearth-load-" + name + "-");
    config = work / "bench.toml";
    write_bench_config(config, extra_config);
    if (existing_data.empty()) {
      data = work / "data";
      init_data_dir(o.hearth, data, config, work);
    } else {
      data = existing_data;
    }
    std::vector<std::string> argv;
    if (!env.empty()) {
      argv.push_back("env");
      for (auto const& e : env) argv.push_back(e);
    }
    if (pinned) argv.insert(argv.end(), {"taskset", "-c", "0"});
    for (auto const& a : {o.hearth, std::string("serve"), std::string("--data"), data.string(), std::string("--listen"),
                          std::string("127.0.0.1:0"), std::string("--config"), config.string()})
      argv.push_back(a);
    server = spawn_server(argv, work / "server.log");
    if (server.pid < 0) die("the server did not start; see " + (work / "server.log").string());
    if (pinned && !pin_to_cpu(1)) std::puts("note: could not pin the client to cpu 1");
    d = std::make_unique<driver>(server.port);
    staff = d->open("staff");
    d->call(staff, "login", {{"username", "admin"}, {"password", admin_password}});
    key = fetch_active_key(*d, staff);
  }

  void stop() {
    if (!d) return;
    stop_server(server);
    d->stop();
    staff.reset();  // before its io_context goes
    d.reset();
    if (!o.keep) {
      std::error_code ec;
      fs::remove_all(work, ec);
    }
  }

  double metric(std::string const& name) const { return hearth::bench::metric(server.port, name); }
};

// Failures found by checking replies; each phase adds to these, the table
// shows the totals (the goal for each is 0).
struct check_counts {
  std::size_t issue_failed = 0, finalize_failed = 0, certify_failed = 0, profile_mismatch = 0;
  std::size_t post_failed = 0, readback_bad = 0, readback_checked = 0;
  std::size_t missed_deliveries = 0, duplicate_deliveries = 0, wrong_channel = 0;
  std::size_t feed_failed = 0, feed_mismatch = 0, login_failed = 0;
};
check_counts checks;

// n certified pseudonyms, one token each: issued over 16 employees' issuer
// connections, finalized (RFC 9474 Finalize verifies each), certified over 8
// forum connections, then read back with `profile`. Prints the rates.
token_batch make_pseudonyms(fixture& f, std::size_t n, std::string const& handle_prefix, std::string const& what) {
  auto& d = *f.d;
  static std::size_t employees_made = 0;
  auto issuers = enroll_employees(d, f.staff, 16, "load-employee-" + std::to_string(employees_made++) + "-");
  token_batch b;
  auto const t0 = clock_type::now();
  b.prepare(f.key, n);
  double const prep_s = seconds_since(t0);
  auto ri = b.issue(d, f.key, issuers, 64);
  auto const finalize_failed = b.finalize(f.key);
  auto conns = d.open_many(8, "forum");
  auto rc = b.certify(d, f.key, conns, 32, handle_prefix);
  checks.issue_failed += ri.failed;
  checks.finalize_failed += finalize_failed > ri.failed ? finalize_failed - ri.failed : 0;
  checks.certify_failed += rc.failed;
  // read back every certified pseudonym: its handle must name its key (`profile` needs a login)
  if (!b.certified.empty()) {
    auto [lf, le] = login_many(d, f.key.issuer_name, conns, [&](std::size_t) -> pseudonym const& { return b.ps[b.certified[0]]; }, "", {});
    if (lf) die("login for the read-back: " + le);
  }
  std::vector<pipe_job> jobs(conns.size());
  std::vector<std::vector<std::size_t>> index(conns.size());
  for (std::size_t k = 0; k < b.certified.size(); ++k) {
    auto const j = k % conns.size();
    index[j].push_back(b.certified[k]);
    jobs[j].frames.push_back(frame_with_id(job_id_base + jobs[j].frames.size(), "profile",
                                           {{"handle", handle_prefix + std::to_string(b.certified[k])}}));
  }
  for (std::size_t j = 0; j < jobs.size(); ++j) jobs[j].c = conns[j], jobs[j].window = 32;
  std::size_t matched = 0;
  auto rp = run_pipelines(d, jobs, [&](std::size_t j, std::size_t i, std::string_view raw) {
    auto r = result_of(raw);
    if (auto it = r.find("pk"); it != r.end() && it->value().is_string() && it->value().as_string() == b.ps[index[j][i]].pk_b64)
      ++matched;
  });
  checks.profile_mismatch += b.certified.size() - matched;
  std::printf("   %s: %zu pseudonyms, one token each: keys and blinding %.1f s; issue %zu ok %zu failed in %.2f s (%s/s); "
              "finalize+verify failed %zu; certify %zu ok %zu failed in %.2f s (%s/s); read back by profile: %zu of %zu match%s%s\n",
              what.c_str(), n, prep_s, ri.ok, ri.failed, ri.seconds, fmt(static_cast<double>(ri.ok) / std::max(1e-9, ri.seconds)).c_str(),
              finalize_failed, rc.ok, rc.failed, rc.seconds, fmt(static_cast<double>(rc.ok) / std::max(1e-9, rc.seconds)).c_str(),
              matched, b.certified.size(), rc.failed ? "; first certify error: " : "", rc.first_error.c_str());
  (void)rp;
  d.async<bool>([&](auto finish) {
    for (auto& c : issuers) c->abort();
    for (auto& c : conns) c->abort();
    finish(true);
  });
  if (b.certified.size() < n) die("only " + std::to_string(b.certified.size()) + " of " + std::to_string(n) + " pseudonyms were certified");
  return b;
}

pseudonym copy_of(pseudonym const& p) {
  pseudonym c;
  c.kp.public_key = p.kp.public_key;
  c.kp.secret_key = p.kp.secret_key.clone();
  c.pk_b64 = p.pk_b64;
  return c;
}

std::string channel_name(std::size_t c) { return "load-" + std::to_string(c); }

void add_channels(fixture& f, std::size_t n) {
  for (std::size_t c = 0; c < n; ++c)
    f.d->call(f.staff, "channels.add", {{"name", channel_name(c)}, {"description", "bench channel " + std::to_string(c)}});
}

// Six hex digits drawn once per run: nonces and handles carry it, so that a
// store reused across runs (the grown one) never sees one twice.
std::string const& run_id() {
  static std::string const id = [] {
    auto const b = crypto::random_bytes(3);
    char hex[8];
    std::snprintf(hex, sizeof hex, "%02x%02x%02x", b[0], b[1], b[2]);
    return std::string(hex);
  }();
  return id;
}

// The post index k from a nonce "ld<tag>x<k>x<run>": nullopt if not this run's.
std::string post_nonce(std::size_t tag, std::size_t k) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "ld%03zux%010zux%s", tag, k, run_id().c_str());
  return buf;
}
std::optional<std::size_t> nonce_index(std::string_view raw, std::size_t tag) {
  constexpr std::string_view key = "\"nonce\":\"ld";
  auto at = raw.find(key);
  if (at == std::string_view::npos || at + key.size() + 15 > raw.size()) return std::nullopt;
  at += key.size();
  std::size_t t = 0, k = 0;
  for (int i = 0; i < 3; ++i) t = t * 10 + static_cast<std::size_t>(raw[at + i] - '0');
  if (t != tag || raw[at + 3] != 'x') return std::nullopt;
  for (int i = 0; i < 10; ++i) k = k * 10 + static_cast<std::size_t>(raw[at + 4 + i] - '0');
  return k;
}

// fdatasync/fsync calls of the server while fn runs, by strace (nullopt
// without strace). strace stops every thread at each traced call, which slows
// the server: measure counts with it, not rates.
std::optional<double> count_syncs(pid_t pid, fs::path const& work, std::function<void()> const& fn) {
  if (run_capture("command -v strace", false).empty()) {
    fn();
    return std::nullopt;
  }
  fs::path const out = work / "strace.txt";
  pid_t const st = ::fork();
  if (st == 0) {
    std::string const p = std::to_string(pid);
    ::execlp("strace", "strace", "-q", "-f", "-c", "-e", "trace=fdatasync,fsync,sync_file_range", "-o", out.c_str(), "-p",
             p.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // strace attaches to every thread
  fn();
  ::kill(st, SIGINT);
  ::waitpid(st, nullptr, 0);
  std::ifstream in(out);
  double calls = 0;
  std::string line;
  while (std::getline(in, line)) {
    // "% time     seconds  usecs/call     calls    errors syscall"
    std::istringstream f(line);
    std::vector<std::string> cols;
    for (std::string c; f >> c;) cols.push_back(c);
    if (cols.size() >= 5 && (cols.back() == "fdatasync" || cols.back() == "fsync" || cols.back() == "sync_file_range"))
      calls += std::stod(cols[3]);
  }
  return calls;
}

// =============================================================== 1. mixed

struct mixed_result {
  histogram reply, push, feed;
  std::size_t posts_ok = 0, posts_failed = 0, feeds_ok = 0, feeds_failed = 0;
  std::size_t deliveries = 0, dropped_client = 0, kept_up = 0, missed_subs = 0;
  double settle_s = 0;  // how long after the drain the last awaited push came
  std::size_t unanswered = 0;  // posts without a reply when the drain gave up (15 s after the last send)
  double slow_closed = 0, wal_syncs_per_post = 0, server_cpu_s = 0, achieved_rate = 0, send_lag_max_ms = 0;
  std::string first_error;
};

void phase_mixed(options const& o, std::size_t repeat) {
  fixture f(o);
  f.start("mixed");
  auto& d = *f.d;
  std::size_t const subs = o.subscribers;
  std::size_t const channels = std::max<std::size_t>(1, o.channels);
  std::size_t const authors = std::min(o.authors, subs);
  std::size_t const readers = std::min<std::size_t>(20, subs);
  std::printf("1. mixed load, repeat %zu: %zu connections, each its own pseudonym (one token each), each subscribed to one "
              "of %zu channels (%.0f per channel); %zu of them post, %zu read feeds\n",
              repeat + 1, subs, channels, static_cast<double>(subs) / static_cast<double>(channels), authors, readers);
  add_channels(f, channels);
  auto batch = make_pseudonyms(f, subs, "mx_", "tokens");
  auto const t_open = clock_type::now();
  auto conns = d.open_many(subs, "forum");
  // connection s logs in as pseudonym s (and subscribes to channel s % channels after the baseline)
  auto [login_failed, login_error] =
      login_many(d, f.key.issuer_name, conns, [&](std::size_t s) -> pseudonym const& { return batch.ps[batch.certified[s]]; }, "", {});
  checks.login_failed += login_failed;
  std::printf("   %zu connections opened and logged in in %.1f s (%zu failed%s%s); server RSS %.0f MB\n", subs,
              seconds_since(t_open), login_failed, login_failed ? ": " : "", login_error.c_str(), rss_mb(f.server.pid));

  std::size_t tag = repeat * 10;
  // One open-loop run at `rate`. baseline: nobody is subscribed (the same
  // posts and feed reads without fan-out), so the reply latencies show what
  // fan-out costs the other acknowledgements.
  auto run_rate = [&](double const rate, bool const baseline) {
    ++tag;
    // everything the I/O thread's callbacks touch lives here, kept alive by them
    struct rate_state {
      mixed_result r;
      std::size_t n = 0, nfeeds = 0, warm_end_k = 0, warm_end_feed = 0;
      std::vector<std::string> frames, post_ids;
      std::vector<std::uint32_t> got;           // per subscriber: pushes of this rate
      std::vector<std::vector<bool>> seen;      // per subscriber: which (by k / channels)
      std::vector<clock_type::time_point> intended;
      clock_type::time_point start;
      std::size_t next_post = 0, next_feed = 0, replies = 0, feed_replies = 0;
      std::unique_ptr<net::steady_timer> timer;
      std::function<void()> tick;
      double lag_max_ms = 0;
    };
    auto rs = std::make_shared<rate_state>();
    auto& r = rs->r;
    double const total_s = o.warmup + o.duration;
    std::size_t const n = rs->n = static_cast<std::size_t>(rate * total_s);
    std::size_t const nfeeds = rs->nfeeds = static_cast<std::size_t>(o.feed_rate * total_s);
    // every frame signed and serialized before the clock starts
    rs->frames.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      auto const a = k % authors;
      std::string const body = "mixed load post " + std::to_string(k) + " at " + fmt(rate) + "/s: " + std::string(60, 'm');
      rs->frames[k] = post_frame(job_id_base + k, f.key.issuer_name, batch.ps[batch.certified[a]], channel_name(k % channels), "",
                                 post_nonce(tag, k), body);
    }
    rs->post_ids.resize(n);
    rs->got.assign(subs, 0);
    rs->seen.assign(subs, std::vector<bool>(n / channels + 1, false));
    rs->intended.resize(n);
    rs->warm_end_k = static_cast<std::size_t>(rate * o.warmup);
    rs->warm_end_feed = static_cast<std::size_t>(o.feed_rate * o.warmup);

    std::optional<perf_recording> perf;
    if (!baseline && rate == 1000) perf.emplace(o.perf_phase, o.perf_args, "mixed", f.server.pid, f.work);
    double const syncs0 = f.metric("hearth_wal_syncs_total"), slow0 = f.metric("hearth_slow_subscribers_closed_total");
    double const cpu0 = cpu_seconds(f.server.pid), client_cpu0 = cpu_seconds(::getpid());
    auto const wall0 = clock_type::now();
    double const feed_rate = o.feed_rate;
    d.async<bool>([&, rs, conns, rate, feed_rate, tag, channels, authors, readers, subs](auto finish) {
      for (std::size_t s = 0; s < subs; ++s)
        conns[s]->on_event = [rs, s, tag, channels](std::string_view raw) {
          auto const now = clock_type::now();
          if (!raw.starts_with("{\"event\":\"post\"")) return;
          auto k = nonce_index(raw, tag);
          if (!k || *k >= rs->n) return;
          if (*k % channels != s % channels) {
            ++checks.wrong_channel;
            return;
          }
          auto const slot = *k / channels;
          if (rs->seen[s][slot]) {
            ++checks.duplicate_deliveries;
            return;
          }
          rs->seen[s][slot] = true;
          ++rs->got[s];
          ++rs->r.deliveries;
          if (*k >= rs->warm_end_k) rs->r.push.add(std::chrono::duration<double, std::micro>(now - rs->intended[*k]).count());
        };
      rs->start = clock_type::now() + std::chrono::milliseconds(50);
      for (std::size_t k = 0; k < rs->n; ++k)
        rs->intended[k] = rs->start + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(k) * 1e9 / rate));
      rs->timer = std::make_unique<net::steady_timer>(d.ioc());
      rs->tick = [rs, conns, authors, readers, subs, channels, feed_rate] {
        auto const now = clock_type::now();
        while (rs->next_post < rs->n && rs->intended[rs->next_post] <= now) {
          auto const k = rs->next_post++;
          rs->lag_max_ms = std::max(rs->lag_max_ms, std::chrono::duration<double, std::milli>(now - rs->intended[k]).count());
          conns[k % authors]->send_frame(job_id_base + k, std::move(rs->frames[k]), [rs, k](std::string_view raw, bool ok) {
            auto const at = clock_type::now();
            ++rs->replies;
            if (k >= rs->warm_end_k) rs->r.reply.add(std::chrono::duration<double, std::micro>(at - rs->intended[k]).count());
            if (!ok) {
              if (rs->r.posts_failed++ == 0) rs->r.first_error = error_of(raw);
              return;
            }
            ++rs->r.posts_ok;
            constexpr std::string_view id_key = "\"post\":{\"id\":\"";
            auto p = raw.find(id_key);
            if (p != std::string_view::npos) {
              p += id_key.size();
              rs->post_ids[k] = std::string(raw.substr(p, raw.find('"', p) - p));
            } else {
              auto res = result_of(raw);
              if (auto it = res.find("post"); it != res.end() && it->value().is_object())
                rs->post_ids[k] = str_of(it->value().as_object(), "id");
            }
          });
        }
        while (rs->next_feed < rs->nfeeds) {
          auto const j = rs->next_feed;
          auto const due = rs->start + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(j) * 1e9 / feed_rate));
          if (due > now) break;
          ++rs->next_feed;
          auto const rd = authors + (j % readers);
          conns[rd % subs]->call("feed", {{"channel", channel_name(j % channels)}, {"limit", 20}},
                                 [rs, j, due](std::string_view raw, bool ok) {
                                   ++rs->feed_replies;
                                   if (j >= rs->warm_end_feed)
                                     rs->r.feed.add(std::chrono::duration<double, std::micro>(clock_type::now() - due).count());
                                   if (ok) ++rs->r.feeds_ok;
                                   else if (rs->r.feeds_failed++ == 0 && rs->r.first_error.empty()) rs->r.first_error = error_of(raw);
                                 });
        }
        if (rs->next_post < rs->n || rs->next_feed < rs->nfeeds) {
          rs->timer->expires_after(std::chrono::microseconds(500));
          rs->timer->async_wait([rs](boost::system::error_code ec) {
            if (!ec && rs->tick) rs->tick();
          });
        }
      };
      rs->timer->expires_at(rs->start);
      rs->timer->async_wait([rs](boost::system::error_code ec) {
        if (!ec && rs->tick) rs->tick();
      });
      finish(true);
    });
    std::printf("   rate %s posts/s%s: %zu posts and %zu feed reads over %.0f s (the first %.0f s warm-up, not counted)...\n",
                fmt(rate).c_str(), baseline ? ", nobody subscribed (baseline)" : "", n, nfeeds, total_s, o.warmup);
    std::this_thread::sleep_for(std::chrono::duration<double>(total_s));
    // drain: every reply, and the pushes of every acknowledged post (at most 15 s more)
    auto const drain_deadline = clock_type::now() + std::chrono::seconds(15);
    std::size_t expected = 0;
    auto ok_per_channel = [&] {
      std::vector<std::size_t> v(channels, 0);
      for (std::size_t k = 0; k < n; ++k)
        if (!rs->post_ids[k].empty()) ++v[k % channels];
      return v;
    };
    for (;;) {
      auto [done, exp] = d.async<std::pair<bool, std::size_t>>([&](auto finish) {
        auto const per = ok_per_channel();
        std::size_t e = 0, have = 0;
        for (std::size_t s = 0; s < subs && !baseline; ++s)
          if (conns[s]->is_open()) e += per[s % channels], have += rs->got[s];
        finish({rs->next_post == n && rs->replies == n && rs->feed_replies == nfeeds && have >= e, e});
      });
      expected = exp;
      if (done || clock_type::now() > drain_deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    r.server_cpu_s = cpu_seconds(f.server.pid) - cpu0;
    double const client_cpu_s = cpu_seconds(::getpid()) - client_cpu0;
    double const wall_s = std::chrono::duration<double>(clock_type::now() - wall0).count();
    perf.reset();
    r.slow_closed = f.metric("hearth_slow_subscribers_closed_total") - slow0;
    r.wal_syncs_per_post = (f.metric("hearth_wal_syncs_total") - syncs0) / static_cast<double>(std::max<std::size_t>(1, r.posts_ok));
    // A post counts as missed by a subscriber only once its push has had
    // time to come: past one core's capacity (5,000/s) the server is seconds
    // behind, and the pushes of the posts acknowledged last are still queued
    // when the drain ends. So the posts acknowledged by now are fixed, and
    // their pushes are awaited up to 30 s more (the server goes on with its
    // backlog meanwhile, whose posts are not counted).
    std::vector<char> acked(n, 0);
    auto missing_of = [&](std::size_t s) {
      std::size_t m = 0;
      for (std::size_t k = s % channels, slot = 0; k < n; k += channels, ++slot)
        if (acked[k] && !rs->seen[s][slot]) ++m;
      return m;
    };
    auto const settle_start = clock_type::now();
    for (bool first = true;; first = false) {
      auto const missing = d.async<std::size_t>([&](auto finish) {
        if (first)
          for (std::size_t k = 0; k < n; ++k) acked[k] = !rs->post_ids[k].empty();
        std::size_t m = 0;
        for (std::size_t s = 0; s < subs && !baseline; ++s)
          if (conns[s]->is_open()) m += missing_of(s);
        finish(m);
      });
      if (missing == 0 || clock_type::now() - settle_start > std::chrono::seconds(30)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    r.settle_s = std::chrono::duration<double>(clock_type::now() - settle_start).count();
    d.async<bool>([&](auto finish) {
      rs->tick = nullptr;
      rs->timer->cancel();
      for (std::size_t s = 0; s < subs; ++s) {
        conns[s]->on_event = nullptr;
        if (!conns[s]->is_open()) {
          ++r.dropped_client;
          continue;
        }
        ++r.kept_up;
        if (auto const m = baseline ? 0 : missing_of(s)) {
          ++r.missed_subs;
          checks.missed_deliveries += m;
        }
      }
      r.send_lag_max_ms = rs->lag_max_ms;
      r.unanswered = n - rs->replies;
      finish(true);
    });
    auto& post_ids = rs->post_ids;
    checks.post_failed += r.posts_failed;
    checks.feed_failed += r.feeds_failed;
    std::printf("   rate %s/s: posts %zu ok, %zu failed, %zu unanswered 15 s after the last send%s%s; feeds %zu ok, %zu failed; "
                "sender lag max %.1f ms\n",
                fmt(rate).c_str(), r.posts_ok, r.posts_failed, r.unanswered, r.first_error.empty() ? "" : "; first error: ",
                r.first_error.c_str(), r.feeds_ok, r.feeds_failed, r.send_lag_max_ms);
    std::printf("     reply (from intended send): %s\n", r.reply.line().c_str());
    std::printf("     push (receive minus intended send, per subscriber): %s\n", r.push.line().c_str());
    std::printf("     feed reads: %s\n", r.feed.line().c_str());
    std::printf("     deliveries %s of %s expected; subscribers kept up %zu, closed %zu (server's slow-subscriber closes: %.0f); "
                "kept up but missed a post: %zu (pushes of posts acknowledged by the end of the drain awaited %.1f s more)\n",
                fmt(static_cast<double>(r.deliveries)).c_str(), fmt(static_cast<double>(expected)).c_str(), r.kept_up,
                r.dropped_client, r.slow_closed, r.missed_subs, r.settle_s);
    std::printf("     server CPU %.1f s (%.0f us per post incl. its fan-out and the feed reads; %.0f %% of its core over %.0f s); "
                "%.3f WAL syncs per post; client CPU %.0f %% of its core\n",
                r.server_cpu_s, r.server_cpu_s * 1e6 / std::max(1.0, static_cast<double>(r.posts_ok)),
                100 * r.server_cpu_s / wall_s, wall_s, r.wal_syncs_per_post, 100 * client_cpu_s / wall_s);
    std::string const key = (baseline ? "mixed.base." : "mixed.") + fmt(rate) + ".";
    record(key + "reply_p50", r.reply.quantile_ms(0.5));
    record(key + "reply_p99", r.reply.quantile_ms(0.99));
    record(key + "reply_p999", r.reply.quantile_ms(0.999));
    record(key + "reply_max", r.reply.max_ms());
    record(key + "push_p50", r.push.quantile_ms(0.5));
    record(key + "push_p99", r.push.quantile_ms(0.99));
    record(key + "push_p999", r.push.quantile_ms(0.999));
    record(key + "push_max", r.push.max_ms());
    record(key + "feed_p99", r.feed.quantile_ms(0.99));
    record(key + "slow_closed", r.slow_closed);
    record(key + "missed_subs", static_cast<double>(r.missed_subs));
    record(key + "unanswered", static_cast<double>(r.unanswered));
    record(key + "wal_syncs_per_post", r.wal_syncs_per_post);

    // read back the acknowledged posts (all, or an even sample of 50,000)
    {
      std::vector<std::size_t> ks;
      for (std::size_t k = 0; k < n; ++k)
        if (!post_ids[k].empty()) ks.push_back(k);
      std::size_t const step = std::max<std::size_t>(1, ks.size() / 50000);
      auto rb = d.open_many(8, "forum");
      auto [lf, le] = login_many(d, f.key.issuer_name, rb, [&](std::size_t) -> pseudonym const& { return batch.ps[batch.certified[0]]; }, "", {});
      if (lf) die("read-back login failed: " + le);
      std::vector<pipe_job> jobs(rb.size());
      std::vector<std::vector<std::size_t>> index(rb.size());
      std::size_t m = 0;
      for (std::size_t i = 0; i < ks.size(); i += step, ++m) {
        auto const j = m % rb.size();
        index[j].push_back(ks[i]);
        jobs[j].frames.push_back(frame_with_id(job_id_base + jobs[j].frames.size(), "thread", {{"post_id", post_ids[ks[i]]}}));
      }
      for (std::size_t j = 0; j < jobs.size(); ++j) jobs[j].c = rb[j], jobs[j].window = 32;
      std::size_t good = 0;
      auto rr = run_pipelines(d, jobs, [&](std::size_t j, std::size_t i, std::string_view raw) {
        auto const k = index[j][i];
        auto res = result_of(raw);
        auto it = res.find("post");
        if (it == res.end() || !it->value().is_object()) return;
        auto const& p = it->value().as_object();
        auto nn = p.find("nonce");
        auto ch = p.find("channel");
        if (nn != p.end() && nn->value().is_string() && nn->value().as_string() == post_nonce(tag, k) && ch != p.end() &&
            ch->value().is_string() && ch->value().as_string() == channel_name(k % channels))
          ++good;
      });
      checks.readback_checked += m;
      checks.readback_bad += m - good;
      std::printf("     read back %zu acknowledged posts with `thread` (%s): %zu match, %zu failed\n", m,
                  step == 1 ? "all" : ("every " + std::to_string(step) + "th").c_str(), good, rr.failed);
      d.async<bool>([&](auto finish) {
        for (auto& c : rb) c->abort();
        finish(true);
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  };

  double const base_rate = std::find(o.rates.begin(), o.rates.end(), 1000.0) != o.rates.end() ? 1000.0 : o.rates[o.rates.size() / 2];
  run_rate(base_rate, true);
  {
    // each connection subscribes to channel s % channels
    auto const t = clock_type::now();
    auto failed = d.async<std::size_t>([&](auto finish) {
      auto left = std::make_shared<std::size_t>(subs);
      auto bad = std::make_shared<std::size_t>(0);
      for (std::size_t s = 0; s < subs; ++s)
        conns[s]->call("subscribe", {{"channel", channel_name(s % channels)}}, [left, bad, finish](std::string_view, bool ok) {
          if (!ok) ++*bad;
          if (--*left == 0) finish(*bad);
        });
    });
    checks.login_failed += failed;
    std::printf("   %zu connections subscribed in %.2f s (%zu failed); server RSS %.0f MB\n", subs, seconds_since(t), failed,
                rss_mb(f.server.pid));
  }
  for (double const rate : o.rates) run_rate(rate, false);

  // fdatasync per acknowledged post: 2,000 closed-loop posts under strace
  {
    std::size_t const nposts = o.quick ? 300 : 2000;
    std::vector<pipe_job> jobs(authors);
    for (std::size_t a = 0; a < authors; ++a) {
      jobs[a].c = conns[a];
      jobs[a].window = 1;
    }
    for (std::size_t k = 0; k < nposts; ++k) {
      auto const a = k % authors;
      jobs[a].frames.push_back(post_frame(job_id_base + jobs[a].frames.size(), f.key.issuer_name, batch.ps[batch.certified[a]],
                                          channel_name(a % channels), "", post_nonce(tag + 1, k), "synced post " + std::to_string(k)));
    }
    double const syncs0 = f.metric("hearth_wal_syncs_total");
    pipe_result pr;
    auto calls = count_syncs(f.server.pid, f.work, [&] { pr = run_pipelines(d, jobs); });
    double const wal = f.metric("hearth_wal_syncs_total") - syncs0;
    double const ok = static_cast<double>(std::max<std::size_t>(1, pr.ok));
    checks.post_failed += pr.failed;
    if (calls) {
      record("sync.fdatasync_per_post", *calls / ok);
      std::printf("   durability: %zu posts (100 authors, 1 in flight each) under strace: %.0f fdatasync/fsync calls = %.3f per "
                  "acknowledged post; %.3f WAL syncs per post (server metric)\n",
                  pr.ok, *calls, *calls / ok, wal / ok);
    } else {
      std::printf("   durability: strace is not installed; %.3f WAL syncs per post (server metric)\n", wal / ok);
    }
    record("sync.wal_per_post", wal / ok);
  }
  d.async<bool>([&](auto finish) {
    for (auto& c : conns) c->abort();
    finish(true);
  });
}

// ================================================================ 2. feed

std::optional<double> storage_anchor;  // bench_storage's pages/s, once per run

void phase_feed(options const& o, std::size_t repeat) {
  if (!storage_anchor && !o.bench_storage.empty()) {
    auto const work = make_temp_dir(o.dir, "hearth-load-storage-");
    std::string const cmd = std::string(o.pin ? "taskset -c 0 " : "") + shell_quote(o.bench_storage) + " --quick --dir " +
                            shell_quote(work.string()) + " 2>&1";
    auto out = run_capture(cmd, false);
    std::error_code ec;
    fs::remove_all(work, ec);
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("feed pages of 50/s", 0) == 0) {
        std::istringstream f(line.substr(line.find(')') + 1));
        double v = 0;
        if (f >> v) storage_anchor = v;
      }
    std::printf("2. feed anchor: bench_storage --quick on %s: %s feed pages of 50/s at the store level\n",
                o.pin ? "cpu 0" : "any core", storage_anchor ? fmt(*storage_anchor).c_str() : "(not found in its output)");
  }
  fixture f(o);
  f.start("feed");
  auto& d = *f.d;
  auto batch = make_pseudonyms(f, 1, "fd_", "tokens");
  auto const& author = batch.ps[batch.certified[0]];
  auto poster = d.open("forum");
  if (auto [lf, le] = login_many(d, f.key.issuer_name, {poster}, [&](std::size_t) -> pseudonym const& { return author; }, "", {}); lf)
    die("feed author login: " + le);
  // posts whose JSON is ~500 bytes: a page of 50 is ~25 KB
  std::vector<pipe_job> jobs(1);
  jobs[0].c = poster;
  jobs[0].window = 32;
  std::string const body_pad(140, 'f');
  for (std::size_t k = 0; k < o.feed_posts; ++k)
    jobs[0].frames.push_back(post_frame(job_id_base + k, f.key.issuer_name, author, "general", "", post_nonce(900 + repeat, k),
                                        "feed page post " + std::to_string(k) + " " + body_pad));
  auto pr = run_pipelines(d, jobs);
  checks.post_failed += pr.failed;
  // walk the pages once, checking each (50 posts, newest first, no repeats, every signature)
  std::vector<std::optional<std::string>> cursors{std::nullopt};
  std::vector<std::string> page_text;  // the reply after `"result":`, per cursor
  std::size_t verified = 0, bad = 0;
  std::map<std::string, int> seen_ids;
  for (;;) {
    json::object req{{"channel", "general"}, {"limit", 50}};
    if (cursors.back()) req["before"] = *cursors.back();
    auto [ok, raw] = d.try_call(poster, "feed", req);
    if (!ok) die("feed: " + error_of(raw));
    page_text.push_back(raw.substr(raw.find("\"result\":")));
    auto res = result_of(raw);
    auto const& posts = res.at("posts").as_array();
    std::string prev;
    for (auto const& pv : posts) {
      auto const& p = pv.as_object();
      auto const id = str_of(p, "id");
      if (!prev.empty() && !(id < prev)) ++bad;  // ids sort in creation order: newest first means descending
      prev = id;
      if (seen_ids[id]++) ++bad;
      auto const msg = crypto::domain::post(f.key.issuer_name, "general", "", str_of(p, "nonce"), str_of(p, "body"));
      if (crypto::ed25519::verify(unb64(str_of(p.at("author").as_object(), "pk")), crypto::as_bytes(msg), unb64(str_of(p, "sig"))))
        ++verified;
      else
        ++bad;
    }
    auto nx = res.find("next");
    if (nx == res.end() || !nx->value().is_string() || posts.empty()) break;
    if (posts.size() != 50) ++bad;
    cursors.push_back(std::string(nx->value().as_string()));
  }
  if (seen_ids.size() != pr.ok) bad += 1;
  if (verified == 0 || pr.ok == 0) die("the feed phase read no posts back");
  checks.feed_mismatch += bad;
  double avg_bytes = 0;
  for (auto const& t : page_text) avg_bytes += static_cast<double>(t.size());
  avg_bytes /= static_cast<double>(page_text.size());
  std::printf("2. feed, repeat %zu: %zu posts in `general`, %zu pages of 50 walked: %zu signatures verified, %zu problems; "
              "a page is %.1f KB of JSON\n",
              repeat + 1, pr.ok, page_text.size(), verified, bad, page_text[0].size() / 1024.0);
  // the timed part: full pages only (the last may be short), pipelined over a few logged-in connections
  std::size_t const full_pages = std::max<std::size_t>(1, page_text.size() - 1);
  auto readers = d.open_many(o.feed_connections, "forum");
  if (auto [lf, le] = login_many(d, f.key.issuer_name, readers, [&](std::size_t) -> pseudonym const& { return author; }, "", {}); lf)
    die("feed reader login: " + le);
  std::vector<pipe_job> rj(readers.size());
  std::vector<std::vector<std::size_t>> page_of(readers.size());
  for (std::size_t i = 0; i < o.feed_pages; ++i) {
    auto const j = i % readers.size();
    auto const p = (i * 7) % full_pages;
    json::object req{{"channel", "general"}, {"limit", 50}};
    if (cursors[p]) req["before"] = *cursors[p];
    page_of[j].push_back(p);
    rj[j].frames.push_back(frame_with_id(job_id_base + rj[j].frames.size(), "feed", std::move(req)));
  }
  for (std::size_t j = 0; j < rj.size(); ++j) rj[j].c = readers[j], rj[j].window = o.feed_window;
  std::size_t mismatched = 0;
  double bytes = 0;
  std::optional<perf_recording> perf(std::in_place, o.perf_phase, o.perf_args, "feed", f.server.pid, f.work);
  double const cpu0 = cpu_seconds(f.server.pid);
  auto r = run_pipelines(d, rj, [&](std::size_t j, std::size_t i, std::string_view raw) {
    auto const& want = page_text[page_of[j][i]];
    bytes += static_cast<double>(raw.size());
    if (raw.size() < want.size() || raw.substr(raw.size() - want.size()) != want) ++mismatched;
  });
  double const cpu = cpu_seconds(f.server.pid) - cpu0;
  perf.reset();
  checks.feed_failed += r.failed;
  checks.feed_mismatch += mismatched;
  double const rate = static_cast<double>(r.ok) / r.seconds;
  std::printf("   %zu pages over %zu connections x %zu in flight: %zu ok, %zu failed, %zu differ from the checked page; "
              "%.2f s = %s pages/s (%.0f MB/s); p50 %.2f ms p99 %.2f ms; server CPU %.1f us/page\n",
              o.feed_pages, readers.size(), o.feed_window, r.ok, r.failed, mismatched, r.seconds, fmt(rate).c_str(),
              bytes / r.seconds / 1e6, percentile(r.latency_us, 0.5) / 1000, percentile(r.latency_us, 0.99) / 1000,
              cpu * 1e6 / std::max(1.0, static_cast<double>(r.ok)));
  record("feed.pages", rate);
  record("feed.kb", page_text[0].size() / 1024.0);
  d.async<bool>([&](auto finish) {
    for (auto& c : readers) c->abort();
    poster->abort();
    finish(true);
  });
}

// =============================================================== 3. grown

// The grown store: built once under --dir through hearth_storage (the
// server's own storage library, unsynced while building, one sync at the
// end), with the pseudonyms' secret keys beside it so the bench can log in.
struct grown_store {
  fs::path root, data, keys_file;
  std::vector<crypto::ed25519::keypair> kps;
};

grown_store build_grown(options const& o) {
  grown_store g;
  g.root = fs::path(o.dir) / ("hearth-load-grown-" + std::to_string(o.grown_posts) + "-" + std::to_string(o.grown_pseudonyms) +
                              "-" + std::to_string(o.grown_channels));
  g.data = g.root / "data";
  g.keys_file = g.root / "pseudonyms.keys";
  fs::path const done_marker = g.root / "complete";
  auto load_keys = [&] {
    std::ifstream in(g.keys_file, std::ios::binary);
    std::vector<std::uint8_t> sk(crypto::ed25519::secret_key_bytes);
    while (in.read(reinterpret_cast<char*>(sk.data()), static_cast<std::streamsize>(sk.size()))) {
      auto kp = crypto::ed25519::from_secret_key(sk);
      if (!kp) die("bad key in " + g.keys_file.string());
      g.kps.push_back(std::move(*kp));
    }
  };
  if (fs::exists(done_marker)) {
    load_keys();
    if (g.kps.size() == o.grown_pseudonyms) {
      std::printf("3. grown store: reusing %s (%zu pseudonyms)\n", g.root.c_str(), g.kps.size());
      return g;
    }
    g.kps.clear();
  }
  std::error_code ec;
  fs::remove_all(g.root, ec);
  fs::create_directories(g.root);
  auto const t0 = clock_type::now();
  {
    fs::path const config = g.root / "init.toml";
    write_bench_config(config, "");
    init_data_dir(o.hearth, g.data, config, g.root);
  }
  storage::store_options so;
  so.sync = false;
  so.scrub_interval = std::chrono::seconds(0);
  auto dd = storage::open(g.data, so);
  auto* forum = dd->forum();
  if (!forum || !dd->issuer()) die("the grown store is not of role all");
  auto keys = dd->issuer()->signing_keys();
  if (!keys) die("signing_keys");
  storage::certification cert;
  for (auto const& k : *keys)
    if (k.state == storage::key_state::active) cert = {k.key_id, k.epoch, k.accept_until};
  if (cert.key_id.empty()) die("the grown store has no active key");
  for (std::size_t c = 0; c < o.grown_channels; ++c)
    if (!forum->add_channel({channel_name(c), "grown channel"})) die("add_channel");
  // pseudonyms (their tokens are random ids: the store spends what the server verified)
  {
    std::ofstream out(g.keys_file, std::ios::binary);
    for (std::size_t i = 0; i < o.grown_pseudonyms; ++i) {
      auto kp = crypto::ed25519::generate();
      out.write(reinterpret_cast<char const*>(kp.secret_key.data()), static_cast<std::streamsize>(kp.secret_key.size()));
      auto r = forum->certify(crypto::random_bytes(32), kp.public_key, "g_" + std::to_string(i), cert);
      if (!r) die("certify in the grown store");
      g.kps.push_back(std::move(kp));
    }
  }
  std::printf("3. grown store: %zu pseudonyms in %.1f s; writing %zu posts on 2 threads...\n", o.grown_pseudonyms,
              seconds_since(t0), o.grown_posts);
  std::string issuer_name = "hearth-local";
  {
    std::ifstream in(g.data / "instance.toml");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("issuer", 0) == 0) {
        auto a = line.find('"'), b = line.rfind('"');
        if (a != std::string::npos && b > a) issuer_name = line.substr(a + 1, b - a - 1);
      }
  }
  std::atomic<std::size_t> next{0}, failed{0};
  auto const now = static_cast<std::int64_t>(std::time(nullptr));
  auto work = [&](unsigned seed) {
    std::mt19937_64 rng(seed);
    for (std::size_t k; (k = next.fetch_add(1)) < o.grown_posts;) {
      auto const a = rng() % g.kps.size();
      storage::new_post p;
      p.channel = channel_name(k % o.grown_channels);
      p.author_pk = g.kps[a].public_key;
      p.author_handle = "g_" + std::to_string(a);
      p.body = "grown post " + std::to_string(k) + " in a store that has grown for a year " + std::string(rng() % 200, 'g');
      p.nonce = "grown-" + std::to_string(k) + "-nonce";
      p.sig = crypto::ed25519::sign(g.kps[a].secret_key,
                                    crypto::as_bytes(crypto::domain::post(issuer_name, p.channel, "", p.nonce, p.body)));
      if (!forum->append_post(p, now - static_cast<std::int64_t>(o.grown_posts - k))) ++failed;
    }
  };
  std::thread t1(work, 1), t2(work, 2);
  t1.join();
  t2.join();
  if (failed) die(std::to_string(failed.load()) + " posts failed while building the grown store");
  if (!dd->sync()) die("sync of the grown store");
  dd.reset();
  std::ofstream(done_marker) << "complete\n";
  std::printf("3. grown store built in %.0f s: %s (%s on disk)\n", seconds_since(t0), g.root.c_str(),
              run_capture("du -sh " + shell_quote(g.data.string()) + " | cut -f1 | tr -d '\\n'", false).c_str());
  return g;
}

// certify/s, login/s, posts/s and feed pages/s against one server.
struct store_figures {
  double certify = 0, login = 0, posts = 0, posts_p99 = 0, feed = 0;
};

store_figures measure_store(options const& o, fixture& f, std::vector<pseudonym> const& logins,
                            std::vector<std::string> const& feed_channels, std::string const& what, std::size_t tag) {
  auto& d = *f.d;
  store_figures s;
  // certify: fresh tokens
  {
    auto issuers = enroll_employees(d, f.staff, 16, "store-" + what + "-" + std::to_string(tag) + "-");
    token_batch b;
    b.prepare(f.key, o.store_tokens);
    auto ri = b.issue(d, f.key, issuers, 64);
    checks.issue_failed += ri.failed;
    checks.finalize_failed += b.finalize(f.key) - ri.failed;
    auto conns = d.open_many(8, "forum");
    auto rc = b.certify(d, f.key, conns, 32, "s" + run_id() + std::to_string(tag) + "_");
    checks.certify_failed += rc.failed;
    s.certify = static_cast<double>(rc.ok) / rc.seconds;
    d.async<bool>([&](auto finish) {
      for (auto& c : issuers) c->abort();
      for (auto& c : conns) c->abort();
      finish(true);
    });
  }
  // login: challenge + login, one connection each, at most 512 at once
  std::vector<client_ptr> conns = d.open_many(logins.size(), "forum");
  auto const t = clock_type::now();
  auto [lf, le] = login_many(d, f.key.issuer_name, conns, [&](std::size_t i) -> pseudonym const& { return logins[i]; }, "", {});
  s.login = static_cast<double>(conns.size() - lf) / seconds_since(t);
  checks.login_failed += lf;
  if (lf) std::printf("   %zu logins failed: %s\n", lf, le.c_str());
  // posts: 100 authors, one in flight each
  std::size_t const authors = std::min<std::size_t>(100, conns.size());
  std::vector<pipe_job> jobs(authors);
  for (std::size_t a = 0; a < authors; ++a) {
    jobs[a].c = conns[a];
    for (std::size_t k = 0; k < o.store_posts_per_author; ++k)
      jobs[a].frames.push_back(post_frame(job_id_base + k, f.key.issuer_name, logins[a], feed_channels[(a + k) % feed_channels.size()],
                                          "", post_nonce(500 + tag, a * 100000 + k), "store post " + std::to_string(k)));
  }
  auto pr = run_pipelines(d, jobs);
  checks.post_failed += pr.failed;
  s.posts = static_cast<double>(pr.ok) / pr.seconds;
  s.posts_p99 = percentile(pr.latency_us, 0.99) / 1000;
  // feed: first pages of the channels, pipelined
  std::size_t const readers = std::min<std::size_t>(4, conns.size());
  std::vector<pipe_job> fj(readers);
  for (std::size_t i = 0; i < o.store_feed_pages; ++i)
    fj[i % readers].frames.push_back(frame_with_id(job_id_base + fj[i % readers].frames.size(), "feed",
                                                   {{"channel", feed_channels[(i * 13) % feed_channels.size()]}, {"limit", 50}}));
  for (std::size_t j = 0; j < readers; ++j) fj[j].c = conns[j], fj[j].window = 16;
  auto fr = run_pipelines(d, fj);
  checks.feed_failed += fr.failed;
  s.feed = static_cast<double>(fr.ok) / fr.seconds;
  std::printf("   %s: certify %s/s; login %s/s (%zu pseudonyms); posts %s/s (100 authors, 1 in flight, p99 %.1f ms, %zu failed%s%s); "
              "feed pages of 50 %s/s (%zu failed)\n",
              what.c_str(), fmt(s.certify).c_str(), fmt(s.login).c_str(), logins.size(), fmt(s.posts).c_str(), s.posts_p99,
              pr.failed, pr.failed ? ": " : "", pr.first_error.c_str(), fmt(s.feed).c_str(), fr.failed);
  d.async<bool>([&](auto finish) {
    for (auto& c : conns) c->abort();
    finish(true);
  });
  return s;
}

void phase_grown(options const& o, std::size_t repeat) {
  static std::optional<grown_store> g;
  if (!g) g = build_grown(o);
  // the small store: a fresh server, the same measurements
  store_figures small;
  {
    fixture f(o);
    f.start("small", {}, "[storage]\nblock_cache_mb = " + std::to_string(o.cache_mb) + "\n");
    auto b = make_pseudonyms(f, o.store_logins, "sm_", "small store, pseudonyms to log in");
    std::vector<pseudonym> who;
    for (auto i : b.certified) who.push_back(copy_of(b.ps[i]));
    small = measure_store(o, f, who, {"general"}, "small store", repeat * 2);
  }
  fixture f(o);
  // write stalls: /metrics counts them (hearth_write_stalls_total); RocksDB's
  // LOG (HEARTH_ROCKSDB_LOG=1) shows them too, counted as a second source
  fs::path const log = g->data / "forum" / "LOG";
  std::error_code ec;
  fs::remove(log, ec);
  f.own_data = false;
  f.start("grown", g->data, "[storage]\nblock_cache_mb = " + std::to_string(o.cache_mb) + "\n", {"HEARTH_ROCKSDB_LOG=1"});
  auto const stalls_metric = [&] {
    return f.metric("hearth_write_stalls_total{condition=\"delayed\"}") + f.metric("hearth_write_stalls_total{condition=\"stopped\"}");
  };
  bool const stall_metric_exposed = metrics_text(f.server.port).find("hearth_write_stalls_total") != std::string::npos;
  double const stalls0 = stalls_metric();
  double const handoffs0 = f.metric("hearth_io_handoffs_total"), syncs0 = f.metric("hearth_wal_syncs_total");
  std::mt19937_64 rng(std::hash<std::string>{}(run_id()) + repeat);
  std::vector<pseudonym> who;
  for (std::size_t i = 0; i < o.store_logins; ++i) {
    auto const a = rng() % g->kps.size();
    pseudonym p;
    auto kp = crypto::ed25519::from_secret_key(g->kps[a].secret_key.view());
    if (!kp) die("grown key");
    p.kp = std::move(*kp);
    p.pk_b64 = crypto::base64url_encode(p.kp.public_key);
    who.push_back(std::move(p));
  }
  std::vector<std::string> chans;
  for (std::size_t c = 0; c < o.grown_channels; ++c) chans.push_back(channel_name(c));
  double const rss0 = rss_mb(f.server.pid);
  std::optional<perf_recording> perf(std::in_place, o.perf_phase, o.perf_args, "grown", f.server.pid, f.work);
  auto grown = measure_store(o, f, who, chans, "grown store", repeat * 2 + 1);
  perf.reset();
  double const handoffs = f.metric("hearth_io_handoffs_total") - handoffs0;
  double const syncs = f.metric("hearth_wal_syncs_total") - syncs0;
  double const stalls_counted = stalls_metric() - stalls0;
  f.stop();
  std::size_t stalls = 0;
  {
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);)
      if (line.find("Stalling writes") != std::string::npos || line.find("Stopping writes") != std::string::npos) ++stalls;
  }
  std::printf("   grown store: hearth_io_handoffs_total +%.0f, WAL syncs +%.0f; write stalls: hearth_write_stalls_total +%s, "
              "RocksDB LOG lines \"Stalling/Stopping writes\" %zu%s; server RSS at start %.0f MB; block cache "
              "(storage.block_cache_mb) %zu MB per store, data %s\n",
              handoffs, syncs, stall_metric_exposed ? fmt(stalls_counted).c_str() : "(not in /metrics)", stalls,
              fs::exists(log) ? "" : " (no LOG written)", rss0, o.cache_mb,
              run_capture("du -sh " + shell_quote(g->data.string()) + " | cut -f1 | tr -d '\\n'", false).c_str());
  for (auto const& [key, v] : {std::pair<char const*, double>{"grown.small_posts", small.posts},
                               {"grown.posts", grown.posts},
                               {"grown.posts_ratio", grown.posts / std::max(1.0, small.posts)},
                               {"grown.small_certify", small.certify},
                               {"grown.certify", grown.certify},
                               {"grown.small_login", small.login},
                               {"grown.login", grown.login},
                               {"grown.small_feed", small.feed},
                               {"grown.feed", grown.feed},
                               {"grown.handoffs", handoffs}})
    record(key, v);
  record("grown.stalls", stall_metric_exposed ? stalls_counted : static_cast<double>(stalls));
}

// ========================================================= 4. connections

std::vector<net::ip::address> source_addresses() {
  std::vector<net::ip::address> v;
  for (int i = 1; i <= 4; ++i) v.push_back(net::ip::make_address("127.0.0." + std::to_string(i)));
  return v;
}

struct point_figures {
  double idle_kb = 0, sub_kb = 0, cpu_ms_per_post = 0, p99 = 0;
  std::size_t missing = 0;
};

// Grows one server's subscribed connections through the points; at each:
// RSS per idle connection (opened), per subscriber (logged in, subscribed),
// and server CPU per post fanned out to all of them.
std::vector<point_figures> measure_points(options const& o, driver& d, pid_t pid, std::string const& issuer_name,
                                          std::vector<pseudonym> const& who, client_ptr const& poster,
                                          pseudonym const& poster_p, std::size_t tag, std::string const& label) {
  std::vector<point_figures> out;
  std::vector<client_ptr> all;
  auto const sources = source_addresses();
  std::size_t k0 = 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  double const empty = rss_mb(pid);  // before any connection
  for (auto const point : o.points) {
    point_figures pf;
    std::size_t const more = point > all.size() ? point - all.size() : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    double const base = rss_mb(pid);
    std::size_t failed = 0;
    auto fresh = d.open_many(more, "forum", &failed, sources);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    double const idle = rss_mb(pid);
    auto [lf, le] = login_many(d, issuer_name, fresh, [&](std::size_t i) -> pseudonym const& { return who[(all.size() + i) % who.size()]; },
                               "subscribe", {{"channel", "general"}});
    std::this_thread::sleep_for(std::chrono::seconds(1));
    double const subbed = rss_mb(pid);
    all.insert(all.end(), fresh.begin(), fresh.end());
    pf.idle_kb = (idle - base) * 1024 / static_cast<double>(std::max<std::size_t>(1, fresh.size()));
    pf.sub_kb = (subbed - empty) * 1024 / static_cast<double>(std::max<std::size_t>(1, all.size()));
    auto frame_of = [&](std::size_t k, std::string const& nonce) {
      auto const id = job_id_base + 1000000 + k0 + k;
      return std::make_pair(id, post_frame(id, issuer_name, poster_p, "general", "", nonce, "fan-out at " + std::to_string(point)));
    };
    auto r = measure_fanout(d, all, all.size() - lf, poster, o.point_posts, pid, frame_of,
                            "fanout-" + std::to_string(tag) + "-" + std::to_string(point) + "-nonce-");
    k0 += o.point_posts;
    pf.cpu_ms_per_post = r.cpu_ms_per_post();
    pf.p99 = r.p99;
    pf.missing = r.missing;
    std::printf("   %s at %s connections (%zu failed to open, %zu to log in%s%s): RSS +%.1f KB per idle connection (those added), "
                "+%.1f KB per subscriber (all, over the empty server's); %zu posts: CPU %.1f ms/post (%.2f us per delivery), delivery p99 %.1f ms, %zu missing\n",
                label.c_str(), fmt(static_cast<double>(all.size())).c_str(), failed, lf, lf ? ": " : "", le.c_str(), pf.idle_kb,
                pf.sub_kb, r.posts, pf.cpu_ms_per_post, r.cpu_us_per_delivery(), r.p99, r.missing);
    out.push_back(pf);
  }
  d.async<bool>([&](auto finish) {
    for (auto& c : all) c->abort();
    finish(true);
  });
  return out;
}

void phase_connections(options const& o, std::size_t repeat) {
  std::vector<pseudonym> who;
  pseudonym poster_p;
  std::string issuer_name;
  {
    fixture f(o);
    f.start("connections");
    auto& d = *f.d;
    issuer_name = f.key.issuer_name;
    auto b = make_pseudonyms(f, o.point_pseudonyms + 1, "cn_", "tokens (each pseudonym on several connections)");
    for (std::size_t i = 1; i < b.certified.size(); ++i) who.push_back(copy_of(b.ps[b.certified[i]]));
    poster_p = copy_of(b.ps[b.certified[0]]);
    auto poster = d.open("forum");
    if (auto [lf, le] = login_many(d, issuer_name, {poster}, [&](std::size_t) -> pseudonym const& { return poster_p; }, "", {}); lf)
      die("poster login: " + le);
    std::printf("5. connections, repeat %zu: %zu pseudonyms, connection i logs in as pseudonym i %% %zu and subscribes to general\n",
                repeat + 1, who.size(), who.size());
    auto pts = measure_points(o, d, f.server.pid, issuer_name, who, poster, poster_p, repeat, "hearth");
    for (std::size_t i = 0; i < pts.size(); ++i) {
      std::string const key = "conn." + std::to_string(o.points[i]) + ".";
      record(key + "idle_kb", pts[i].idle_kb);
      record(key + "sub_kb", pts[i].sub_kb);
      record(key + "cpu_ms", pts[i].cpu_ms_per_post);
      record(key + "missing", static_cast<double>(pts[i].missing));
      checks.missed_deliveries += pts[i].missing;
    }
    d.async<bool>([&](auto finish) {
      poster->abort();
      finish(true);
    });
  }
  if (!o.node) return;
  auto why = prepare_node_anchor(o.node_dir);
  if (!why.empty()) {
    std::printf("   Node ws anchor skipped: %s\n", why.c_str());
    return;
  }
  std::vector<std::string> argv;
  bool const pinned = o.pin && ::sysconf(_SC_NPROCESSORS_ONLN) >= 2;
  if (pinned) argv = {"taskset", "-c", "0"};
  argv.push_back("node");
  argv.push_back((fs::path(o.node_dir) / "server.mjs").string());
  auto const tmpl = make_temp_dir(o.dir, "hearth-load-node-");  // the Node server's log
  auto node = spawn_server(argv, tmpl / "node.log", "listening ");
  if (node.pid < 0) {
    std::printf("   Node ws anchor did not start (see %s/node.log)\n", tmpl.c_str());
    return;
  }
  {
    driver nd(node.port);
    auto poster = nd.open("forum");
    nd.call(poster, "login", {{"pseudonym_pk", poster_p.pk_b64}, {"sig", "x"}});
    auto pts = measure_points(o, nd, node.pid, issuer_name, who, poster, poster_p, repeat, "Node ws");
    for (std::size_t i = 0; i < pts.size(); ++i) {
      std::string const key = "node." + std::to_string(o.points[i]) + ".";
      record(key + "idle_kb", pts[i].idle_kb);
      record(key + "sub_kb", pts[i].sub_kb);
      record(key + "cpu_ms", pts[i].cpu_ms_per_post);
    }
    nd.async<bool>([&](auto finish) {
      poster->abort();
      finish(true);
    });
    stop_server(node);
    nd.stop();
  }
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

// ================================================================ table

struct row {
  std::string figure, median, spread, anchor, ratio, goal, met;
};

std::string med(std::string const& key, int dec = 0, std::string const& unit = "") {
  auto s = summary(key);
  return s ? fmt(s->median, dec) + unit : "-";
}
std::string spr(std::string const& key, int dec = 0) {
  auto s = summary(key);
  return s ? "[" + fmt(s->min, dec) + " .. " + fmt(s->max, dec) + "]" : "-";
}

// An anchor beside a figure: its value (a median), and the key it was read
// from when it is one of this run's figures, recorded once in every repeat.
struct anchor_ref {
  std::optional<double> value;
  std::string key;
  anchor_ref(std::nullopt_t = std::nullopt) {}
  anchor_ref(std::optional<double> v, std::string k = {}) : value(v), key(std::move(k)) {}
};

// Of the repeats that recorded `key`, how many met the goal, each against
// the anchor its own repeat measured or, when the anchor is not a figure
// of every repeat, against the anchor's value. Nullopt when the goal does
// not apply.
std::optional<std::pair<std::size_t, std::size_t>> met_in_repeats(
    std::string const& key, anchor_ref const& anchor,
    std::function<std::optional<bool>(double, std::optional<double>)> const& met) {
  auto const it = figures.find(key);
  if (it == figures.end()) return std::nullopt;
  auto const a = anchor.key.empty() ? figures.end() : figures.find(anchor.key);
  bool const paired = a != figures.end() && a->second.size() == it->second.size();
  std::size_t yes = 0;
  for (std::size_t i = 0; i < it->second.size(); ++i) {
    auto const m = met(it->second[i], paired ? std::optional<double>(a->second[i]) : anchor.value);
    if (!m) return std::nullopt;
    yes += *m ? 1 : 0;
  }
  return std::make_pair(yes, it->second.size());
}

void print_table(options const& o) {
  std::vector<row> rows;
  auto add = [&](std::string figure, std::string const& key, int dec, std::string unit, std::string anchor, anchor_ref const& anchor_r,
                 bool ratio_as_percent, std::string goal, std::function<std::optional<bool>(double, std::optional<double>)> met) {
    auto s = summary(key);
    auto const& anchor_v = anchor_r.value;
    row r{std::move(figure), med(key, dec, unit), spr(key, dec), std::move(anchor), "-", std::move(goal), "-"};
    if (s && anchor_v && *anchor_v > 0)
      r.ratio = ratio_as_percent ? fmt(s->median / *anchor_v * 100, 1) + " %" : fmt(s->median / *anchor_v, 2) + "x";
    if (s && met) {
      auto m = met(s->median, anchor_v);
      r.met = !m ? "n/a" : *m ? "yes" : "NO";
      // The median can meet a goal that some repeats missed: say how many did.
      if (auto const k = met_in_repeats(key, anchor_r, met); m && k && k->second > 1)
        r.met += " (" + std::to_string(k->first) + " of " + std::to_string(k->second) + ")";
    }
    if (!s) return;  // its phase did not run
    rows.push_back(std::move(r));
  };
  auto anchor_of = [](std::string const& key) -> anchor_ref {
    auto s = summary(key);
    return {s ? std::optional<double>(s->median) : std::nullopt, key};
  };
  for (double rate : o.rates) {
    std::string const k = "mixed." + fmt(rate) + ".";
    bool const goal_rate = rate == 1000;
    std::string const tail = " @" + fmt(rate) + "/s, " + fmt(static_cast<double>(o.subscribers)) + " subs in " +
                             fmt(static_cast<double>(o.channels)) + " channels";
    auto const base = anchor_of("mixed.base." + fmt(rate) + ".reply_p99");
    add("reply p99" + tail, k + "reply_p99", 2, " ms", base.value ? fmt(*base.value, 2) + " ms (nobody subscribed)" : "-", base, false,
        goal_rate ? "<= 20 ms" : "-",
        [&](double v, auto) { return goal_rate ? std::optional<bool>(v <= goal_reply_p99_ms) : std::nullopt; });
    add("reply p50 / p99.9 / max" + tail, k + "reply_p999", 2, " ms (p99.9)", med(k + "reply_p50", 2) + " ms p50, " + med(k + "reply_max", 1) + " ms max",
        std::nullopt, false, "-", nullptr);
    add("push p99" + tail, k + "push_p99", 2, " ms", "-", std::nullopt, false, goal_rate ? "<= 50 ms" : "-",
        [&](double v, auto) { return goal_rate ? std::optional<bool>(v <= goal_push_p99_ms) : std::nullopt; });
    add("push p50 / p99.9 / max" + tail, k + "push_p999", 2, " ms (p99.9)", med(k + "push_p50", 2) + " ms p50, " + med(k + "push_max", 1) + " ms max",
        std::nullopt, false, "-", nullptr);
    add("slow-subscriber closes" + tail, k + "slow_closed", 0, "", "-", std::nullopt, false, goal_rate ? "0" : "-",
        [&](double v, auto) { return goal_rate ? std::optional<bool>(v == 0) : std::nullopt; });
    add("readers that kept up but missed a post" + tail, k + "missed_subs", 0, "", "-", std::nullopt, false, "0",
        [](double v, auto) { return std::optional<bool>(v == 0); });
    add("posts unanswered 15 s after the last send" + tail, k + "unanswered", 0, "", "-", std::nullopt, false, "-", nullptr);
  }
  add("fdatasync+fsync per acknowledged post (strace)", "sync.fdatasync_per_post", 3, "", med("sync.wal_per_post", 3) + " WAL syncs/post",
      anchor_of("sync.wal_per_post"), false, "-", nullptr);
  auto const feed_anchor = storage_anchor ? storage_anchor : std::optional<double>(design_feed_pages);
  add("feed pages of 50 (" + med("feed.kb", 1) + " KB)/s through WebSocket+JSON", "feed.pages", 0, "",
      storage_anchor ? fmt(*storage_anchor) + " (bench_storage, store level, cpu 0)" : fmt(design_feed_pages) + " (DESIGN.md, store level)",
      feed_anchor, true, ">= 20,000", [](double v, auto) { return std::optional<bool>(v >= goal_feed_pages); });
  add("grown store: posts/s, 100 authors", "grown.posts", 0, "", med("grown.small_posts") + " (small store, same run)",
      anchor_of("grown.small_posts"), true, ">= 80 % of small",
      [](double v, std::optional<double> a) { return a ? std::optional<bool>(v >= goal_grown_ratio * *a) : std::nullopt; });
  add("grown store: certify/s", "grown.certify", 0, "", med("grown.small_certify") + " (small store)", anchor_of("grown.small_certify"), true, "-", nullptr);
  add("grown store: login/s", "grown.login", 0, "", med("grown.small_login") + " (small store)", anchor_of("grown.small_login"), true, "-", nullptr);
  add("grown store: feed pages of 50/s", "grown.feed", 0, "", med("grown.small_feed") + " (small store)", anchor_of("grown.small_feed"), true, "-", nullptr);
  add("grown store: hearth_io_handoffs_total (increase)", "grown.handoffs", 0, "", "-", std::nullopt, false, "-", nullptr);
  add("grown store: RocksDB write stalls (hearth_write_stalls_total)", "grown.stalls", 0, "", "-", std::nullopt, false, "-", nullptr);
  for (auto p : o.points) {
    std::string const k = "conn." + std::to_string(p) + ".", n = "node." + std::to_string(p) + ".";
    std::string const at = " @" + fmt(static_cast<double>(p));
    add("RSS per idle connection" + at, k + "idle_kb", 1, " KB", med(n + "idle_kb", 1) + " KB (Node ws)", anchor_of(n + "idle_kb"), false,
        "<= Node", [](double v, std::optional<double> a) { return a ? std::optional<bool>(v <= *a) : std::nullopt; });
    add("RSS per subscriber" + at, k + "sub_kb", 1, " KB", med(n + "sub_kb", 1) + " KB (Node ws)", anchor_of(n + "sub_kb"), false, "-", nullptr);
    add("server CPU per post fanned out" + at, k + "cpu_ms", 2, " ms", med(n + "cpu_ms", 2) + " ms (Node ws)", anchor_of(n + "cpu_ms"), false,
        "-", nullptr);
  }
  // the checks: totals over every phase and repeat
  auto check_row = [&](std::string name, std::size_t v) {
    rows.push_back({std::move(name), fmt(static_cast<double>(v)), "(total)", "-", "-", "0", v == 0 ? "yes" : "NO"});
  };
  check_row("issue replies failed", checks.issue_failed);
  check_row("blind signatures that failed finalize+verify", checks.finalize_failed);
  check_row("certify failed", checks.certify_failed);
  check_row("certified pseudonyms not read back by profile", checks.profile_mismatch);
  check_row("logins failed", checks.login_failed);
  check_row("posts failed", checks.post_failed);
  check_row("acknowledged posts not read back (of " + fmt(static_cast<double>(checks.readback_checked)) + ")", checks.readback_bad);
  check_row("deliveries missed by readers that kept up", checks.missed_deliveries);
  check_row("duplicate or wrong-channel deliveries", checks.duplicate_deliveries + checks.wrong_channel);
  check_row("feed replies failed or differing from the checked page", checks.feed_failed + checks.feed_mismatch);
  rows.push_back({"durable posts/s (100 authors) vs Ed25519 verify; issue vs openssl sign", "see bench_server", "-", "-", "-",
                  ">= 20,000/s, >= 75 %; >= 90 %", "-"});

  std::size_t w[7] = {6, 6, 6, 6, 5, 4, 4};
  for (auto const& r : rows) {
    std::string const* c[7] = {&r.figure, &r.median, &r.spread, &r.anchor, &r.ratio, &r.goal, &r.met};
    for (int i = 0; i < 7; ++i) w[i] = std::max(w[i], c[i]->size());
  }
  std::printf("\nbench_load (%s, %zu repeat(s); median and spread [min..max]; anchors from the same run; ratio = median / anchor; "
              "met? is the median's, then in how many repeats)\n",
              o.quick ? "--quick" : "full", o.repeats);
  std::printf("%-*s | %*s | %-*s | %-*s | %*s | %-*s | %s\n", int(w[0]), "figure", int(w[1]), "median", int(w[2]), "spread", int(w[3]),
              "anchor", int(w[4]), "ratio", int(w[5]), "goal", "met?");
  for (auto const& r : rows)
    std::printf("%-*s | %*s | %-*s | %-*s | %*s | %-*s | %s\n", int(w[0]), r.figure.c_str(), int(w[1]), r.median.c_str(), int(w[2]),
                r.spread.c_str(), int(w[3]), r.anchor.c_str(), int(w[4]), r.ratio.c_str(), int(w[5]), r.goal.c_str(), r.met.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  set_program_name("bench_load");
  options o;
  bool repeats_given = false, duration_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string const a = argv[i];
    auto next = [&] { return arg_value(argc, argv, i); };
    if (a == "--hearth") o.hearth = next();
    else if (a == "--quick") o.quick = true;
    else if (a == "--repeats") o.repeats = std::max<std::size_t>(1, std::stoul(next())), repeats_given = true;
    else if (a == "--phase") o.phase = next();
    else if (a == "--duration") o.duration = std::stod(next()), duration_given = true;
    else if (a == "--warmup") o.warmup = std::stod(next());
    else if (a == "--rates") o.rates = parse_list(next());
    else if (a == "--subscribers") o.subscribers = std::stoul(next());
    else if (a == "--authors") o.authors = std::max<std::size_t>(1, std::stoul(next()));
    else if (a == "--channels") o.channels = std::max<std::size_t>(1, std::stoul(next()));
    else if (a == "--feed-rate") o.feed_rate = std::max(1.0, std::stod(next()));
    else if (a == "--points") {
      o.points.clear();
      for (double p : parse_list(next())) o.points.push_back(static_cast<std::size_t>(p));
    } else if (a == "--grown-posts") o.grown_posts = std::stoul(next());
    else if (a == "--grown-pseudonyms") o.grown_pseudonyms = std::max<std::size_t>(100, std::stoul(next()));
    else if (a == "--grown-channels") o.grown_channels = std::max<std::size_t>(1, std::stoul(next()));
    else if (a == "--cache-mb") o.cache_mb = std::max<std::size_t>(1, std::stoul(next()));
    else if (a == "--dir") o.dir = next();
    else if (a == "--bench-storage") o.bench_storage = next();
    else if (a == "--no-node") o.node = false;
    else if (a == "--node-anchor") o.node_dir = next();
    else if (a == "--no-pin") o.pin = false;
    else if (a == "--keep") o.keep = true;
    else if (a == "--perf") o.perf_phase = next(), o.keep = true;
    else if (a == "--perf-args") o.perf_args = next();
    else if (a == "--help" || a == "-h") {
      std::puts("usage: bench_load [--hearth PATH] [--quick] [--repeats N] [--phase all|mixed|feed|grown|connections]\n"
                "                  [--duration S] [--warmup S] [--rates 100,1000,5000] [--subscribers N] [--authors N]\n"
                "                  [--channels N] [--feed-rate N] [--points 1000,10000,50000] [--grown-posts N]\n"
                "                  [--grown-pseudonyms N] [--grown-channels N] [--cache-mb N] [--dir DIR] [--bench-storage PATH]\n"
                "                  [--no-node] [--node-anchor DIR] [--no-pin] [--keep] [--perf mixed|feed|grown [--perf-args ARGS]]");
      return 0;
    } else die("unknown argument " + a + " (see --help)");
  }
  if (o.quick) {
    if (!repeats_given) o.repeats = 1;
    if (!duration_given) o.duration = 5;
    o.warmup = std::min(o.warmup, 1.0);
    o.rates = {100, 1000};
    o.subscribers = std::min<std::size_t>(o.subscribers, 500);
    o.channels = std::min<std::size_t>(o.channels, 20);
    o.authors = std::min<std::size_t>(o.authors, 50);
    o.feed_posts = 300;
    o.feed_pages = 5000;
    o.grown_posts = std::min<std::size_t>(o.grown_posts, 20000);
    o.grown_pseudonyms = std::min<std::size_t>(o.grown_pseudonyms, 2000);
    o.grown_channels = std::min<std::size_t>(o.grown_channels, 20);
    o.store_tokens = 200;
    o.store_logins = 200;
    o.store_posts_per_author = 10;
    o.store_feed_pages = 2000;
    o.points = {500, 2000};
    o.point_pseudonyms = 100;
    o.point_posts = 5;
  }
  static std::vector<std::string> const phases{"mixed", "feed", "grown", "connections"};
  if (o.phase != "all" && std::find(phases.begin(), phases.end(), o.phase) == phases.end())
    die("unknown phase " + o.phase + " (all, mixed, feed, grown, connections)");
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (crypto::ed25519::generate().public_key.empty()) die("libsodium did not initialise");
  if (o.hearth.empty()) o.hearth = find_hearth_binary();
  if (o.bench_storage.empty()) {
    // beside this binary (the build tree's tests/bench), else in the build
    // tree of the hearth binary: a copied binary under test still gets its anchor
    for (auto const& p : {own_dir() / "bench_storage", fs::path(o.hearth).parent_path() / "tests" / "bench" / "bench_storage"})
      if (o.bench_storage.empty() && fs::exists(p)) o.bench_storage = p.string();
  }
  std::error_code ec;
  fs::create_directories(o.dir, ec);
  std::string const fstype = filesystem_of(o.dir);

  // descriptors: the largest point on each side, and then some (root may raise the hard limit)
  std::size_t const most = std::max(o.subscribers, *std::max_element(o.points.begin(), o.points.end()));
  std::size_t const fds = raise_fd_limit(most + 4096);
  if (fds < most + 1024) {
    std::size_t const fit = fds > 2048 ? fds - 1024 : 1024;
    std::printf("note: RLIMIT_NOFILE is %zu; connection counts above %zu are lowered to it\n", fds, fit);
    for (auto& p : o.points) p = std::min(p, fit);
    o.subscribers = std::min(o.subscribers, fit);
  }
  bool const pinned = o.pin && ::sysconf(_SC_NPROCESSORS_ONLN) >= 2;
  std::printf("bench_load: hearth %s; data under %s on %s; server on %s, client on %s; %zu repeat(s)%s; fd limit %zu\n",
              o.hearth.c_str(), o.dir.c_str(), fstype.c_str(), pinned ? "cpu 0" : "any core", pinned ? "cpu 1" : "any core",
              o.repeats, o.quick ? " (--quick)" : "", fds);
  auto const t0 = clock_type::now();
  auto want = [&](std::string const& p) { return o.phase == "all" || o.phase == p; };
  for (std::size_t r = 0; r < o.repeats; ++r) {
    if (want("mixed")) phase_mixed(o, r);
    if (want("feed")) phase_feed(o, r);
    if (want("grown")) phase_grown(o, r);
    if (want("connections")) phase_connections(o, r);
  }
  print_table(o);
  std::printf("bench_load took %.0f s; data ran on %s\n", seconds_since(t0), fstype.c_str());
  std::size_t const failures = checks.issue_failed + checks.finalize_failed + checks.certify_failed + checks.profile_mismatch +
                               checks.login_failed + checks.post_failed + checks.readback_bad + checks.missed_deliveries +
                               checks.duplicate_deliveries + checks.wrong_channel + checks.feed_failed + checks.feed_mismatch;
  std::fflush(stdout);
  // open client streams need no orderly teardown: their servers are gone
  std::_Exit(failures == 0 ? 0 : 3);
}
