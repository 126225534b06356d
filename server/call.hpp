// What every op handler uses, whatever its role: the call (one request on
// one connection, carrying its role's context), field extraction that answers
// bad_request naming the field, and run()/run_then(), which say where an op's
// work runs (see `pool`) and answer once its changes are durable.
#pragma once

#include "common/errc.hpp"
#include "crypto/bytes.hpp"
#include "server/connection.hpp"
#include "server/runtime.hpp"
#include "storage/records.hpp"
#include "storage/stores.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace hearth::server {

namespace json = boost::json;

// Thrown by validation and by pool work; caught where the op is dispatched or
// at the pool task's edge, and answered with its code. Never crosses a strand.
struct op_failure : std::exception {
  errc code;
  std::string message;
  op_failure(errc c, std::string m) : code(c), message(std::move(m)) {}
  char const* what() const noexcept override { return message.c_str(); }
};
[[noreturn]] inline void fail(errc code, std::string message) { throw op_failure(code, std::move(message)); }

// Thrown by check() when a storage call made with storage::access::no_wait (by
// an op's attempt on an I/O thread) would have waited for the disk; run()
// then redoes the op on the blocking pool. Never answered to a client.
struct would_block_failure : std::exception {
  char const* what() const noexcept override { return "storage would block"; }
};

// Unwraps a storage/crypto result, turning its error into an op_failure with
// a human message for that code.
template <class T>
T check(result<T> r, std::string_view what = {});
void check(result<void> r, std::string_view what = {});
// What both throw for an error: would_block_failure for storage's
// would_block, else op_failure with the error's code (internal if it has none).
[[noreturn]] void fail_with(boost::system::error_code const& ec, std::string_view what);
std::string default_message(errc code);

// A result object already serialized (a large listing written straight to
// text, server/forum/views.cpp); run() work may return it instead of a
// json::object.
struct raw_json {
  std::string text;
  // text is the whole reply frame: it began with call_base::ok_head() and
  // closes the envelope too (so a large result is not copied into one).
  bool framed = false;
};

// One request on one connection. Thread-safe; answered exactly once.
struct call_base {
  runtime& rt;
  std::shared_ptr<connection> conn;
  json::value id;
  std::string op;
  json::object body;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  // A serialized answer: built where the work ran, sent when it may go.
  struct reply {
    std::string code;  // "ok" or the error code (for /metrics)
    std::string frame;
  };
  reply ok_reply(json::object result = {}) const;
  reply ok_reply(raw_json result) const;  // the same frame, with a result already serialized
  // What an ok frame begins with, up to its result: {"id":…,"ok":true,"result":
  std::string ok_head() const;
  reply error_reply(errc code, std::string const& message) const;
  // All three are thread-safe and each call answers exactly once.
  void send(reply r) const;
  void ok(json::object result = {}) const { send(ok_reply(std::move(result))); }
  void error(errc code, std::string const& message) const { send(error_reply(code, message)); }
};

// A call with its role's context: the only way a handler reaches a store.
// A forum handler gets a call<forum_service>, which holds no issuer store.
template <class Context>
struct call : call_base {
  Context& ctx;
};
template <class Context>
using call_ptr = std::shared_ptr<call<Context> const>;
using any_call_ptr = std::shared_ptr<call_base const>;

// An op of one role: its name and its handler.
template <class Context>
struct op_def {
  std::string_view name;
  void (*handler)(call_ptr<Context> const&);
};

// Runs work on a pool; its json::object is the reply, an op_failure its
// error. Work is called as work(storage::access) or, if it takes no access,
// as work(); it reaches a store only through the view for that access
// (`store.view(a)`), so that where it may wait is written where it reads.
// then (optional) runs on the connection's strand before the reply is sent,
// with the object, to update connection state. Storage writes return
// before they are synced, so the reply (and then) waits until every change
// made so far is durable: no client learns of a change a crash could undo.
// blocking, cpu and hash: the work gets storage::access::wait.
// io: right here on the I/O thread, for short work (a signature check, point
// reads, at most one write, after the reads). It gets storage::access::no_wait,
// so its storage calls never wait for the disk; if one would, it answers
// would_block, nothing was changed, and the op is redone on the blocking pool
// with access::wait (counted in /metrics as hearth_io_handoffs_total). Work
// that takes no access never runs on an I/O thread: pool::io sends it to the
// blocking pool. With server.io_fast_path off, pool::io is pool::blocking.
// hash: the password-hashing pool (Argon2id), bounded apart from `cpu` so
// that hashing never holds up signing; when its queue is full the op is
// answered rate_limited at once and work() never runs.
enum class pool { blocking, cpu, io, hash };
template <class C, class Work>
void run(pool p, std::shared_ptr<C const> const& c, Work work);
template <class C, class Work, class Then>
void run_then(pool p, std::shared_ptr<C const> const& c, Work work, Then then);
// A password check in two steps: first(access) as pool::io work (it looks the
// account up and admits the attempt, server/login_attempt.hpp; it must not
// write, and it may be redone on the blocking pool), then second() and then()
// as run_then(pool::hash, ...). What second() needs from first() travels in
// state that both capture.
template <class C, class First, class Second, class Then>
void run_hashed(std::shared_ptr<C const> const& c, First first, Second second, Then then);

// ------------------------------------------------------------------ fields

class fields {
 public:
  explicit fields(json::object const& o) : o_(o) {}
  std::string str(std::string_view name) const;                      // required string
  std::optional<std::string> opt_str(std::string_view name) const;   // absent or null -> nullopt
  std::int64_t integer(std::string_view name) const;
  std::optional<std::int64_t> opt_integer(std::string_view name) const;
  std::optional<double> opt_number(std::string_view name) const;
  bool boolean(std::string_view name) const;
  crypto::bytes b64(std::string_view name) const;                    // required base64url
  json::array const& array(std::string_view name) const;

 private:
  json::value const* find(std::string_view name) const;
  json::object const& o_;
};

std::size_t code_points(std::string_view utf8) noexcept;
bool matches_name(std::string_view s, std::size_t min, std::size_t max, std::string_view extra_chars,
                  bool allow_upper = true) noexcept;
bool printable_line(std::string_view s) noexcept;  // no control characters (so no '\n')
std::optional<std::size_t> page_limit(fields const& f, std::size_t def = 50, std::size_t max = 100);

// A cursor for the protocol: the string, or null at the end.
json::value cursor_value(std::optional<std::string> const& next);
// One page of a listing as {items_key: [view(item)...], "next": cursor}; a
// cursor the store did not issue is bad_request, an unknown listing not_found
// (checked_page: the page itself, or that failure).
template <class T>
storage::page<T> checked_page(result<storage::page<T>> r, std::string_view not_found_message = "no such item");
template <class T, class View>
json::object page_view(result<storage::page<T>> r, std::string_view items_key, View view,
                       std::string_view not_found_message = "no such item");

// ----------------------------------------------------------- implementation

template <class T>
storage::page<T> checked_page(result<storage::page<T>> r, std::string_view not_found_message) {
  if (!r && r.error() == make_error_code(errc::bad_request))
    fail(errc::bad_request, "field 'before' is not a cursor this server issued");
  if (!r && r.error() == make_error_code(errc::not_found)) fail(errc::not_found, std::string(not_found_message));
  return check(std::move(r));
}

template <class T, class View>
json::object page_view(result<storage::page<T>> r, std::string_view items_key, View view,
                       std::string_view not_found_message) {
  auto pg = checked_page(std::move(r), not_found_message);
  json::array items;
  for (auto const& it : pg.items) items.push_back(view(it));
  return json::object{{items_key, std::move(items)}, {"next", cursor_value(pg.next)}};
}


template <class T>
T check(result<T> r, std::string_view what) {
  if (r) return std::move(*r);
  fail_with(r.error(), what);
}

void answer_exception(call_base const& c, std::exception_ptr e) noexcept;
call_base::reply exception_reply(call_base const& c, std::exception_ptr e) noexcept;
call_base::reply not_durable_reply(call_base const& c);
// Sends r once every change made so far is durable.
void send_when_durable(any_call_ptr const& c, call_base::reply r);

// Whether work takes the storage access it runs with (see run()).
template <class Work>
inline constexpr bool takes_access = std::is_invocable_v<Work&, storage::access>;

template <class Work>
decltype(auto) call_work(Work& work, storage::access a) {
  if constexpr (takes_access<Work>) return work(a);
  else return work();
}

// One attempt at work with access a: done(result) on success, else the
// failure is answered. With access::no_wait (an I/O thread) a storage call
// that would wait for the disk answers would_block instead; then nothing was
// changed and the attempt returns false, to be redone on the blocking pool.
template <class Work, class Done>
bool attempt(any_call_ptr const& c, Work& work, Done& done, storage::access a) {
  try {
    std::optional<std::remove_cvref_t<decltype(call_work(work, a))>> out;
    out = call_work(work, a);
    done(std::move(*out));
  } catch (would_block_failure const&) {
    if (a == storage::access::no_wait) {
      c->rt.stats().io_handoff();
      return false;
    }
    // (only a call made with access::no_wait answers would_block)
    send_when_durable(c, c->error_reply(errc::internal, default_message(errc::internal)));
  } catch (...) {
    send_when_durable(c, exception_reply(*c, std::current_exception()));
  }
  return true;
}

// run() and run_then(): where work runs, and the hand-off to the blocking
// pool when an attempt on the I/O thread would block.
template <class Work, class Done>
void run_with(pool p, any_call_ptr const& c, Work work, Done done) {
  if (p == pool::io && (!takes_access<Work> || !c->rt.cfg().io_fast_path)) p = pool::blocking;
  if (p == pool::io) {
    if (attempt(c, work, done, storage::access::no_wait)) return;
    p = pool::blocking;  // it changed nothing: redo it there
  }
  auto task = [c, work = std::move(work), done = std::move(done)]() mutable {
    attempt(c, work, done, storage::access::wait);
  };
  if (p == pool::hash) {
    if (!c->rt.hash(std::move(task)))
      send_when_durable(c, c->error_reply(errc::rate_limited, "the server is busy checking passwords; try again in a moment"));
  } else if (p == pool::cpu) {
    c->rt.cpu(std::move(task));
  } else {
    c->rt.blocking(std::move(task));
  }
}

template <class C, class Work>
void run(pool p, std::shared_ptr<C const> const& c, Work work) {
  run_with(p, c, std::move(work), [c](auto out) { send_when_durable(c, c->ok_reply(std::move(out))); });
}

template <class C, class Work, class Then>
void run_then(pool p, std::shared_ptr<C const> const& c, Work work, Then then) {
  run_with(p, c, std::move(work), [c, then](json::object out) {
    c->rt.when_durable([c, then, out = std::move(out)](bool synced) mutable {
      if (!synced) return c->send(not_durable_reply(*c));
      c->conn->dispatch([c, then = std::move(then), out = std::move(out)]() mutable {
        try {
          then(out);
          c->ok(std::move(out));
        } catch (...) {
          answer_exception(*c, std::current_exception());
        }
      });
    });
  });
}

template <class C, class First, class Second, class Then>
void run_hashed(std::shared_ptr<C const> const& c, First first, Second second, Then then) {
  run_with(
      pool::io, c,
      [first = std::move(first)](storage::access a) mutable {
        first(a);
        return json::object{};
      },
      [c, second = std::move(second), then = std::move(then)](json::object) mutable {
        run_then(pool::hash, c, std::move(second), std::move(then));
      });
}

}  // namespace hearth::server
