// bench_server: the real `hearth serve` under load from a Beast WebSocket
// client, each figure printed beside an anchor (measured in the same run where
// one can be) as a ratio, then a table against the floors of DESIGN.md.
//
//   1. issue/s through /v1/issuer            vs `openssl speed -seconds 3 rsa2048` sign/s
//                                               on the server's core(s)
//   2. certify/s through /v1/forum            vs openssl verify/s (same run); floor 10,000/s
//   3. durable posts/s, 100 authors           vs libsodium Ed25519 verify/s on one core
//                                               (same run) and raw RocksDB synced batches
//                                               (DESIGN.md); floor 15,000/s, p99 <= 20 ms
//   4. fan-out of one post to 10,000           p99 delivery vs a Node `ws` server (same run);
//      subscribers                             floor 200 ms
//   5. server RSS for 10,000 idle              minus the fresh server's baseline, vs a Node `ws`
//      WebSocket connections                   server (same run); floor 120 MB
//
// The Node `ws` anchor (tests/bench/node_ws_anchor/server.mjs) runs after hearth
// has stopped, on the same core, with the same client code: the same number of
// idle connections, then the same logins, subscriptions and posts, its RSS and
// delivery latency measured the same way. `npm ci` installs its one dependency
// when node_modules is missing; without node (or npm) the anchor is skipped and
// the figures stand beside the numbers quoted in DESIGN.md only, which the table
// always shows in its last column.
//
// The bench starts the server itself: a fresh data directory, `hearth init`
// with a bench config (rate limits and quota out of the way, fast Argon2id),
// `hearth serve --listen 127.0.0.1:0`. With two or more cores the server is
// pinned to core 0 (taskset) and this client to core 1, and the OpenSSL anchor
// runs on core 0 as well: both sides of every ratio use the same one core.
//
// Usage: bench_server [--hearth PATH] [--quick] [--post-window N]
//                     [--subscribers N] [--issue-connections N] [--no-pin] [--keep]
//                     [--no-node] [--node-anchor DIR]
//   --post-window N        posts in flight per author (default 1)
//   --issue-connections N  issuer connections, one employee each (default 16)
//   --extra-config TOML    appended to the server's bench config, e.g. "[server]\nio_threads = 1"
//   --no-node              skip the Node `ws` anchor
//   --node-anchor DIR      where server.mjs and package.json are (default: the source tree's)
#include "crypto/blind_rsa.hpp"
#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace json = boost::json;
namespace crypto = hearth::crypto;
namespace blind_rsa = hearth::crypto::blind_rsa;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

// ------------------------------------------------------------------ anchors

constexpr double design_rsa_sign_per_core = 4760;      // DESIGN.md, for reference only
constexpr double design_rsa_verify = 79000;            // RSA-2048 verify/s
constexpr double design_ed25519_per_core = 27400;      // libsodium Ed25519 verify/s per core
constexpr double design_rocksdb_batches = 325000;      // synced batches of 100, records/s
constexpr double bare_beast_idle_mb = 70;              // 10,000 idle connections
constexpr double design_node_idle_mb = 113;            // Node `ws`, 10,000 idle connections
constexpr double bare_beast_rtt_cpu_us = 9.4;          // CPU per round trip

constexpr double floor_issue_ratio = 0.85;
constexpr double floor_certify = 10000;
constexpr double floor_posts = 15000;
constexpr double floor_post_p99_ms = 20;
constexpr double floor_fanout_p99_ms = 200;
constexpr double floor_idle_mb = 120;

constexpr char const* admin_password = "bench-admin-password";
constexpr char const* employee_password = "bench employee password";
constexpr std::size_t connect_window = 256;   // connection attempts in flight
constexpr std::uint64_t job_id_base = std::uint64_t{1} << 40;  // ids of pre-built frames

struct options {
  std::string hearth;
  bool quick = false;
  bool pin = true;
  bool keep = false;
  std::string extra_config;  // TOML appended to the bench config (experiments)
  bool node = true;          // measure the Node `ws` anchor
#ifdef HEARTH_NODE_ANCHOR_DIR
  std::string node_dir = HEARTH_NODE_ANCHOR_DIR;
#else
  std::string node_dir;
#endif
  std::size_t tokens = 8000;        // issued, then certified
  std::size_t issue_connections = 16;  // one employee each (a per-employee lock spans the synced commit)
  std::size_t issue_window = 64;      // in flight per connection
  std::size_t certify_connections = 8;
  std::size_t certify_window = 32;
  std::size_t authors = 100;
  std::size_t posts_per_author = 400;
  std::size_t post_window = 1;
  std::size_t subscribers = 10000;
  std::size_t subscriber_pseudonyms = 20;
  std::size_t fanout_posts = 10;
  std::string perf_phase;  // issue|certify|posts: record the server with `perf record` during it
  std::string perf_args = "-F 4999";
};

[[noreturn]] void die(std::string const& what) {
  std::fprintf(stderr, "bench_server: %s\n", what.c_str());
  std::fflush(stdout);
  std::_Exit(1);
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::size_t const i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

std::string fmt(double v, int decimals = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string_view const s = buf;
  // thousands separators on the integer part
  std::size_t const sign = s.starts_with('-') ? 1 : 0;
  std::size_t const end = std::min(s.find('.'), s.size());
  std::string out(s.substr(0, sign));
  for (std::size_t i = sign; i < end; ++i) {
    if (i > sign && (end - i) % 3 == 0) out += ',';
    out += s[i];
  }
  out += s.substr(end);
  return out;
}

// ------------------------------------------------------------------ process

struct server_process {
  pid_t pid = -1;
  std::string url;
  unsigned short port = 0;
  std::thread drain;
};

std::string shell_quote(std::string const& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command, returns its stdout; dies on failure unless allowed.
std::string run_capture(std::string const& cmd, bool must_succeed = true) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) die("cannot run: " + cmd);
  std::string out;
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int const rc = ::pclose(p);
  if (must_succeed && rc != 0) die("command failed (" + std::to_string(rc) + "): " + cmd + "\n" + out);
  return out;
}

// `perf record` attached to the server for one phase (--perf PHASE); stops on
// destruction and says where the profile is.
class perf_recording {
 public:
  perf_recording(options const& o, std::string_view phase, pid_t server, fs::path const& dir) {
    if (o.perf_phase != phase) return;
    file_ = dir / ("perf-" + std::string(phase) + ".data");
    std::string cmd = "exec perf record " + o.perf_args + " -p " + std::to_string(server) + " -o " + file_.string() +
                      " >" + (dir / "perf.log").string() + " 2>&1";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // perf attaches
  }
  ~perf_recording() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGINT);
    ::waitpid(pid_, nullptr, 0);
    std::printf("   perf profile of this phase: %s (perf report -i %s)\n", file_.c_str(), file_.c_str());
  }
  perf_recording(perf_recording const&) = delete;
  perf_recording& operator=(perf_recording const&) = delete;

 private:
  pid_t pid_ = -1;
  fs::path file_;
};

// Starts argv with stdout on a pipe and stderr in log_file, and waits for the
// line "<marker><address>" on stdout: a URL ending in :PORT, or a bare port.
server_process spawn_server(std::vector<std::string> argv, fs::path const& log_file,
                            std::string const& marker = "hearth listening on ") {
  int fds[2];
  if (::pipe(fds) != 0) die("pipe");
  pid_t const pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    FILE* log = std::fopen(log_file.c_str(), "w");
    if (log) ::dup2(::fileno(log), 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::perror("exec");
    std::_Exit(127);
  }
  ::close(fds[1]);
  server_process s;
  s.pid = pid;
  std::string seen;
  char buf[512];
  auto const deadline = clock_type::now() + std::chrono::seconds(30);
  while (clock_type::now() < deadline) {
    auto n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<std::size_t>(n));
    auto at = seen.find(marker);
    if (at != std::string::npos) {
      auto eol = seen.find('\n', at);
      if (eol == std::string::npos) continue;
      s.url = seen.substr(at + marker.size(), eol - at - marker.size());
      break;
    }
  }
  if (s.url.empty()) {
    ::close(fds[0]);
    s.pid = -1;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return s;
  }
  auto colon = s.url.rfind(':');
  s.port = static_cast<unsigned short>(std::stoul(colon == std::string::npos ? s.url : s.url.substr(colon + 1)));
  int const rfd = fds[0];
  s.drain = std::thread([rfd] {
    char b[4096];
    while (::read(rfd, b, sizeof b) > 0) {
    }
    ::close(rfd);
  });
  return s;
}

// SIGTERM, then SIGKILL after 5 s; reaps the process and joins the stdout drain.
void stop_server(server_process& s) {
  if (s.pid < 0) return;
  ::kill(s.pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100 && ::waitpid(s.pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (::waitpid(s.pid, &status, WNOHANG) == 0) {
    ::kill(s.pid, SIGKILL);
    ::waitpid(s.pid, &status, 0);
  }
  if (s.drain.joinable()) s.drain.join();
  s.pid = -1;
}

// Resident memory of a process in MB (VmRSS).
double rss_mb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

// Context switches (voluntary + involuntary) over all of a process's threads.
double context_switches(pid_t pid) {
  double n = 0;
  std::error_code ec;
  for (auto const& t : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(t.path() / "status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        n += std::stod(line.substr(line.find(':') + 1));
  }
  return n;
}

// One counter from the server's /metrics (0 if absent or unreachable).
double metric(unsigned short port, std::string const& name) {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket sock(io);
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    std::string const req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    boost::asio::write(sock, boost::asio::buffer(req));
    std::string body;
    boost::system::error_code ec;
    boost::asio::read(sock, boost::asio::dynamic_buffer(body), ec);
    std::istringstream in(body);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  } catch (std::exception const&) {
  }
  return 0;
}

// Server-side counts over one phase: WAL syncs and context switches per op.
struct server_counts {
  unsigned short port;
  pid_t pid;
  double syncs0 = metric(port, "hearth_wal_syncs_total"), switches0 = context_switches(pid);
  std::string per(std::size_t ops) const {
    double const n = static_cast<double>(std::max<std::size_t>(1, ops));
    char buf[160];
    std::snprintf(buf, sizeof buf, "%.2f WAL syncs and %.1f context switches per op",
                  (metric(port, "hearth_wal_syncs_total") - syncs0) / n, (context_switches(pid) - switches0) / n);
    return buf;
  }
};

// CPU seconds (user + system) a process has used.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = all.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(all.substr(close + 2));
  std::string f;
  double ut = 0, st = 0;
  for (int i = 3; i <= 15 && (rest >> f); ++i) {
    if (i == 14) ut = std::stod(f);
    if (i == 15) st = std::stod(f);
  }
  return (ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// ---------------------------------------------------------------- websocket

// A WebSocket client connection: one write in flight with a queue behind it,
// one read always pending; replies are matched to callbacks by id, pushes go
// to on_event. Every member is used from the single I/O thread only.
class ws_client : public std::enable_shared_from_this<ws_client> {
 public:
  using reply_fn = std::function<void(std::string_view raw, bool ok)>;

  explicit ws_client(net::io_context& ioc) : ws_(ioc) {}

  void open(tcp::endpoint ep, std::string host, std::string target, std::function<void(beast::error_code)> done) {
    beast::get_lowest_layer(ws_).async_connect(
        ep, [self = shared_from_this(), host = std::move(host), target = std::move(target),
             done = std::move(done)](beast::error_code ec) mutable {
          if (ec) return done(ec);
          beast::error_code ignored;
          beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true), ignored);
          self->ws_.read_message_max(std::size_t{1} << 24);
          self->ws_.text(true);
          self->ws_.async_handshake(host, target, [self, done = std::move(done)](beast::error_code ec) {
            if (!ec) {
              self->open_ = true;
              self->do_read();
            }
            done(ec);
          });
        });
  }

  // Sends a frame already holding "id": id.
  void send_frame(std::uint64_t id, std::string frame, reply_fn cb) {
    if (closed_) return cb("connection closed", false);
    pending_.emplace(id, std::move(cb));
    queue_.push_back(std::move(frame));
    if (!writing_) do_write();
  }

  void call(std::string const& op, json::object fields, reply_fn cb) {
    auto const id = next_id_++;
    fields["id"] = id;
    fields["op"] = op;
    send_frame(id, json::serialize(fields), std::move(cb));
  }

  // Closes the socket at once (frees its descriptor); pending calls fail.
  void abort() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  std::function<void(std::string_view)> on_event;
  bool is_open() const { return open_ && !closed_; }
  std::string const& close_reason() const { return close_reason_; }

 private:
  void do_write() {
    writing_ = true;
    ws_.async_write(net::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->queue_.pop_front();
      if (ec) return self->fail(ec);
      if (!self->queue_.empty()) self->do_write();
    });
  }

  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail(ec);
      self->on_frame();
      self->buffer_.consume(self->buffer_.size());
      self->do_read();
    });
  }

  void on_frame() {
    std::string_view raw(static_cast<char const*>(buffer_.data().data()), buffer_.size());
    constexpr std::string_view event_prefix = "{\"event\"";
    constexpr std::string_view id_prefix = "{\"id\":";
    if (raw.starts_with(event_prefix)) {
      if (on_event) on_event(raw);
      return;
    }
    std::uint64_t id = 0;
    std::size_t pos = id_prefix.size();
    if (!raw.starts_with(id_prefix) || pos >= raw.size() || raw[pos] < '0' || raw[pos] > '9') {
      ++orphans_;
      return;
    }
    while (pos < raw.size() && raw[pos] >= '0' && raw[pos] <= '9') id = id * 10 + static_cast<std::uint64_t>(raw[pos++] - '0');
    bool const ok = raw.substr(pos).starts_with(",\"ok\":true");
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    auto cb = std::move(it->second);
    pending_.erase(it);
    cb(raw, ok);
  }

  void fail(beast::error_code ec) {
    if (closed_) return;
    closed_ = true;
    close_reason_ = ec.message();
    if (ec == websocket::error::closed) close_reason_ = "closed by the server: " + std::string(ws_.reason().reason.data(), ws_.reason().reason.size());
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [_, cb] : pending) cb(close_reason_, false);
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::unordered_map<std::uint64_t, reply_fn> pending_;
  std::uint64_t next_id_ = 1;
  std::size_t orphans_ = 0;
  bool writing_ = false, open_ = false, closed_ = false;
  std::string close_reason_;
};
using client_ptr = std::shared_ptr<ws_client>;

json::object result_of(std::string_view raw) {
  boost::system::error_code ec;
  auto v = json::parse(raw, ec);
  if (ec || !v.is_object()) die("unparsable reply: " + std::string(raw.substr(0, 200)));
  auto& o = v.as_object();
  if (auto it = o.find("result"); it != o.end() && it->value().is_object()) return it->value().as_object();
  return {};
}

std::string error_of(std::string_view raw) {
  boost::system::error_code ec;
  auto v = json::parse(raw, ec);
  if (ec || !v.is_object()) return std::string(raw.substr(0, 200));
  auto& o = v.as_object();
  if (auto it = o.find("error"); it != o.end() && it->value().is_object()) {
    auto& e = it->value().as_object();
    return json::value_to<std::string>(e.at("code")) + ": " + json::value_to<std::string>(e.at("message"));
  }
  return std::string(raw.substr(0, 200));
}

std::string str_of(json::object const& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) die("reply lacks string field " + std::string(key));
  return std::string(it->value().as_string());
}

crypto::bytes unb64(std::string_view s) {
  auto r = crypto::base64url_decode(s);
  if (!r) die("bad base64url from the server");
  return *r;
}

// The client side: an io_context on its own thread; the main thread hands it
// work and waits for results.
class driver {
 public:
  explicit driver(unsigned short port) : guard_(net::make_work_guard(ioc_)), ep_(net::ip::make_address("127.0.0.1"), port) {
    host_ = "127.0.0.1:" + std::to_string(port);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  net::io_context& ioc() { return ioc_; }

  // Runs fn on the I/O thread; fn gets a `done` to call (once) with its result.
  template <class T, class F>
  T async(F fn) {
    std::promise<T> p;
    auto fut = p.get_future();
    net::post(ioc_, [&p, fn = std::move(fn)]() mutable { fn([&p](T v) { p.set_value(std::move(v)); }); });
    return fut.get();
  }

  // Opens n connections to /v1/<endpoint>, at most connect_window at a time.
  std::vector<client_ptr> open_many(std::size_t n, std::string const& endpoint, std::size_t* failures = nullptr) {
    struct state {
      std::vector<client_ptr> out;
      std::size_t started = 0, finished = 0, failed = 0;
      std::string first_error;
      std::function<void()> launch;
      std::function<void(std::size_t)> done;
    };
    auto result = async<std::shared_ptr<state>>([this, n, endpoint](auto finish) {
      auto st = std::make_shared<state>();
      st->out.resize(n);
      if (n == 0) return finish(st);
      st->launch = [this, st, n, endpoint, finish] {
        while (st->started < n && st->started - st->finished < connect_window) {
          auto const i = st->started++;
          auto c = std::make_shared<ws_client>(ioc_);
          st->out[i] = c;
          c->open(ep_, host_, "/v1/" + endpoint, [st, n, finish](beast::error_code ec) {
            ++st->finished;
            if (ec) {
              if (st->failed++ == 0) st->first_error = ec.message();
            }
            if (st->finished == n) {
              return finish(st);
            }
            st->launch();
          });
        }
      };
      st->launch();
    });
    if (failures) *failures = result->failed;
    if (result->failed && !failures) die("could not open " + std::to_string(result->failed) + " of " + std::to_string(n) +
                                         " connections: " + result->first_error);
    if (result->failed)
      std::printf("  (%zu of %zu connections failed: %s)\n", result->failed, n, result->first_error.c_str());
    std::vector<client_ptr> open;
    for (auto& c : result->out)
      if (c && c->is_open()) open.push_back(c);
    return open;
  }

  client_ptr open(std::string const& endpoint) { return open_many(1, endpoint).at(0); }

  // One request, waiting for its reply; dies on failure unless allowed.
  json::object call(client_ptr const& c, std::string const& op, json::object fields = {}) {
    auto r = async<std::pair<bool, std::string>>([c, op, fields = std::move(fields)](auto finish) mutable {
      c->call(op, std::move(fields), [finish](std::string_view raw, bool ok) { finish({ok, std::string(raw)}); });
    });
    if (!r.first) die(op + " failed: " + error_of(r.second));
    return result_of(r.second);
  }

  void stop() {
    guard_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  net::io_context ioc_{1};
  net::executor_work_guard<net::io_context::executor_type> guard_;
  tcp::endpoint ep_;
  std::string host_;
  std::thread thread_;
};

// Pre-built requests sent over one connection with at most `window` in flight.
struct pipe_job {
  client_ptr c;
  std::vector<std::string> frames;   // frame i carries id job_id_base + i
  std::size_t window = 1;
  std::size_t next = 0, inflight = 0, done = 0;
  std::vector<clock_type::time_point> sent;
};

struct pipe_result {
  double seconds = 0;
  std::size_t ok = 0, failed = 0;
  std::string first_error;
  std::vector<double> latency_us;  // of every reply, in no particular order
};

// Sends every job's frames, keeping each job's window full; on_ok(job, i, raw)
// sees each successful reply. Returns wall time from the first send to the last reply.
pipe_result run_pipelines(driver& d, std::vector<pipe_job>& jobs,
                          std::function<void(std::size_t, std::size_t, std::string_view)> on_ok = nullptr) {
  struct state {
    pipe_result r;
    std::size_t remaining = 0;
    clock_type::time_point start;
    std::function<void(std::size_t)> pump;
  };
  std::size_t total = 0;
  for (auto& j : jobs) {
    j.sent.resize(j.frames.size());
    total += j.frames.size();
  }
  return d.async<pipe_result>([&jobs, total, on_ok](auto finish) {
    auto st = std::make_shared<state>();
    st->remaining = total;
    st->r.latency_us.reserve(total);
    if (total == 0) return finish(st->r);
    st->start = clock_type::now();
    st->pump = [st, &jobs, on_ok, finish](std::size_t ji) {
      auto& j = jobs[ji];
      while (j.inflight < j.window && j.next < j.frames.size()) {
        auto const i = j.next++;
        ++j.inflight;
        j.sent[i] = clock_type::now();
        j.c->send_frame(job_id_base + i, std::move(j.frames[i]),
                        [st, &jobs, ji, i, on_ok, finish](std::string_view raw, bool ok) {
                          auto& j = jobs[ji];
                          auto const now = clock_type::now();
                          st->r.latency_us.push_back(std::chrono::duration<double, std::micro>(now - j.sent[i]).count());
                          --j.inflight;
                          ++j.done;
                          if (ok) {
                            ++st->r.ok;
                            if (on_ok) on_ok(ji, i, raw);
                          } else if (st->r.failed++ == 0) {
                            st->r.first_error = error_of(raw);
                          }
                          if (--st->remaining == 0) {
                            st->r.seconds = std::chrono::duration<double>(now - st->start).count();
                            return finish(std::move(st->r));
                          }
                          st->pump(ji);
                        });
      }
    };
    for (std::size_t ji = 0; ji < jobs.size(); ++ji) st->pump(ji);
  });
}

std::string frame_with_id(std::uint64_t id, std::string_view op, json::object fields) {
  fields["id"] = id;
  fields["op"] = op;
  return json::serialize(fields);
}

// ------------------------------------------------------------------ fan-out

struct fanout_result {
  std::size_t posts = 0, subs = 0, deliveries = 0, missing = 0;
  double p50 = 0, p99 = 0, pmax = 0, worst_post_p99 = 0;  // ms
  double cpu_s = 0;                                      // the server's, over all posts
  double cpu_ms_per_post() const { return cpu_s * 1000 / static_cast<double>(std::max<std::size_t>(1, posts)); }
  double cpu_us_per_delivery() const {
    return cpu_s * 1e6 / static_cast<double>(std::max<std::size_t>(1, subs * posts));
  }
};

// Sends `posts` posts through `poster`, one at a time (frame_of(k, nonce) gives
// post k's id and frame); an event carrying post k's nonce at any of
// `subscribers` is one delivery, its latency counted from the send. Waits for
// all `subs` deliveries of a post (at most 10 s), then 200 ms, before the next.
fanout_result measure_fanout(driver& d, std::vector<client_ptr> const& subscribers, std::size_t subs, client_ptr const& poster,
                             std::size_t posts, pid_t server_pid,
                             std::function<std::pair<std::uint64_t, std::string>(std::size_t, std::string const&)> const& frame_of) {
  struct fan_state {
    std::vector<clock_type::time_point> sent;
    std::vector<std::vector<double>> lat_ms;
    std::vector<std::atomic<std::size_t>> got;
    std::unordered_map<std::string, std::size_t> by_nonce;
    explicit fan_state(std::size_t n) : sent(n), lat_ms(n), got(n) {}
  };
  auto fs_ = std::make_shared<fan_state>(posts);
  std::vector<std::string> nonces;
  for (std::size_t k = 0; k < posts; ++k) {
    nonces.push_back("fanout-nonce-" + std::to_string(1000 + k));
    fs_->by_nonce[nonces.back()] = k;
    fs_->lat_ms[k].reserve(subs);
  }
  d.async<bool>([&](auto finish) {
    for (auto const& c : subscribers)
      c->on_event = [fs_](std::string_view raw) {
        auto const now = clock_type::now();
        if (!raw.starts_with("{\"event\":\"post\"")) return;
        constexpr std::string_view key = "\"nonce\":\"";
        auto at = raw.find(key);
        if (at == std::string_view::npos) return;
        at += key.size();
        auto it = fs_->by_nonce.find(std::string(raw.substr(at, raw.find('"', at) - at)));
        if (it == fs_->by_nonce.end()) return;
        auto const k = it->second;
        fs_->lat_ms[k].push_back(std::chrono::duration<double, std::milli>(now - fs_->sent[k]).count());
        fs_->got[k].fetch_add(1, std::memory_order_relaxed);
      };
    finish(true);
  });

  fanout_result r;
  r.posts = posts;
  r.subs = subs;
  double const cpu0 = cpu_seconds(server_pid);
  for (std::size_t k = 0; k < posts; ++k) {
    auto [id, frame] = frame_of(k, nonces[k]);
    net::post(d.ioc(), [fs_, poster, k, id, frame = std::move(frame)]() mutable {
      fs_->sent[k] = clock_type::now();
      poster->send_frame(id, std::move(frame), [](std::string_view raw, bool ok) {
        if (!ok) std::printf("   fan-out post failed: %s\n", error_of(raw).c_str());
      });
    });
    auto const deadline = clock_type::now() + std::chrono::seconds(10);
    while (fs_->got[k].load(std::memory_order_relaxed) < subs && clock_type::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // stragglers, and a pause between posts
  }
  r.cpu_s = cpu_seconds(server_pid) - cpu0;
  std::vector<double> per_post_p99;
  auto all = d.async<std::vector<double>>([&](auto finish) {
    std::vector<double> v;
    for (auto& l : fs_->lat_ms) {
      std::vector<double> c = l;
      per_post_p99.push_back(percentile(c, 0.99));
      v.insert(v.end(), l.begin(), l.end());
    }
    for (auto& c : subscribers) c->on_event = nullptr;
    finish(std::move(v));
  });
  r.deliveries = all.size();
  r.missing = subs * posts > all.size() ? subs * posts - all.size() : 0;
  r.p50 = percentile(all, 0.5);
  r.p99 = percentile(all, 0.99);
  r.pmax = percentile(all, 1.0);
  r.worst_post_p99 = per_post_p99.empty() ? 0 : *std::max_element(per_post_p99.begin(), per_post_p99.end());
  return r;
}

// -------------------------------------------------------------------- table

struct row {
  std::string figure, value, anchor, ratio, floor;
  std::optional<bool> pass;  // nullopt: not measured
  std::string quoted = "-";  // the anchor as DESIGN.md quotes it
};

struct pseudonym {
  crypto::ed25519::keypair kp;
  std::string pk_b64;
};

// openssl speed's rsa2048 line: "rsa 2048 bits 0.000209s 0.000006s 4785.0 166666.7".
std::pair<double, double> parse_openssl_rsa(std::string const& out) {
  std::pair<double, double> r{0, 0};
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("rsa 2048 bits", 0) != 0) continue;
    std::istringstream f(line.substr(13));
    std::string t1, t2;
    double s = 0, v = 0;
    if (f >> t1 >> t2 >> s >> v) r = {s, v};
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string const a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--hearth") o.hearth = next();
    else if (a == "--quick") o.quick = true;
    else if (a == "--no-pin") o.pin = false;
    else if (a == "--keep") o.keep = true;
    else if (a == "--no-node") o.node = false;
    else if (a == "--node-anchor") o.node_dir = next();
    else if (a == "--post-window") o.post_window = std::stoul(next());
    else if (a == "--subscribers") o.subscribers = std::stoul(next());
    else if (a == "--extra-config") o.extra_config += next() + "\n";
    else if (a == "--perf") o.perf_phase = next(), o.keep = true;
    else if (a == "--perf-args") o.perf_args = next();
    else if (a == "--issue-connections") o.issue_connections = std::max<std::size_t>(1, std::stoul(next()));
    else if (a == "--help" || a == "-h") {
      std::puts("usage: bench_server [--hearth PATH] [--quick] [--post-window N] [--subscribers N] [--issue-connections N] [--extra-config TOML] [--no-pin] [--keep] [--no-node] [--node-anchor DIR] [--perf issue|certify|posts [--perf-args ARGS]]");
      return 0;
    } else die("unknown argument " + a);
  }
  if (o.quick) {
    o.tokens = 1500;
    o.posts_per_author = 60;
    if (o.subscribers == 10000) o.subscribers = 2000;
    o.fanout_posts = 5;
  }
  if (o.post_window == 0) o.post_window = 1;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (crypto::ed25519::generate().public_key.empty()) die("libsodium did not initialise");

  // ---- the server binary: next to this one's build tree unless given
  if (o.hearth.empty()) {
    fs::path self = fs::read_symlink("/proc/self/exe");
    for (auto dir = self.parent_path(); !dir.empty(); dir = dir.parent_path()) {
      if (fs::exists(dir / "hearth") && !fs::is_directory(dir / "hearth")) {
        o.hearth = (dir / "hearth").string();
        break;
      }
      if (dir == dir.root_path()) break;
    }
    if (o.hearth.empty()) die("cannot find the hearth binary; pass --hearth PATH");
  }

  // ---- file descriptors for 10,000 connections on each side (children inherit)
  rlimit fl{};
  ::getrlimit(RLIMIT_NOFILE, &fl);
  fl.rlim_cur = fl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &fl);
  ::getrlimit(RLIMIT_NOFILE, &fl);
  if (fl.rlim_cur < o.subscribers + 512) {
    std::size_t const fit = fl.rlim_cur > 1024 ? static_cast<std::size_t>(fl.rlim_cur) - 512 : 512;
    std::printf("note: RLIMIT_NOFILE is %llu; subscribers lowered from %zu to %zu\n",
                static_cast<unsigned long long>(fl.rlim_cur), o.subscribers, fit);
    o.subscribers = fit;
  }

  long const cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  bool const pinned = o.pin && cores >= 2;
  std::string const server_cores = pinned ? "1 core (cpu 0)" : std::to_string(cores) + " core(s), shared with the client";
  std::string const taskset = pinned ? "taskset -c 0 " : "";

  // ---- data directory and config
  char tmpl[] = "/tmp/hearth-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) die("mkdtemp");
  fs::path const dir = tmpl;
  fs::path const data = dir / "data", config = dir / "bench.toml", pw = dir / "admin.pw";
  {
    std::ofstream c(config);
    c << "# bench_server: rate limits and quota out of the way, fast Argon2id\n"
         "[issuer]\nargon2_opslimit = 1\nargon2_memlimit = 8192\nquota = 1000000\n"
         "[limits]\nmax_connections = 100000\nidle_timeout = 3600\n"
         "[rate]\n"
         "ops = { per_second = 1000000, burst = 1000000 }\n"
         "auth = { per_second = 1000000, burst = 1000000 }\n"
         "issue = { per_second = 1000000, burst = 1000000 }\n"
         "post = { per_second = 1000000, burst = 1000000 }\n"
      << o.extra_config;
    std::ofstream p(pw);
    p << admin_password << "\n";
  }
  run_capture(shell_quote(o.hearth) + " init --data " + shell_quote(data.string()) + " --admin-password-file " +
              shell_quote(pw.string()) + " --config " + shell_quote(config.string()) + " 2>&1");

  std::vector<std::string> server_argv;
  if (pinned) server_argv = {"taskset", "-c", "0"};
  for (auto const& a : {o.hearth, std::string("serve"), std::string("--data"), data.string(), std::string("--listen"),
                        std::string("127.0.0.1:0"), std::string("--config"), config.string()})
    server_argv.push_back(a);
  auto server = spawn_server(server_argv, dir / "server.log");
  if (server.pid < 0) die("the server did not start; see " + (dir / "server.log").string());
  if (pinned) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(1, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) std::puts("note: could not pin the client to cpu 1");
  }
  std::printf("bench_server: hearth %s at %s, server on %s, client on %s%s\n", o.hearth.c_str(), server.url.c_str(),
              server_cores.c_str(), pinned ? "cpu 1" : "the same cores", o.quick ? " (--quick)" : "");

  auto const bench_start = clock_type::now();
  std::vector<row> table;

  // ---- the OpenSSL anchor runs on the server's core while the client prepares
  std::string const openssl_cmd = pinned ? "taskset -c 0 openssl speed -seconds 3 rsa2048 2>/dev/null"
                                         : "openssl speed -seconds 3 -multi " + std::to_string(cores) + " rsa2048 2>/dev/null";
  auto openssl_future = std::async(std::launch::async, [&] { return run_capture(openssl_cmd, false); });

  driver d(server.port);

  // staff: import the employees; issuer: enroll them (one connection each)
  auto staff = d.open("staff");
  d.call(staff, "login", {{"username", "admin"}, {"password", admin_password}});
  json::array ids;
  for (std::size_t i = 0; i < o.issue_connections; ++i) ids.push_back(json::string("bench-employee-" + std::to_string(i)));
  auto codes = d.call(staff, "roster.import", {{"employees", ids}}).at("codes").as_object();
  std::vector<client_ptr> issuers;
  for (std::size_t i = 0; i < o.issue_connections; ++i) {
    auto id = json::value_to<std::string>(ids[i]);
    auto c = d.open("issuer");
    d.call(c, "enroll", {{"employee_id", id}, {"code", codes.at(id)}, {"password", employee_password}});
    issuers.push_back(c);
  }
  auto keys = d.call(issuers[0], "keys");
  std::string const issuer_name = str_of(keys, "issuer");
  std::optional<blind_rsa::public_key> pk;
  std::string key_id;
  for (auto const& k : keys.at("keys").as_array()) {
    auto const& ko = k.as_object();
    if (str_of(ko, "state") != "active") continue;
    key_id = str_of(ko, "key_id");
    auto r = blind_rsa::public_key::from_spki(unb64(str_of(ko, "spki")));
    if (!r) die("the active key does not parse");
    pk = *r;
  }
  if (!pk) die("no active key");

  // pseudonym key pairs, prepared and blinded token messages
  std::vector<pseudonym> ps(o.tokens);
  std::vector<blind_rsa::prepared_message> prepared(o.tokens);
  std::vector<blind_rsa::blinding> blinded(o.tokens);
  for (std::size_t i = 0; i < o.tokens; ++i) {
    ps[i].kp = crypto::ed25519::generate();
    ps[i].pk_b64 = crypto::base64url_encode(ps[i].kp.public_key);
    prepared[i] = blind_rsa::prepare(blind_rsa::variant::pss_randomized,
                                     crypto::domain::pseudonym_token_msg(ps[i].kp.public_key));
    auto b = blind_rsa::blind(*pk, blind_rsa::variant::pss_randomized, prepared[i].prepared);
    if (!b) die("blind failed");
    blinded[i] = std::move(*b);
  }

  // libsodium Ed25519 verify on the client's core: the posts anchor
  double ed25519_per_core = 0;
  {
    auto kp = crypto::ed25519::generate();
    auto msg = crypto::domain::post(issuer_name, "general", "", "anchor-nonce-0000", std::string(100, 'x'));
    auto sig = crypto::ed25519::sign(kp.secret_key, crypto::as_bytes(msg));
    std::size_t n = 0;
    auto const t = clock_type::now();
    while (seconds_since(t) < 1.0)
      for (int k = 0; k < 64; ++k) n += crypto::ed25519::verify(kp.public_key, crypto::as_bytes(msg), sig) ? 1 : 0;
    ed25519_per_core = static_cast<double>(n) / seconds_since(t);
  }

  auto const [openssl_sign, openssl_verify] = parse_openssl_rsa(openssl_future.get());
  std::printf("anchors: openssl rsa2048 %s sign/s, %s verify/s on %s (DESIGN.md: %s sign/s per core); "
              "Ed25519 verify %s/s on one client core\n",
              fmt(openssl_sign).c_str(), fmt(openssl_verify).c_str(), pinned ? "cpu 0" : "all cores",
              fmt(design_rsa_sign_per_core).c_str(), fmt(ed25519_per_core).c_str());

  // ================================================================ 5. idle RSS
  // First, on the fresh server: nothing from later phases to reuse.
  std::vector<client_ptr> idle;
  std::size_t idle_row = 0;
  double idle_mb = 0;
  {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    double const base = rss_mb(server.pid);
    auto const t = clock_type::now();
    std::size_t failed = 0;
    idle = d.open_many(o.subscribers, "forum", &failed);
    double const open_s = seconds_since(t);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    double const with = rss_mb(server.pid);
    double const delta = (with - base) * (10000.0 / static_cast<double>(std::max<std::size_t>(1, idle.size())));
    std::printf("5. idle connections: %zu opened in %.2f s; server RSS %.1f MB -> %.1f MB: +%.1f MB (%.1f KB each); "
                "scaled to 10,000: %.1f MB vs bare Beast %.0f MB = %.2fx\n",
                idle.size(), open_s, base, with, with - base, (with - base) * 1024 / static_cast<double>(std::max<std::size_t>(1, idle.size())),
                delta, bare_beast_idle_mb, delta / bare_beast_idle_mb);
    idle_row = table.size();
    idle_mb = delta;
    table.push_back({"RSS, 10,000 idle WebSockets (minus baseline)", fmt(delta, 1) + " MB",
                     fmt(bare_beast_idle_mb) + " MB (bare Beast, DESIGN.md)", fmt(delta / bare_beast_idle_mb, 2) + "x",
                     "<= " + fmt(floor_idle_mb) + " MB", delta <= floor_idle_mb});
  }

  // ==================================================================== 1. issue
  std::vector<std::string> blind_sigs(o.tokens);
  {
    std::vector<pipe_job> jobs(issuers.size());
    std::vector<std::vector<std::size_t>> index(issuers.size());
    for (std::size_t i = 0; i < o.tokens; ++i) {
      auto const j = i % issuers.size();
      index[j].push_back(i);
      jobs[j].frames.push_back(frame_with_id(job_id_base + jobs[j].frames.size(), "issue",
                                             {{"key_id", key_id}, {"blinded_msg", crypto::base64url_encode(blinded[i].blinded_msg)}}));
    }
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      jobs[j].c = issuers[j];
      jobs[j].window = o.issue_window;
    }
    perf_recording perf(o, "issue", server.pid, dir);
    server_counts const counts{server.port, server.pid};
    double const cpu0 = cpu_seconds(server.pid);
    auto r = run_pipelines(d, jobs, [&](std::size_t j, std::size_t i, std::string_view raw) {
      auto at = raw.find("\"blind_sig\":\"");
      if (at == std::string_view::npos) return;
      at += 13;
      blind_sigs[index[j][i]] = std::string(raw.substr(at, raw.find('"', at) - at));
    });
    double const cpu = cpu_seconds(server.pid) - cpu0;
    double const rate = static_cast<double>(r.ok) / r.seconds;
    double const ratio = openssl_sign > 0 ? rate / openssl_sign : 0;
    std::printf("1. issue: %zu ok, %zu failed in %.2f s = %s issue/s; openssl sign %s/s (%s) -> %.1f %%; "
                "server CPU %.0f us/issue; p50 %.1f ms p99 %.1f ms (%zu connections x %zu in flight)\n",
                r.ok, r.failed, r.seconds, fmt(rate).c_str(), fmt(openssl_sign).c_str(), pinned ? "1 core" : "all cores",
                ratio * 100, cpu * 1e6 / static_cast<double>(std::max<std::size_t>(1, r.ok + r.failed)),
                percentile(r.latency_us, 0.5) / 1000, percentile(r.latency_us, 0.99) / 1000, jobs.size(), o.issue_window);
    if (r.failed) std::printf("   first error: %s\n", r.first_error.c_str());
    std::printf("   server: %s\n", counts.per(r.ok + r.failed).c_str());
    table.push_back({"issue/s through /v1/issuer", fmt(rate), fmt(openssl_sign) + " (openssl sign/s, " + (pinned ? "1 core" : "all cores") + ")",
                     fmt(ratio * 100, 1) + " %", ">= 85 %",
                     openssl_sign > 0 ? std::optional<bool>(ratio >= floor_issue_ratio) : std::nullopt});
    table.back().quoted = fmt(design_rsa_sign_per_core) + " sign/s per core";
  }

  // ================================================================== 2. certify
  std::vector<std::size_t> certified;  // token indexes whose pseudonym exists
  {
    struct token {
      std::string prefix, sig;
    };
    std::vector<std::optional<token>> tokens(o.tokens);
    for (std::size_t i = 0; i < o.tokens; ++i) {
      if (blind_sigs[i].empty()) continue;
      auto sig = blind_rsa::finalize(*pk, blind_rsa::variant::pss_randomized, prepared[i].prepared, unb64(blind_sigs[i]),
                                     blinded[i].inv);
      if (!sig) continue;
      tokens[i] = token{crypto::base64url_encode(prepared[i].prefix), crypto::base64url_encode(*sig)};
    }
    auto conns = d.open_many(o.certify_connections, "forum");
    std::vector<pipe_job> jobs(conns.size());
    std::vector<std::vector<std::size_t>> index(conns.size());
    std::size_t k = 0;
    for (std::size_t i = 0; i < o.tokens; ++i) {
      if (!tokens[i]) continue;
      auto const j = k++ % conns.size();
      index[j].push_back(i);
      jobs[j].frames.push_back(frame_with_id(job_id_base + jobs[j].frames.size(), "certify",
                                             {{"key_id", key_id},
                                              {"prefix", tokens[i]->prefix},
                                              {"sig", tokens[i]->sig},
                                              {"pseudonym_pk", ps[i].pk_b64},
                                              {"handle", "bench_" + std::to_string(i)}}));
    }
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      jobs[j].c = conns[j];
      jobs[j].window = o.certify_window;
    }
    perf_recording perf(o, "certify", server.pid, dir);
    server_counts const counts{server.port, server.pid};
    double const cpu0 = cpu_seconds(server.pid);
    auto r = run_pipelines(d, jobs, [&](std::size_t j, std::size_t i, std::string_view) { certified.push_back(index[j][i]); });
    double const cpu = cpu_seconds(server.pid) - cpu0;
    double const rate = static_cast<double>(r.ok) / r.seconds;
    std::printf("2. certify: %zu ok, %zu failed in %.2f s = %s certify/s; openssl verify %s/s -> %.1f %%; "
                "server CPU %.0f us/certify; p50 %.1f ms p99 %.1f ms (%zu connections x %zu in flight)\n",
                r.ok, r.failed, r.seconds, fmt(rate).c_str(), fmt(openssl_verify).c_str(),
                openssl_verify > 0 ? rate / openssl_verify * 100 : 0,
                cpu * 1e6 / static_cast<double>(std::max<std::size_t>(1, r.ok + r.failed)), percentile(r.latency_us, 0.5) / 1000,
                percentile(r.latency_us, 0.99) / 1000, jobs.size(), o.certify_window);
    if (r.failed) std::printf("   first error: %s\n", r.first_error.c_str());
    std::printf("   server: %s\n", counts.per(r.ok + r.failed).c_str());
    table.push_back({"certify/s", fmt(rate), fmt(openssl_verify) + " (openssl verify/s)",
                     openssl_verify > 0 ? fmt(rate / openssl_verify * 100, 1) + " %" : "-", ">= " + fmt(floor_certify),
                     rate >= floor_certify});
    table.back().quoted = fmt(design_rsa_verify) + " verify/s";
  }
  std::sort(certified.begin(), certified.end());
  if (certified.size() < std::max(o.authors, o.subscriber_pseudonyms))
    die("only " + std::to_string(certified.size()) + " pseudonyms were certified");

  // logs a connection in as pseudonym p (challenge, sign, login); on the I/O thread
  auto login_async = [&issuer_name](client_ptr const& c, pseudonym const& p, std::function<void(bool, std::string)> done) {
    c->call("challenge", {}, [c, &p, &issuer_name, done](std::string_view raw, bool ok) {
      if (!ok) return done(false, error_of(raw));
      auto nonce = str_of(result_of(raw), "nonce");
      auto sig = crypto::ed25519::sign(p.kp.secret_key, crypto::as_bytes(crypto::domain::login(issuer_name, nonce)));
      c->call("login", {{"pseudonym_pk", p.pk_b64}, {"sig", crypto::base64url_encode(sig)}},
              [done](std::string_view raw, bool ok) { done(ok, ok ? std::string() : error_of(raw)); });
    });
  };
  // runs login (+ an optional follow-up call) on many connections, at most `window` chains at once
  auto login_many = [&](driver& dd, std::vector<client_ptr> const& conns, std::function<pseudonym const&(std::size_t)> who,
                        std::string const& then_op, json::object then_fields) {
    struct state {
      std::size_t started = 0, finished = 0, failed = 0;
      std::string first_error;
      std::function<void()> launch;
    };
    auto st = dd.async<std::shared_ptr<state>>([&](auto finish) {
      auto st = std::make_shared<state>();
      if (conns.empty()) return finish(st);
      st->launch = [&, st, finish] {
        while (st->started < conns.size() && st->started - st->finished < 512) {
          auto const i = st->started++;
          auto c = conns[i];
          auto step_done = [&, st, finish](bool ok, std::string err) {
            if (!ok && st->failed++ == 0) st->first_error = err;
            if (++st->finished == conns.size()) {
              return finish(st);
            }
            st->launch();
          };
          login_async(c, who(i), [&, c, step_done](bool ok, std::string err) {
            if (!ok || then_op.empty()) return step_done(ok, err);
            c->call(then_op, then_fields,
                    [step_done](std::string_view raw, bool ok) { step_done(ok, ok ? std::string() : error_of(raw)); });
          });
        }
      };
      st->launch();
    });
    return std::make_pair(st->failed, st->first_error);
  };

  // ==================================================================== 3. posts
  std::vector<client_ptr> authors;
  {
    authors = d.open_many(o.authors, "forum");
    auto [lf, le] = login_many(d, authors, [&](std::size_t i) -> pseudonym const& { return ps[certified[i]]; }, "", {});
    if (lf) die("author login failed: " + le);
    std::vector<pipe_job> jobs(authors.size());
    std::string const body_pad(80, 'x');
    for (std::size_t a = 0; a < authors.size(); ++a) {
      auto const& p = ps[certified[a]];
      jobs[a].c = authors[a];
      jobs[a].window = o.post_window;
      jobs[a].frames.reserve(o.posts_per_author);
      for (std::size_t k = 0; k < o.posts_per_author; ++k) {
        std::string const nonce = "bench-a" + std::to_string(a) + "-p" + std::to_string(k) + "-nonce";
        std::string const body = "post " + std::to_string(k) + " by author " + std::to_string(a) + " " + body_pad;
        auto sig = crypto::ed25519::sign(p.kp.secret_key,
                                         crypto::as_bytes(crypto::domain::post(issuer_name, "general", "", nonce, body)));
        jobs[a].frames.push_back(frame_with_id(job_id_base + k, "post",
                                               {{"channel", "general"},
                                                {"parent", nullptr},
                                                {"body", body},
                                                {"nonce", nonce},
                                                {"sig", crypto::base64url_encode(sig)}}));
      }
    }
    perf_recording perf(o, "posts", server.pid, dir);
    server_counts const counts{server.port, server.pid};
    double const cpu0 = cpu_seconds(server.pid);
    auto r = run_pipelines(d, jobs);
    double const cpu = cpu_seconds(server.pid) - cpu0;
    double const rate = static_cast<double>(r.ok) / r.seconds;
    double const p50 = percentile(r.latency_us, 0.5) / 1000, p99 = percentile(r.latency_us, 0.99) / 1000,
                 pmax = percentile(r.latency_us, 1.0) / 1000;
    std::printf("3. posts: %zu authors x %zu posts, %zu in flight each: %zu ok, %zu failed in %.2f s = %s posts/s; "
                "p50 %.2f ms p99 %.2f ms max %.1f ms; server CPU %.0f us/post; vs Ed25519 verify %s/s (1 core) = %.1f %%, "
                "vs RocksDB synced batches %s records/s (DESIGN.md) = %.1f %%\n",
                authors.size(), o.posts_per_author, o.post_window, r.ok, r.failed, r.seconds, fmt(rate).c_str(), p50, p99, pmax,
                cpu * 1e6 / static_cast<double>(std::max<std::size_t>(1, r.ok + r.failed)), fmt(ed25519_per_core).c_str(),
                rate / ed25519_per_core * 100, fmt(design_rocksdb_batches).c_str(), rate / design_rocksdb_batches * 100);
    if (r.failed) std::printf("   first error: %s\n", r.first_error.c_str());
    std::printf("   server: %s\n", counts.per(r.ok + r.failed).c_str());
    table.push_back({"durable posts/s, 100 authors (" + std::to_string(o.post_window) + " in flight each)", fmt(rate),
                     fmt(ed25519_per_core) + " (Ed25519 verify/s, 1 core)", fmt(rate / ed25519_per_core * 100, 1) + " %",
                     ">= " + fmt(floor_posts), rate >= floor_posts});
    table.back().quoted = fmt(design_ed25519_per_core) + " Ed25519/s, RocksDB " + fmt(design_rocksdb_batches) + " rec/s";
    table.push_back({"post latency p50 / p99", fmt(p50, 2) + " / " + fmt(p99, 2) + " ms", "-", "-",
                     "p99 <= " + fmt(floor_post_p99_ms) + " ms", p99 <= floor_post_p99_ms});
  }

  // ================================================================== 4. fan-out
  // post k of the fan-out, signed by the first author; the id follows that author's posts
  auto const& fanout_author = ps[certified[0]];
  auto fanout_frame = [&](std::size_t k, std::string const& nonce) {
    std::string const body = "fan-out post " + std::to_string(k);
    auto sig = crypto::ed25519::sign(fanout_author.kp.secret_key,
                                     crypto::as_bytes(crypto::domain::post(issuer_name, "general", "", nonce, body)));
    auto const id = job_id_base + o.posts_per_author + k;
    return std::make_pair(id, frame_with_id(id, "post",
                                            {{"channel", "general"}, {"parent", nullptr}, {"body", body}, {"nonce", nonce},
                                             {"sig", crypto::base64url_encode(sig)}}));
  };
  auto const subscriber = [&](std::size_t i) -> pseudonym const& { return ps[certified[i % o.subscriber_pseudonyms]]; };
  std::size_t fanout_row = 0;
  fanout_result hearth_fan;
  {
    // the idle connections log in as a few pseudonyms and subscribe
    auto const t = clock_type::now();
    auto [sf, se] = login_many(d, idle, subscriber, "subscribe", {{"channel", "general"}});
    std::printf("4. fan-out: %zu connections logged in as %zu pseudonyms and subscribed in %.2f s (%zu failed%s%s); "
                "server RSS now %.1f MB\n",
                idle.size(), o.subscriber_pseudonyms, seconds_since(t), sf, sf ? ": " : "", se.c_str(), rss_mb(server.pid));
    auto const& r = hearth_fan = measure_fanout(d, idle, idle.size() - sf, authors[0], o.fanout_posts, server.pid, fanout_frame);
    double const anchor = bare_beast_rtt_cpu_us * static_cast<double>(r.subs) / 1000;
    std::printf("   %zu posts to %zu subscribers: %zu deliveries, %zu missing; latency p50 %.1f ms p99 %.1f ms max %.1f ms; "
                "worst per-post p99 %.1f ms; server CPU %.1f ms/post (%.1f us/delivery); DESIGN.md anchor %zu x %.1f us "
                "(bare Beast round trip CPU) = %.0f ms\n",
                r.posts, r.subs, r.deliveries, r.missing, r.p50, r.p99, r.pmax, r.worst_post_p99, r.cpu_ms_per_post(),
                r.cpu_us_per_delivery(), r.subs, bare_beast_rtt_cpu_us, anchor);
    fanout_row = table.size();
    table.push_back({"fan-out p99 delivery, " + fmt(static_cast<double>(r.subs)) + " subscribers", fmt(r.p99, 1) + " ms",
                     fmt(anchor) + " ms (bare Beast CPU, DESIGN.md)", fmt(r.p99 / anchor, 2) + "x",
                     "<= " + fmt(floor_fanout_p99_ms) + " ms", r.missing == 0 && r.p99 <= floor_fanout_p99_ms});
    table.back().quoted = fmt(anchor) + " ms (" + fmt(static_cast<double>(r.subs)) + " x " + fmt(bare_beast_rtt_cpu_us, 1) +
                          " us bare Beast CPU)";
  }

  std::printf("server RSS at the end: %.1f MB; hearth phases took %.0f s\n", rss_mb(server.pid), seconds_since(bench_start));

  // ---- shut down: the client's sockets first (their descriptors are needed again), then the server
  d.async<bool>([&](auto finish) {
    for (auto* group : {&idle, &authors, &issuers})
      for (auto& c : *group) c->abort();
    staff->abort();
    finish(true);
  });
  idle.clear();
  stop_server(server);
  d.stop();

  // ============================================================ Node `ws` anchor
  // The same client code against tests/bench/node_ws_anchor/server.mjs on the
  // server's core: idle connections and their RSS, then logins, subscriptions
  // and the same posts.
  std::optional<double> node_idle_mb, node_fanout_p99;
  std::string node_skipped;
  [&] {
    if (!o.node) return void(node_skipped = "--no-node");
    fs::path const ndir = o.node_dir, script = ndir / "server.mjs";
    if (o.node_dir.empty() || !fs::exists(script)) return void(node_skipped = "no server.mjs at '" + o.node_dir + "'");
    if (run_capture("command -v node", false).empty()) return void(node_skipped = "node is not installed");
    std::string const version = run_capture("node --version 2>&1", false);
    if (!fs::exists(ndir / "node_modules" / "ws" / "package.json")) {
      if (run_capture("command -v npm", false).empty()) return void(node_skipped = "node_modules is missing and npm is not installed");
      std::printf("node anchor: installing its dependencies (npm ci in %s)\n", ndir.c_str());
      auto out = run_capture("cd " + shell_quote(ndir.string()) + " && npm ci --no-audit --no-fund 2>&1", false);
      if (!fs::exists(ndir / "node_modules" / "ws" / "package.json")) {
        std::printf("%s", out.c_str());
        return void(node_skipped = "npm ci failed");
      }
    }
    std::vector<std::string> argv;
    if (pinned) argv = {"taskset", "-c", "0"};
    argv.push_back("node");
    argv.push_back(script.string());
    auto node = spawn_server(argv, dir / "node.log", "listening ");
    if (node.pid < 0) {
      std::ifstream log(dir / "node.log");
      std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      std::printf("%s", text.substr(0, 2000).c_str());
      return void(node_skipped = "the Node server did not start");
    }
    std::printf("node anchor: node %s, ws server.mjs on port %u, on %s\n", version.substr(0, version.find('\n')).c_str(),
                static_cast<unsigned>(node.port), pinned ? "cpu 0" : "the same cores");
    driver nd(node.port);
    {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      double const base = rss_mb(node.pid);
      auto const t = clock_type::now();
      std::size_t failed = 0;
      auto nidle = nd.open_many(o.subscribers, "forum", &failed);
      double const open_s = seconds_since(t);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      double const with = rss_mb(node.pid);
      double const per = (with - base) / static_cast<double>(std::max<std::size_t>(1, nidle.size()));
      node_idle_mb = per * 10000;
      std::printf("5n. Node ws idle connections: %zu opened in %.2f s; RSS %.1f MB -> %.1f MB: +%.1f MB (%.1f KB each); "
                  "scaled to 10,000: %.1f MB (DESIGN.md: %.0f MB)\n",
                  nidle.size(), open_s, base, with, with - base, per * 1024, *node_idle_mb, design_node_idle_mb);

      auto const t2 = clock_type::now();
      auto [sf, se] = login_many(nd, nidle, subscriber, "subscribe", {{"channel", "general"}});
      auto poster = nd.open("forum");
      auto [pf, pe] = login_many(nd, {poster}, [&](std::size_t) -> pseudonym const& { return fanout_author; }, "", {});
      std::printf("4n. Node ws fan-out: %zu connections logged in and subscribed in %.2f s (%zu failed%s%s); RSS now %.1f MB\n",
                  nidle.size(), seconds_since(t2), sf + pf, sf + pf ? ": " : "", (sf ? se : pe).c_str(), rss_mb(node.pid));
      auto const r = measure_fanout(nd, nidle, nidle.size() - sf, poster, o.fanout_posts, node.pid, fanout_frame);
      std::printf("    %zu posts to %zu subscribers: %zu deliveries, %zu missing; latency p50 %.1f ms p99 %.1f ms max %.1f ms; "
                  "worst per-post p99 %.1f ms; server CPU %.1f ms/post (%.1f us/delivery); it checks no signature and "
                  "stores nothing\n",
                  r.posts, r.subs, r.deliveries, r.missing, r.p50, r.p99, r.pmax, r.worst_post_p99, r.cpu_ms_per_post(),
                  r.cpu_us_per_delivery());
      if (r.missing == 0 && r.deliveries > 0) node_fanout_p99 = r.p99;
      else node_skipped = "fan-out: " + std::to_string(r.missing) + " deliveries missing";
      nd.async<bool>([&](auto finish) {
        for (auto& c : nidle) c->abort();
        poster->abort();
        finish(true);
      });
    }
    stop_server(node);
    nd.stop();
  }();
  if (!node_skipped.empty())
    std::printf("Node ws anchor skipped (%s): DESIGN.md's numbers stand in where it measured nothing\n", node_skipped.c_str());

  {
    // the idle row: measured Node anchor, DESIGN.md's two in the last column
    auto& r = table[idle_row];
    r.quoted = fmt(bare_beast_idle_mb) + " MB bare Beast, " + fmt(design_node_idle_mb) + " MB Node ws";
    if (node_idle_mb && *node_idle_mb > 0) {
      r.anchor = fmt(*node_idle_mb, 1) + " MB (Node ws, measured)";
      r.ratio = fmt(idle_mb / *node_idle_mb, 2) + "x";
    }
    auto& f = table[fanout_row];
    if (node_fanout_p99 && *node_fanout_p99 > 0) {
      f.anchor = fmt(*node_fanout_p99, 1) + " ms (Node ws p99, measured)";
      f.ratio = fmt(hearth_fan.p99 / *node_fanout_p99, 2) + "x";
    }
  }
  std::printf("bench took %.0f s\n", seconds_since(bench_start));

  if (o.keep) std::printf("data directory kept: %s\n", dir.c_str());
  else {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // ---- table
  std::size_t w0 = 6, w1 = 5, w2 = 6, w3 = 5, w4 = 5;
  for (auto const& r : table) {
    w0 = std::max(w0, r.figure.size());
    w1 = std::max(w1, r.value.size());
    w2 = std::max(w2, r.anchor.size());
    w3 = std::max(w3, r.ratio.size());
    w4 = std::max(w4, r.floor.size());
  }
  std::printf("\nbench_server (%s; server on %s; anchors measured in this run, value/anchor as ratio)\n",
              o.quick ? "--quick" : "full", server_cores.c_str());
  std::printf("%-*s  %*s  %-*s  %*s  %-*s  %-6s  %s\n", int(w0), "figure", int(w1), "value", int(w2), "anchor", int(w3),
              "ratio", int(w4), "floor", "result", "DESIGN.md anchor");
  bool all_pass = true;
  for (auto const& r : table) {
    char const* res = !r.pass ? "n/a" : *r.pass ? "PASS" : "MISS";
    if (r.pass && !*r.pass) all_pass = false;
    std::printf("%-*s  %*s  %-*s  %*s  %-*s  %-6s  %s\n", int(w0), r.figure.c_str(), int(w1), r.value.c_str(), int(w2),
                r.anchor.c_str(), int(w3), r.ratio.c_str(), int(w4), r.floor.c_str(), res, r.quoted.c_str());
  }
  std::fflush(stdout);
  // 10,000 client streams need no orderly teardown: the server is gone.
  std::_Exit(all_pass ? 0 : 2);
}
