#include "tests/bench/bench_common.hpp"

#include "crypto/domain.hpp"
#include "crypto/encoding.hpp"

#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace hearth::bench {

namespace blind_rsa = crypto::blind_rsa;

namespace {
std::string& program_name() {
  static std::string name = "bench";
  return name;
}
}  // namespace

void set_program_name(std::string name) { program_name() = std::move(name); }

[[noreturn]] void die(std::string const& what) {
  std::fprintf(stderr, "%s: %s\n", program_name().c_str(), what.c_str());
  std::fflush(stdout);
  std::_Exit(1);
}

fs::path make_temp_dir(fs::path const& under, std::string const& prefix) {
  std::string t = (under / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(t.data())) die("cannot make a directory under " + under.string());
  return t;
}

std::string arg_value(int argc, char** argv, int& i) {
  if (i + 1 >= argc) die(std::string(argv[i]) + " needs a value");
  return argv[++i];
}

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::size_t const i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

double median(std::vector<double> const& sorted) {
  auto const n = sorted.size();
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

std::string fmt(double v, int decimals) {
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

std::string shell_quote(std::string const& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string run_capture(std::string const& cmd, bool must_succeed) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) die("cannot run: " + cmd);
  std::string out;
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int const rc = ::pclose(p);
  if (must_succeed && rc != 0) die("command failed (" + std::to_string(rc) + "): " + cmd + "\n" + out);
  return out;
}

perf_recording::perf_recording(std::string_view wanted, std::string const& perf_args, std::string_view phase,
                               pid_t server, fs::path const& dir) {
  if (wanted != phase) return;
  file_ = dir / ("perf-" + std::string(phase) + ".data");
  std::string cmd = "exec perf record " + perf_args + " -p " + std::to_string(server) + " -o " + file_.string() + " >" +
                    (dir / "perf.log").string() + " 2>&1";
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // perf attaches
}

perf_recording::~perf_recording() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);
  ::waitpid(pid_, nullptr, 0);
  std::printf("   perf profile of this phase: %s (perf report -i %s)\n", file_.c_str(), file_.c_str());
}

server_process spawn_server(std::vector<std::string> argv, fs::path const& log_file, std::string const& marker) {
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

double rss_mb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

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

std::string metrics_text(unsigned short port) {
  try {
    net::io_context io;
    tcp::socket sock(io);
    sock.connect({net::ip::make_address("127.0.0.1"), port});
    std::string const req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    net::write(sock, net::buffer(req));
    std::string body;
    boost::system::error_code ec;
    net::read(sock, net::dynamic_buffer(body), ec);
    return body;
  } catch (std::exception const&) {
  }
  return {};
}

double metric(unsigned short port, std::string const& name) {
  std::istringstream in(metrics_text(port));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  return 0;
}

std::string server_counts::per(std::size_t ops) const {
  double const n = static_cast<double>(std::max<std::size_t>(1, ops));
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.2f WAL syncs and %.1f context switches per op",
                (metric(port, "hearth_wal_syncs_total") - syncs0) / n, (context_switches(pid) - switches0) / n);
  return buf;
}

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

fs::path own_dir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

std::string find_hearth_binary() {
  for (auto dir = own_dir(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / "hearth") && !fs::is_directory(dir / "hearth")) return (dir / "hearth").string();
    if (dir == dir.root_path()) break;
  }
  die("cannot find the hearth binary; pass --hearth PATH");
}

std::size_t raise_fd_limit(std::size_t want) {
  rlimit fl{};
  ::getrlimit(RLIMIT_NOFILE, &fl);
  if (want > 0 && fl.rlim_max < want) {
    rlimit more{static_cast<rlim_t>(want), static_cast<rlim_t>(want)};
    ::setrlimit(RLIMIT_NOFILE, &more);  // raising the hard limit needs CAP_SYS_RESOURCE; else the old one stays
    ::getrlimit(RLIMIT_NOFILE, &fl);
  }
  fl.rlim_cur = fl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &fl);
  ::getrlimit(RLIMIT_NOFILE, &fl);
  return static_cast<std::size_t>(fl.rlim_cur);
}

bool pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::sched_setaffinity(0, sizeof set, &set) == 0;
}

void write_bench_config(fs::path const& file, std::string const& extra) {
  std::ofstream c(file);
  c << "# bench_server: rate limits and quota out of the way, fast Argon2id\n"
       "[issuer]\nargon2_opslimit = 1\nargon2_memlimit = 8192\nquota = 1000000\n"
       "[limits]\nmax_connections = 100000\nidle_timeout = 3600\n"
       "[rate]\n"
       "ops = { per_second = 1000000, burst = 1000000 }\n"
       "auth = { per_second = 1000000, burst = 1000000 }\n"
       "issue = { per_second = 1000000, burst = 1000000 }\n"
       "post = { per_second = 1000000, burst = 1000000 }\n"
    << extra;
  if (!c) die("cannot write " + file.string());
}

void init_data_dir(std::string const& hearth, fs::path const& data, fs::path const& config, fs::path const& work) {
  fs::path const pw = work / "admin.pw";
  {
    std::ofstream p(pw);
    p << admin_password << "\n";
  }
  run_capture(shell_quote(hearth) + " init --data " + shell_quote(data.string()) + " --admin-password-file " +
              shell_quote(pw.string()) + " --config " + shell_quote(config.string()) + " 2>&1");
}

server_process serve(std::string const& hearth, fs::path const& data, fs::path const& config, bool pinned,
                     fs::path const& log_file) {
  std::vector<std::string> argv;
  if (pinned) argv = {"taskset", "-c", "0"};
  for (auto const& a : {hearth, std::string("serve"), std::string("--data"), data.string(), std::string("--listen"),
                        std::string("127.0.0.1:0"), std::string("--config"), config.string()})
    argv.push_back(a);
  return spawn_server(argv, log_file);
}

// ---------------------------------------------------------------- websocket

void ws_client::open(tcp::endpoint ep, std::string host, std::string target, std::function<void(beast::error_code)> done,
                     net::ip::address source) {
  if (!source.is_unspecified()) {
    auto& sock = ws_.next_layer();
    beast::error_code ec;
    sock.open(tcp::v4(), ec);
    // the port is chosen at connect, per destination: more than 28k connections per source address
    int const one = 1;
    if (!ec) ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (!ec) sock.bind(tcp::endpoint(source, 0), ec);
    if (ec) return net::post(ws_.get_executor(), [done = std::move(done), ec] { done(ec); });
  }
  ws_.next_layer().async_connect(
      ep, [self = shared_from_this(), host = std::move(host), target = std::move(target),
           done = std::move(done)](beast::error_code ec) mutable {
        if (ec) return done(ec);
        beast::error_code ignored;
        self->ws_.next_layer().set_option(tcp::no_delay(true), ignored);
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

void ws_client::send_frame(std::uint64_t id, std::string frame, reply_fn cb) {
  if (closed_) return cb("connection closed", false);
  pending_.emplace(id, std::move(cb));
  queue_.push_back(std::move(frame));
  if (!writing_) do_write();
}

void ws_client::call(std::string const& op, json::object fields, reply_fn cb) {
  auto const id = next_id_++;
  fields["id"] = id;
  fields["op"] = op;
  send_frame(id, json::serialize(fields), std::move(cb));
}

void ws_client::abort() {
  beast::error_code ignored;
  ws_.next_layer().close(ignored);
}

void ws_client::do_write() {
  writing_ = true;
  ws_.async_write(net::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->writing_ = false;
    self->queue_.pop_front();
    if (ec) return self->fail(ec);
    if (!self->queue_.empty()) self->do_write();
  });
}

void ws_client::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->fail(ec);
    self->on_frame();
    self->buffer_.consume(self->buffer_.size());
    self->do_read();
  });
}

void ws_client::on_frame() {
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

void ws_client::fail(beast::error_code ec) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = ec.message();
  if (ec == websocket::error::closed)
    close_reason_ = "closed by the server: " + std::string(ws_.reason().reason.data(), ws_.reason().reason.size());
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [_, cb] : pending) cb(close_reason_, false);
}

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

driver::driver(unsigned short port) : guard_(net::make_work_guard(ioc_)), ep_(net::ip::make_address("127.0.0.1"), port) {
  host_ = "127.0.0.1:" + std::to_string(port);
  thread_ = std::thread([this] { ioc_.run(); });
}

std::vector<client_ptr> driver::open_many(std::size_t n, std::string const& endpoint, std::size_t* failures,
                                          std::vector<net::ip::address> const& sources) {
  struct state {
    std::vector<client_ptr> out;
    std::size_t started = 0, finished = 0, failed = 0;
    std::string first_error;
    std::function<void()> launch;
  };
  auto result = async<std::shared_ptr<state>>([this, n, endpoint, &sources](auto finish) {
    auto st = std::make_shared<state>();
    st->out.resize(n);
    if (n == 0) return finish(st);
    st->launch = [this, st, n, endpoint, finish, &sources] {
      while (st->started < n && st->started - st->finished < connect_window) {
        auto const i = st->started++;
        auto c = std::make_shared<ws_client>(ioc_);
        st->out[i] = c;
        c->open(
            ep_, host_, "/v1/" + endpoint,
            [st, n, finish](beast::error_code ec) {
              ++st->finished;
              if (ec) {
                if (st->failed++ == 0) st->first_error = ec.message();
              }
              if (st->finished == n) return finish(st);
              st->launch();
            },
            sources.empty() ? net::ip::address() : sources[i % sources.size()]);
      }
    };
    st->launch();
  });
  net::post(ioc_, [result] { result->launch = nullptr; });  // (it holds its own state)
  if (failures) *failures = result->failed;
  if (result->failed && !failures)
    die("could not open " + std::to_string(result->failed) + " of " + std::to_string(n) +
        " connections: " + result->first_error);
  if (result->failed)
    std::printf("  (%zu of %zu connections failed: %s)\n", result->failed, n, result->first_error.c_str());
  std::vector<client_ptr> open;
  for (auto& c : result->out)
    if (c && c->is_open()) open.push_back(c);
  return open;
}

std::pair<bool, std::string> driver::try_call(client_ptr const& c, std::string const& op, json::object fields) {
  return async<std::pair<bool, std::string>>([c, op, fields = std::move(fields)](auto finish) mutable {
    c->call(op, std::move(fields), [finish](std::string_view raw, bool ok) { finish({ok, std::string(raw)}); });
  });
}

json::object driver::call(client_ptr const& c, std::string const& op, json::object fields) {
  auto r = try_call(c, op, std::move(fields));
  if (!r.first) die(op + " failed: " + error_of(r.second));
  return result_of(r.second);
}

void driver::stop() {
  guard_.reset();
  ioc_.stop();
  if (thread_.joinable()) thread_.join();
}

pipe_result run_pipelines(driver& d, std::vector<pipe_job>& jobs,
                          std::function<void(std::size_t, std::size_t, std::string_view)> on_ok) {
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

// ------------------------------------------------------------ the protocol

active_key fetch_active_key(driver& d, client_ptr const& c) {
  auto keys = d.call(c, "keys");
  active_key k;
  k.issuer_name = str_of(keys, "issuer");
  for (auto const& v : keys.at("keys").as_array()) {
    auto const& ko = v.as_object();
    if (str_of(ko, "state") != "active") continue;
    k.key_id = str_of(ko, "key_id");
    auto r = blind_rsa::public_key::from_spki(unb64(str_of(ko, "spki")));
    if (!r) die("the active key does not parse");
    k.pk = *r;
  }
  if (!k.pk) die("no active key");
  return k;
}

std::vector<client_ptr> enroll_employees(driver& d, client_ptr const& staff, std::size_t n, std::string const& prefix) {
  json::array ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back(json::string(prefix + std::to_string(i)));
  auto codes = d.call(staff, "roster.import", {{"employees", ids}}).at("codes").as_object();
  std::vector<client_ptr> issuers;
  for (std::size_t i = 0; i < n; ++i) {
    auto id = json::value_to<std::string>(ids[i]);
    auto c = d.open("issuer");
    d.call(c, "enroll", {{"employee_id", id}, {"code", codes.at(id)}, {"password", employee_password}});
    issuers.push_back(c);
  }
  return issuers;
}

void token_batch::prepare(active_key const& key, std::size_t n) {
  ps.resize(n);
  prepared.resize(n);
  blinded.resize(n);
  blind_sigs.assign(n, {});
  tokens.assign(n, std::nullopt);
  certified.clear();
  for (std::size_t i = 0; i < n; ++i) {
    ps[i].kp = crypto::ed25519::generate();
    ps[i].pk_b64 = crypto::base64url_encode(ps[i].kp.public_key);
    prepared[i] = blind_rsa::prepare(blind_rsa::variant::pss_randomized, crypto::domain::pseudonym_token_msg(ps[i].kp.public_key));
    auto b = blind_rsa::blind(*key.pk, blind_rsa::variant::pss_randomized, prepared[i].prepared);
    if (!b) die("blind failed");
    blinded[i] = std::move(*b);
  }
}

pipe_result token_batch::issue(driver& d, active_key const& key, std::vector<client_ptr> const& issuers, std::size_t window) {
  std::vector<pipe_job> jobs(issuers.size());
  std::vector<std::vector<std::size_t>> index(issuers.size());
  for (std::size_t i = 0; i < ps.size(); ++i) {
    auto const j = i % issuers.size();
    index[j].push_back(i);
    jobs[j].frames.push_back(frame_with_id(job_id_base + jobs[j].frames.size(), "issue",
                                           {{"key_id", key.key_id}, {"blinded_msg", crypto::base64url_encode(blinded[i].blinded_msg)}}));
  }
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    jobs[j].c = issuers[j];
    jobs[j].window = window;
  }
  return run_pipelines(d, jobs, [&](std::size_t j, std::size_t i, std::string_view raw) {
    auto at = raw.find("\"blind_sig\":\"");
    if (at == std::string_view::npos) return;
    at += 13;
    blind_sigs[index[j][i]] = std::string(raw.substr(at, raw.find('"', at) - at));
  });
}

std::size_t token_batch::finalize(active_key const& key) {
  std::size_t failed = 0;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (blind_sigs[i].empty()) {
      ++failed;
      continue;
    }
    auto blind_sig = crypto::base64url_decode(blind_sigs[i]);
    if (!blind_sig) {
      ++failed;
      continue;
    }
    auto sig = blind_rsa::finalize(*key.pk, blind_rsa::variant::pss_randomized, prepared[i].prepared, *blind_sig,
                                   blinded[i].inv);
    if (!sig) {
      ++failed;
      continue;
    }
    tokens[i] = token{crypto::base64url_encode(prepared[i].prefix), crypto::base64url_encode(*sig)};
  }
  return failed;
}

pipe_result token_batch::certify(driver& d, active_key const& key, std::vector<client_ptr> const& conns, std::size_t window,
                                 std::string const& handle_prefix) {
  std::vector<pipe_job> jobs(conns.size());
  std::vector<std::vector<std::size_t>> index(conns.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (!tokens[i]) continue;
    auto const j = k++ % conns.size();
    index[j].push_back(i);
    jobs[j].frames.push_back(frame_with_id(job_id_base + jobs[j].frames.size(), "certify",
                                           {{"key_id", key.key_id},
                                            {"prefix", tokens[i]->prefix},
                                            {"sig", tokens[i]->sig},
                                            {"pseudonym_pk", ps[i].pk_b64},
                                            {"handle", handle_prefix + std::to_string(i)}}));
  }
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    jobs[j].c = conns[j];
    jobs[j].window = window;
  }
  auto r = run_pipelines(d, jobs, [&](std::size_t j, std::size_t i, std::string_view) { certified.push_back(index[j][i]); });
  std::sort(certified.begin(), certified.end());
  return r;
}

void login_async(std::string const& issuer_name, client_ptr const& c, pseudonym const& p,
                 std::function<void(bool, std::string)> done) {
  c->call("challenge", {}, [c, &p, &issuer_name, done](std::string_view raw, bool ok) {
    if (!ok) return done(false, error_of(raw));
    auto nonce = str_of(result_of(raw), "nonce");
    auto sig = crypto::ed25519::sign(p.kp.secret_key, crypto::as_bytes(crypto::domain::login(issuer_name, nonce)));
    c->call("login", {{"pseudonym_pk", p.pk_b64}, {"sig", crypto::base64url_encode(sig)}},
            [done](std::string_view raw, bool ok) { done(ok, ok ? std::string() : error_of(raw)); });
  });
}

std::pair<std::size_t, std::string> login_many(driver& d, std::string const& issuer_name,
                                               std::vector<client_ptr> const& conns,
                                               std::function<pseudonym const&(std::size_t)> who,
                                               std::string const& then_op, json::object then_fields) {
  struct state {
    std::size_t started = 0, finished = 0, failed = 0;
    std::string first_error;
    std::function<void()> launch;
  };
  auto st = d.async<std::shared_ptr<state>>([&](auto finish) {
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
        login_async(issuer_name, c, who(i), [&, c, step_done](bool ok, std::string err) {
          if (!ok || then_op.empty()) return step_done(ok, err);
          c->call(then_op, then_fields,
                  [step_done](std::string_view raw, bool ok) { step_done(ok, ok ? std::string() : error_of(raw)); });
        });
      }
    };
    st->launch();
  });
  net::post(d.ioc(), [st] { st->launch = nullptr; });  // (it holds its own state)
  return {st->failed, st->first_error};
}

std::string post_frame(std::uint64_t id, std::string const& issuer_name, pseudonym const& p, std::string const& channel,
                       std::string const& parent, std::string const& nonce, std::string const& body) {
  auto sig = crypto::ed25519::sign(p.kp.secret_key, crypto::as_bytes(crypto::domain::post(issuer_name, channel, parent, nonce, body)));
  json::object f{{"channel", channel}, {"body", body}, {"nonce", nonce}, {"sig", crypto::base64url_encode(sig)}};
  if (parent.empty()) f["parent"] = nullptr;
  else f["parent"] = parent;
  return frame_with_id(id, "post", std::move(f));
}

fanout_result measure_fanout(driver& d, std::vector<client_ptr> const& subscribers, std::size_t subs, client_ptr const& poster,
                             std::size_t posts, pid_t server_pid,
                             std::function<std::pair<std::uint64_t, std::string>(std::size_t, std::string const&)> const& frame_of,
                            std::string const& nonce_prefix) {
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
    nonces.push_back(nonce_prefix + std::to_string(1000 + k));
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

std::string prepare_node_anchor(fs::path const& ndir) {
  fs::path const script = ndir / "server.mjs";
  if (ndir.empty() || !fs::exists(script)) return "no server.mjs at '" + ndir.string() + "'";
  if (run_capture("command -v node", false).empty()) return "node is not installed";
  if (!fs::exists(ndir / "node_modules" / "ws" / "package.json")) {
    if (run_capture("command -v npm", false).empty()) return "node_modules is missing and npm is not installed";
    std::printf("node anchor: installing its dependencies (npm ci in %s)\n", ndir.c_str());
    auto out = run_capture("cd " + shell_quote(ndir.string()) + " && npm ci --no-audit --no-fund 2>&1", false);
    if (!fs::exists(ndir / "node_modules" / "ws" / "package.json")) {
      std::printf("%s", out.c_str());
      return "npm ci failed";
    }
  }
  return {};
}

}  // namespace hearth::bench
