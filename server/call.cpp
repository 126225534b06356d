#include "server/call.hpp"

#include "crypto/encoding.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cmath>

namespace hearth::server {

std::string default_message(errc code) {
  switch (code) {
    case errc::bad_request: return "the request is malformed";
    case errc::unknown_op: return "this endpoint has no such op";
    case errc::unauthenticated: return "authenticate first";
    case errc::forbidden: return "not allowed";
    case errc::not_found: return "no such item";
    case errc::conflict: return "conflicts with the current state";
    case errc::rate_limited: return "too many requests; slow down and retry later";
    case errc::too_large: return "too large";
    case errc::quota_exhausted: return "no tokens left for this key";
    case errc::key_unknown: return "no such key";
    case errc::key_expired: return "the key is not valid for this";
    case errc::invalid_token: return "the token does not verify";
    case errc::token_spent: return "this token was already used";
    case errc::invalid_signature: return "the signature does not verify";
    case errc::banned: return "banned";
    case errc::internal: return "internal error";
  }
  return "internal error";
}

void fail_with(boost::system::error_code const& ec, std::string_view what) {
  if (storage::is_would_block(ec)) throw would_block_failure{};
  errc code = ec.category() == hearth_category() ? static_cast<errc>(ec.value()) : errc::internal;
  fail(code, what.empty() ? default_message(code) : std::string(what));
}

void check(result<void> r, std::string_view what) {
  if (!r) fail_with(r.error(), what);
}


call_base::reply call_base::ok_reply(json::object result) const {
  json::object out;
  out["id"] = id;
  out["ok"] = true;
  out["result"] = std::move(result);
  return {"ok", json::serialize(out)};
}

std::string call_base::ok_head() const {
  // As ok_reply(json::object): {"id":…,"ok":true,"result":…}, in that order.
  return "{\"id\":" + json::serialize(id) + ",\"ok\":true,\"result\":";
}

call_base::reply call_base::ok_reply(raw_json result) const {
  if (result.framed) return {"ok", std::move(result.text)};
  std::string frame = ok_head();
  frame.reserve(frame.size() + result.text.size() + 1);
  frame += result.text;
  frame += '}';
  return {"ok", std::move(frame)};
}

call_base::reply call_base::error_reply(errc code, std::string const& message) const {
  json::object out;
  out["id"] = id;
  out["ok"] = false;
  out["error"] = json::object{{"code", protocol_code(code)}, {"message", message}};
  return {std::string(protocol_code(code)), json::serialize(out)};
}

void call_base::send(reply r) const {
  if (r.frame.empty()) return;  // building the answer itself failed (logged)
  rt.stats().op_done(conn->kind(), op, r.code, std::chrono::steady_clock::now() - start);
  conn->send(std::make_shared<std::string const>(std::move(r.frame)));
}

call_base::reply exception_reply(call_base const& c, std::exception_ptr e) noexcept {
  try {
    try {
      std::rethrow_exception(e);
    } catch (op_failure const& f) {
      return c.error_reply(f.code, f.message);
    } catch (std::exception const& ex) {
      spdlog::error("op {} failed with an unexpected exception: {}", c.op, ex.what());
      return c.error_reply(errc::internal, default_message(errc::internal));
    }
  } catch (...) {
    spdlog::error("op {}: could not answer", c.op);
  }
  return {};
}

void answer_exception(call_base const& c, std::exception_ptr e) noexcept {
  auto r = exception_reply(c, e);
  if (r.frame.empty()) return;
  try {
    c.send(std::move(r));
  } catch (...) {
    spdlog::error("op {}: could not answer", c.op);
  }
}

call_base::reply not_durable_reply(call_base const& c) {
  spdlog::error("op {}: syncing the WAL failed; the change may not survive a crash", c.op);
  return c.error_reply(errc::internal, "the change could not be saved durably; retry later");
}

void send_when_durable(any_call_ptr const& c, call_base::reply r) {
  c->rt.when_durable([c, r = std::move(r)](bool synced) mutable {
    if (synced) c->send(std::move(r));
    else c->send(not_durable_reply(*c));
  });
}

json::value cursor_value(std::optional<std::string> const& next) {
  return next ? json::value(*next) : json::value(nullptr);
}

// ------------------------------------------------------------------ fields

json::value const* fields::find(std::string_view name) const {
  auto it = o_.find(name);
  return it == o_.end() ? nullptr : &it->value();
}

std::string fields::str(std::string_view name) const {
  auto v = find(name);
  if (!v) fail(errc::bad_request, "missing field '" + std::string(name) + "'");
  if (!v->is_string()) fail(errc::bad_request, "field '" + std::string(name) + "' must be a string");
  return std::string(v->as_string());
}

std::optional<std::string> fields::opt_str(std::string_view name) const {
  auto v = find(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) fail(errc::bad_request, "field '" + std::string(name) + "' must be a string");
  return std::string(v->as_string());
}

std::optional<std::int64_t> fields::opt_integer(std::string_view name) const {
  auto v = find(name);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) {
    double const d = v->as_double();
    // Range first: casting an out-of-range double to an integer is undefined.
    if (d >= -9007199254740991.0 && d <= 9007199254740991.0 && d == std::trunc(d))
      return static_cast<std::int64_t>(d);
  }
  fail(errc::bad_request, "field '" + std::string(name) + "' must be an integer");
}

std::int64_t fields::integer(std::string_view name) const {
  auto v = opt_integer(name);
  if (!v) fail(errc::bad_request, "missing field '" + std::string(name) + "'");
  return *v;
}

std::optional<double> fields::opt_number(std::string_view name) const {
  auto v = find(name);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_number()) return v->to_number<double>();
  fail(errc::bad_request, "field '" + std::string(name) + "' must be a number");
}

bool fields::boolean(std::string_view name) const {
  auto v = find(name);
  if (!v) fail(errc::bad_request, "missing field '" + std::string(name) + "'");
  if (!v->is_bool()) fail(errc::bad_request, "field '" + std::string(name) + "' must be true or false");
  return v->as_bool();
}

crypto::bytes fields::b64(std::string_view name) const {
  auto s = str(name);
  auto b = crypto::base64url_decode(s);
  if (!b) fail(errc::bad_request, "field '" + std::string(name) + "' must be base64url without padding");
  return std::move(*b);
}

json::array const& fields::array(std::string_view name) const {
  auto v = find(name);
  if (!v) fail(errc::bad_request, "missing field '" + std::string(name) + "'");
  if (!v->is_array()) fail(errc::bad_request, "field '" + std::string(name) + "' must be an array");
  return v->as_array();
}

std::size_t code_points(std::string_view utf8) noexcept {
  std::size_t n = 0;
  for (unsigned char ch : utf8)
    if ((ch & 0xC0) != 0x80) ++n;
  return n;
}

bool matches_name(std::string_view s, std::size_t min, std::size_t max, std::string_view extra, bool allow_upper) noexcept {
  if (s.size() < min || s.size() > max) return false;
  for (char ch : s) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (allow_upper && ch >= 'A' && ch <= 'Z') ||
              extra.find(ch) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool printable_line(std::string_view s) noexcept {
  for (unsigned char ch : s)
    if (ch < 0x20 || ch == 0x7F) return false;
  return true;
}

std::optional<std::size_t> page_limit(fields const& f, std::size_t def, std::size_t max) {
  auto v = f.opt_integer("limit");
  if (!v) return def;
  if (*v < 1 || static_cast<std::size_t>(*v) > max)
    fail(errc::bad_request, "field 'limit' must be between 1 and " + std::to_string(max));
  return static_cast<std::size_t>(*v);
}

}  // namespace hearth::server
