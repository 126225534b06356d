// What bench_server and bench_load share: the WebSocket client and its
// driver thread, pipelined requests, starting and stopping `hearth serve`
// (and the Node `ws` anchor), reading a process's CPU time and RSS and the
// server's /metrics, percentiles and number formatting, and the client side
// of enrolment, issue, finalize, certify and login.
#pragma once

#include "crypto/blind_rsa.hpp"
#include "crypto/ed25519.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hearth::bench {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

inline constexpr std::size_t connect_window = 256;                // connection attempts in flight
inline constexpr std::uint64_t job_id_base = std::uint64_t{1} << 40;  // ids of pre-built frames
inline constexpr char const* admin_password = "bench-admin-password";
inline constexpr char const* employee_password = "bench employee password";

// die() prefixes its message with this ("bench_server", "bench_load").
void set_program_name(std::string name);
[[noreturn]] void die(std::string const& what);
// A new directory under `under` named prefix + a random suffix (mkdtemp); dies on failure.
fs::path make_temp_dir(fs::path const& under, std::string const& prefix);

// argv[i + 1], advancing i; dies naming argv[i] when there is none.
std::string arg_value(int argc, char** argv, int& i);

double seconds_since(clock_type::time_point t);
// The p-quantile (0..1) of v, reordering v; 0 for an empty v.
double percentile(std::vector<double>& v, double p);
// The median of sorted, non-empty v (the mean of the middle two for an even count).
double median(std::vector<double> const& sorted);
// v with `decimals` decimals and thousands separators.
std::string fmt(double v, int decimals = 0);

// ------------------------------------------------------------------ process

struct server_process {
  pid_t pid = -1;
  std::string url;
  unsigned short port = 0;
  std::thread drain;
};

std::string shell_quote(std::string const& s);
// Runs a shell command, returns its stdout; dies on failure unless allowed.
std::string run_capture(std::string const& cmd, bool must_succeed = true);

// `perf record` attached to a process while it lives, when `phase` is the
// one asked for (wanted); stops on destruction and says where the profile is.
class perf_recording {
 public:
  perf_recording(std::string_view wanted, std::string const& perf_args, std::string_view phase, pid_t server,
                 fs::path const& dir);
  ~perf_recording();
  perf_recording(perf_recording const&) = delete;
  perf_recording& operator=(perf_recording const&) = delete;

 private:
  pid_t pid_ = -1;
  fs::path file_;
};

// Starts argv with stdout on a pipe and stderr in log_file, and waits for the
// line "<marker><address>" on stdout: a URL ending in :PORT, or a bare port.
// pid < 0 when it did not start.
server_process spawn_server(std::vector<std::string> argv, fs::path const& log_file,
                            std::string const& marker = "hearth listening on ");
// SIGTERM, then SIGKILL after 5 s; reaps the process and joins the stdout drain.
void stop_server(server_process& s);

double rss_mb(pid_t pid);              // VmRSS in MB
double context_switches(pid_t pid);    // voluntary + involuntary, all threads
double cpu_seconds(pid_t pid);         // user + system
// One sample from the server's /metrics (0 if absent or unreachable); name
// may carry labels, e.g. hearth_connections{endpoint="forum"}.
double metric(unsigned short port, std::string const& name);
// The whole /metrics text (empty if unreachable).
std::string metrics_text(unsigned short port);

// Server-side counts over one phase: WAL syncs and context switches per op.
struct server_counts {
  unsigned short port;
  pid_t pid;
  double syncs0 = metric(port, "hearth_wal_syncs_total"), switches0 = context_switches(pid);
  std::string per(std::size_t ops) const;
};

fs::path own_dir();  // the directory of this bench binary
// The hearth binary beside this program's build tree (dies if none).
std::string find_hearth_binary();
// Raises RLIMIT_NOFILE to its hard limit, first raising that to `want` if it
// is lower and this process may (children inherit); returns the limit.
std::size_t raise_fd_limit(std::size_t want = 0);
// Pins the calling thread (and threads it starts later) to one cpu.
bool pin_to_cpu(int cpu);

// The bench config: rate limits and quota out of the way, fast Argon2id,
// then `extra` (TOML) appended.
void write_bench_config(fs::path const& file, std::string const& extra);
// `hearth init` of data with the bench admin password (dies on failure).
void init_data_dir(std::string const& hearth, fs::path const& data, fs::path const& config, fs::path const& work);
// `hearth serve --listen 127.0.0.1:0` on data, pinned to cpu 0 when pinned.
server_process serve(std::string const& hearth, fs::path const& data, fs::path const& config, bool pinned,
                     fs::path const& log_file);

// ---------------------------------------------------------------- websocket

// A WebSocket client connection: one write in flight with a queue behind it,
// one read always pending; replies are matched to callbacks by id, pushes go
// to on_event. Every member is used from the single I/O thread only.
class ws_client : public std::enable_shared_from_this<ws_client> {
 public:
  using reply_fn = std::function<void(std::string_view raw, bool ok)>;

  explicit ws_client(net::io_context& ioc) : ws_(ioc.get_executor()) {}

  // source: the local address to bind first (several 127.0.0.x spread
  // ephemeral ports for many connections); unspecified = any.
  void open(tcp::endpoint ep, std::string host, std::string target, std::function<void(beast::error_code)> done,
            net::ip::address source = {});
  // Sends a frame already holding "id": id.
  void send_frame(std::uint64_t id, std::string frame, reply_fn cb);
  void call(std::string const& op, json::object fields, reply_fn cb);
  // Closes the socket at once (frees its descriptor); pending calls fail.
  void abort();

  std::function<void(std::string_view)> on_event;
  bool is_open() const { return open_ && !closed_; }
  std::string const& close_reason() const { return close_reason_; }

 private:
  void do_write();
  void do_read();
  void on_frame();
  void fail(beast::error_code ec);

  // The socket names its executor: the driver's one thread runs every
  // client, so neither a strand nor a type-erased executor is needed, and
  // the client's cost per frame stays small beside the server's.
  using socket_type = net::basic_stream_socket<tcp, net::io_context::executor_type>;
  websocket::stream<socket_type> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::unordered_map<std::uint64_t, reply_fn> pending_;
  std::uint64_t next_id_ = 1;
  std::size_t orphans_ = 0;
  bool writing_ = false, open_ = false, closed_ = false;
  std::string close_reason_;
};
using client_ptr = std::shared_ptr<ws_client>;

json::object result_of(std::string_view raw);   // dies on an unparsable frame
std::string error_of(std::string_view raw);     // "code: message"
std::string str_of(json::object const& o, std::string_view key);  // dies if absent
crypto::bytes unb64(std::string_view s);        // dies on bad base64url

// The client side: an io_context on its own thread; the main thread hands it
// work and waits for results.
class driver {
 public:
  explicit driver(unsigned short port);

  net::io_context& ioc() { return ioc_; }

  // Runs fn on the I/O thread; fn gets a `done` to call (once) with its result.
  template <class T, class F>
  T async(F fn) {
    std::promise<T> p;
    auto fut = p.get_future();
    net::post(ioc_, [&p, fn = std::move(fn)]() mutable { fn([&p](T v) { p.set_value(std::move(v)); }); });
    return fut.get();
  }

  // Opens n connections to /v1/<endpoint>, at most connect_window at a time;
  // with sources, connection i binds sources[i % size] first. Without
  // `failures`, dies if any fails.
  std::vector<client_ptr> open_many(std::size_t n, std::string const& endpoint, std::size_t* failures = nullptr,
                                    std::vector<net::ip::address> const& sources = {});
  client_ptr open(std::string const& endpoint) { return open_many(1, endpoint).at(0); }

  // One request, waiting for its reply; dies on failure.
  json::object call(client_ptr const& c, std::string const& op, json::object fields = {});
  // One request, waiting for its reply: (ok, raw frame).
  std::pair<bool, std::string> try_call(client_ptr const& c, std::string const& op, json::object fields = {});

  void stop();

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
  std::vector<std::string> frames;  // frame i carries id job_id_base + i
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
                          std::function<void(std::size_t, std::size_t, std::string_view)> on_ok = nullptr);

std::string frame_with_id(std::uint64_t id, std::string_view op, json::object fields);

// ------------------------------------------------------------ the protocol

struct pseudonym {
  crypto::ed25519::keypair kp;
  std::string pk_b64;
};

// The active key of the directory an endpoint shows (op `keys`).
struct active_key {
  std::string issuer_name, key_id;
  std::optional<crypto::blind_rsa::public_key> pk;
};
active_key fetch_active_key(driver& d, client_ptr const& c);

// Imports n employees through a logged-in staff connection and enrolls each
// on its own issuer connection, which stays logged in.
std::vector<client_ptr> enroll_employees(driver& d, client_ptr const& staff, std::size_t n, std::string const& prefix);

// Pseudonym key pairs with their token messages, blinded under one key; then
// issued, finalized (unblinded and verified) and certified.
struct token_batch {
  std::vector<pseudonym> ps;
  std::vector<crypto::blind_rsa::prepared_message> prepared;
  std::vector<crypto::blind_rsa::blinding> blinded;
  std::vector<std::string> blind_sigs;  // from issue; empty where it failed
  struct token {
    std::string prefix, sig;  // base64url
  };
  std::vector<std::optional<token>> tokens;  // finalized and verified
  std::vector<std::size_t> certified;        // indexes whose certify succeeded, ascending

  void prepare(active_key const& key, std::size_t n);
  // issue over the given issuer connections (round robin), window in flight each
  pipe_result issue(driver& d, active_key const& key, std::vector<client_ptr> const& issuers, std::size_t window);
  // RFC 9474 Finalize of every issued blind signature (which verifies it);
  // returns how many failed.
  std::size_t finalize(active_key const& key);
  // certify every finalized token as handle "<handle_prefix><index>"
  pipe_result certify(driver& d, active_key const& key, std::vector<client_ptr> const& conns, std::size_t window,
                      std::string const& handle_prefix);
};

// Logs a connection in as pseudonym p (challenge, sign, login); on the I/O thread.
void login_async(std::string const& issuer_name, client_ptr const& c, pseudonym const& p,
                 std::function<void(bool, std::string)> done);
// Logs many connections in (connection i as who(i)), then sends then_op
// (if not empty) on each; at most 512 chains at once. Returns (failures, first error).
std::pair<std::size_t, std::string> login_many(driver& d, std::string const& issuer_name,
                                               std::vector<client_ptr> const& conns,
                                               std::function<pseudonym const&(std::size_t)> who,
                                               std::string const& then_op, json::object then_fields);

// A signed post frame (id, channel, parent or "", nonce, body) by p.
std::string post_frame(std::uint64_t id, std::string const& issuer_name, pseudonym const& p, std::string const& channel,
                       std::string const& parent, std::string const& nonce, std::string const& body);

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
                             std::function<std::pair<std::uint64_t, std::string>(std::size_t, std::string const&)> const& frame_of,
                            std::string const& nonce_prefix = "fanout-nonce-");

// Installs a node_modules for the Node `ws` anchor in dir when missing;
// returns why it cannot run (empty: it can). Prints what it does.
std::string prepare_node_anchor(fs::path const& dir);

}  // namespace hearth::bench
