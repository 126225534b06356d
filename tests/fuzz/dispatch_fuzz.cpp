// WebSocket frames through the server's dispatcher (server::dispatch_frame):
// the envelope and every op's field parsing, on every endpoint, against a
// real data directory (role all, made once like `hearth init`: both RocksDB
// stores, the master key, an RSA-2048 signing key, an admin, one employee).
//
// The input is a sequence of frames separated by '\n'. The whole sequence is
// sent on each of four connections, each frame once the previous one is
// answered: an anonymous connection per endpoint, plus an issuer connection
// signed in as the employee (set on the connection as a login would). Staff
// sign-in goes through the protocol: the seeds log in with the admin's
// password. Shape checks come before authentication (PROTOCOL.md §2), so
// every op's field parsing is reached on the anonymous connections too. A
// connection here just collects what the server sends, and runs the work
// the server posts to it on the fuzzing thread, as a strand would.
//
// Invariants: every frame gets exactly one answer, each answer is a JSON
// object with `ok` and either `result` or an error with a protocol code, and
// a request with a readable id gets its answer under that id.
#include "server/app.hpp"

#include "crypto/encoding.hpp"
#include "crypto/password.hpp"
#include "crypto/random.hpp"
#include "server/config.hpp"
#include "server/directory.hpp"
#include "server/validation.hpp"
#include "storage/stores.hpp"
#include "tests/fuzz/check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

using namespace hearth;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_frames = 32;
constexpr auto answer_deadline = std::chrono::seconds(20);
std::string const admin_password = "fuzz-admin-password";  // the seeds log in with it
std::string const employee_id = "e-fuzz";

class collector : public server::connection {
 public:
  using server::connection::connection;

  void send(std::shared_ptr<std::string const> frame) override {
    std::lock_guard lk(mu_);
    answers_.push_back(*frame);
    cv_.notify_all();
  }
  void push(std::shared_ptr<std::string const>) override {}
  void close(std::uint16_t, std::string) override {}
  void dispatch(std::function<void()> fn) override {
    std::lock_guard lk(mu_);
    posted_.push_back(std::move(fn));
    cv_.notify_all();
  }

  // Runs posted work on this thread until n answers are in (false on the deadline).
  bool wait_for(std::size_t n) {
    auto const deadline = std::chrono::steady_clock::now() + answer_deadline;
    std::unique_lock lk(mu_);
    for (;;) {
      while (!posted_.empty()) {
        auto fn = std::move(posted_.front());
        posted_.pop_front();
        lk.unlock();
        fn();
        lk.lock();
      }
      if (answers_.size() >= n) return true;
      if (cv_.wait_until(lk, deadline) == std::cv_status::timeout && posted_.empty() && answers_.size() < n)
        return false;
    }
  }
  std::vector<std::string> answers() {
    std::lock_guard lk(mu_);
    return answers_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> posted_;
  std::vector<std::string> answers_;
};

struct world {
  fs::path dir;
  std::unique_ptr<server::app> app;
};

// `hearth init --role all` through the library, plus an employee.
world& the_world() {
  static world* w = [] {
    crypto::init();
    auto* out = new world;
    char tmpl[] = "/tmp/hearth-fuzz-XXXXXX";
    HEARTH_FUZZ_CHECK(mkdtemp(tmpl) != nullptr);
    out->dir = tmpl;
    // Removed when the run ends (the stores stay open until then: the server
    // is never torn down, its pool threads may still be running at exit).
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(the_world().dir, ec);
    });
    server::config cfg;
    cfg.io_threads = 1;
    cfg.cpu_threads = 1;
    cfg.blocking_threads = 2;
    cfg.argon2_opslimit = 1;         // the minimum: logins are part of nearly every sequence
    cfg.argon2_memlimit = 8 * 1024;
    {
      auto d = storage::create(out->dir, storage::role::all, {});
      server::write_instance(out->dir, {"hearth-fuzz"});
      HEARTH_FUZZ_CHECK(server::initialise_directory(*d->issuer(), {2048, 30, 60}, std::time(nullptr)).has_value());
      storage::staff_record admin;
      admin.username = "admin";
      admin.role = storage::staff_role::admin;
      auto hash = crypto::hash_password(admin_password, server::argon2_params(cfg));
      HEARTH_FUZZ_CHECK(hash.has_value());
      admin.password_hash = *hash;
      HEARTH_FUZZ_CHECK(d->staff().add_staff(admin).has_value());
      HEARTH_FUZZ_CHECK(d->issuer()->import_roster({{employee_id, std::string(64, 'c')}}).has_value());
      HEARTH_FUZZ_CHECK(d->sync().has_value());
    }
    out->app = std::make_unique<server::app>(cfg, out->dir);
    return out;
  }();
  return *w;
}

bool known_code(std::string_view c) {
  static std::set<std::string_view> const codes = {
      "bad_request", "unknown_op",    "unauthenticated", "forbidden",   "not_found",   "conflict",
      "rate_limited", "too_large",    "quota_exhausted", "key_unknown", "key_expired", "invalid_token",
      "token_spent",  "invalid_signature", "banned",     "internal"};
  return codes.count(c) != 0;
}

// The id a frame's answer must carry: the frame's id when it is a JSON object
// with a valid one, nullopt when the frame's id is not readable.
std::optional<std::uint64_t> readable_id(std::string const& frame) {
  boost::system::error_code ec;
  auto v = json::parse(frame, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto const* id = v.as_object().if_contains("id");
  if (!id) return std::nullopt;
  constexpr std::uint64_t max_id = (std::uint64_t{1} << 53) - 1;
  if (auto const* i = id->if_int64(); i && *i >= 0 && static_cast<std::uint64_t>(*i) <= max_id) return *i;
  if (auto const* u = id->if_uint64(); u && *u <= max_id) return *u;
  return std::nullopt;
}

void run_on(server::endpoint e, std::vector<std::string> const& frames,
            std::function<void(collector&)> const& sign_in = {}) {
  auto& w = the_world();
  auto const* routes = w.app->endpoint_routes(e);
  HEARTH_FUZZ_CHECK(routes != nullptr);
  auto conn = std::make_shared<collector>(e);
  if (sign_in) sign_in(*conn);
  std::shared_ptr<server::connection> base = conn;
  // One frame at a time, as a client that awaits each answer (so a login
  // takes effect before the next op).
  for (std::size_t i = 0; i < frames.size(); ++i) {
    server::dispatch_frame(w.app->rt(), *routes, base, frames[i]);
    if (!conn->wait_for(i + 1)) {
      std::fprintf(stderr, "frame %zu got no answer within %lld s\n", i + 1,
                   static_cast<long long>(answer_deadline.count()));
      HEARTH_FUZZ_CHECK(!"every frame gets an answer");
    }
  }
  auto const answers = conn->answers();
  HEARTH_FUZZ_CHECK(answers.size() == frames.size());
  for (std::size_t i = 0; i < answers.size(); ++i) {
    boost::system::error_code ec;
    auto v = json::parse(answers[i], ec);
    HEARTH_FUZZ_CHECK(!ec && v.is_object());
    auto const& o = v.as_object();
    auto const* ok = o.if_contains("ok");
    HEARTH_FUZZ_CHECK(ok && ok->is_bool());
    if (ok->as_bool()) {
      HEARTH_FUZZ_CHECK(o.contains("result"));
    } else {
      auto const* err = o.if_contains("error");
      HEARTH_FUZZ_CHECK(err && err->is_object());
      auto const* code = err->as_object().if_contains("code");
      HEARTH_FUZZ_CHECK(code && code->is_string() && known_code(code->as_string()));
    }
    // Answer i is frame i's: each frame was sent after the previous answer.
    auto const* id = o.if_contains("id");
    HEARTH_FUZZ_CHECK(id != nullptr);
    if (auto want = readable_id(frames[i])) {
      auto const* i64 = id->if_int64();
      auto const* u64 = id->if_uint64();
      HEARTH_FUZZ_CHECK((i64 && static_cast<std::uint64_t>(*i64) == *want) || (u64 && *u64 == *want));
    } else {
      // Not an object with a valid id: null, or the id read from the start
      // of a frame that is not valid JSON.
      HEARTH_FUZZ_CHECK(id->is_null() || id->is_int64() || id->is_uint64());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)the_world();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view in(reinterpret_cast<char const*>(data), size);
  std::vector<std::string> frames;
  while (!in.empty() && frames.size() < max_frames) {
    auto const nl = in.find('\n');
    frames.emplace_back(in.substr(0, nl));
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  }
  if (frames.empty()) return 0;

  run_on(server::endpoint::issuer, frames);
  run_on(server::endpoint::issuer, frames, [](collector& c) { c.issuer().employee_id = employee_id; });
  run_on(server::endpoint::forum, frames);
  run_on(server::endpoint::staff, frames);
  return 0;
}
