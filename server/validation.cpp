#include "server/validation.hpp"

#include "server/call.hpp"
#include "storage/search.hpp"

namespace hearth::server {

bool valid_employee_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= 128 && printable_line(id);
}

bool valid_staff_username(std::string_view name) noexcept { return matches_name(name, 1, 64, "_.-"); }
bool valid_handle(std::string_view handle) noexcept { return matches_name(handle, 3, 20, "_"); }
bool valid_channel(std::string_view name) noexcept { return matches_name(name, 1, 32, "-", false); }

std::optional<std::string> password_problem(std::string_view password) {
  if (code_points(password) < min_password_code_points)
    return "the password must be at least " + std::to_string(min_password_code_points) + " characters long";
  if (password.size() > max_password_bytes) return std::string("the password is too long");
  return std::nullopt;
}

crypto::pwhash_params argon2_params(config const& cfg) noexcept { return {cfg.argon2_opslimit, cfg.argon2_memlimit}; }

std::string handle_field(fields const& f, std::string_view name) {
  auto h = f.str(name);
  if (!valid_handle(h)) fail(errc::bad_request, "field '" + std::string(name) + "' must match ^[A-Za-z0-9_]{3,20}$");
  return h;
}

std::string channel_field(fields const& f, std::string_view name) {
  auto ch = f.str(name);
  if (!valid_channel(ch)) fail(errc::bad_request, "field '" + std::string(name) + "' must match ^[a-z0-9-]{1,32}$");
  return ch;
}

std::string post_id_field(fields const& f, std::string_view name) {
  auto id = f.str(name);
  if (id.empty() || id.size() > 64 || !printable_line(id))
    fail(errc::bad_request, "field '" + std::string(name) + "' is not a post id");
  return id;
}

std::string action_id_field(fields const& f, std::string_view name) {
  auto id = f.str(name);
  if (id.empty() || id.size() > 64 || !printable_line(id))
    fail(errc::bad_request, "field '" + std::string(name) + "' is not a moderation log entry id");
  return id;
}

std::string reason_field(fields const& f, bool required) {
  auto r = required ? f.str("reason") : f.opt_str("reason").value_or("");
  if (code_points(r) > max_reason_code_points)
    fail(errc::too_large, "field 'reason' is longer than " + std::to_string(max_reason_code_points) + " characters");
  return r;
}

std::string new_password_field(fields const& f, std::string_view name) {
  auto p = f.str(name);
  if (auto problem = password_problem(p)) fail(errc::bad_request, *problem);
  return p;
}

std::string password_field(fields const& f, std::string_view name) {
  auto p = f.str(name);
  if (p.size() > max_password_bytes) fail(errc::bad_request, "the password is too long");
  return p;
}

rotation rotation_field(fields const& f, config const& cfg) {
  rotation r{cfg.key_bits, cfg.issue_days, cfg.accept_days};
  if (auto bits = f.opt_integer("bits")) {
    if (*bits != 2048 && *bits != 3072 && *bits != 4096) fail(errc::bad_request, "field 'bits' must be 2048, 3072 or 4096");
    r.bits = static_cast<unsigned>(*bits);
  }
  auto issue = f.opt_number("issue_days");
  auto accept = f.opt_number("accept_days");
  if (issue) r.issue_days = *issue;
  if (accept) r.accept_days = *accept;
  if (issue && !accept && r.accept_days < r.issue_days) r.accept_days = r.issue_days;
  if (!(r.issue_days > 0) || !(r.accept_days > 0))
    fail(errc::bad_request, "fields 'issue_days' and 'accept_days' must be positive numbers");
  if (r.accept_days < r.issue_days) fail(errc::bad_request, "field 'accept_days' must be at least 'issue_days'");
  return r;
}

std::string search_query_field(fields const& f, std::string_view name) {
  auto q = f.str(name);
  auto const n = code_points(q);
  if (n == 0 || n > max_query_code_points)
    fail(errc::bad_request, "field '" + std::string(name) + "' must be 1 to 200 characters long");
  auto const words = storage::search_terms(q).size();
  if (words == 0) fail(errc::bad_request, "field '" + std::string(name) + "' holds no word to search for");
  if (words > storage::max_query_terms) fail(errc::bad_request, "field '" + std::string(name) + "' holds more than 8 words");
  return q;
}

search_request search_fields(fields const& f) {
  search_request r;
  r.query = search_query_field(f);
  if (f.opt_str("channel")) r.channel = channel_field(f);
  r.before = f.opt_str("before");
  r.limit = *page_limit(f, 20, 50);
  return r;
}

std::string poll_id_field(fields const& f, std::string_view name) {
  auto id = f.str(name);
  if (id.empty() || id.size() > 64 || !printable_line(id))
    fail(errc::bad_request, "field '" + std::string(name) + "' is not a poll id");
  return id;
}

std::string poll_question_field(fields const& f) {
  auto q = f.str("question");
  auto const n = code_points(q);
  if (n == 0 || n > max_poll_question_code_points || !printable_line(q))
    fail(errc::bad_request, "field 'question' must be 1 to 300 characters on one line");
  return q;
}

std::vector<std::string> poll_options_field(fields const& f) {
  auto const& a = f.array("options");
  if (a.size() < 2 || a.size() > 10) fail(errc::bad_request, "field 'options' must hold 2 to 10 options");
  std::vector<std::string> out;
  for (auto const& v : a) {
    if (!v.is_string()) fail(errc::bad_request, "field 'options' must hold strings");
    std::string o(v.as_string());
    auto const n = code_points(o);
    if (n == 0 || n > max_poll_option_code_points || !printable_line(o))
      fail(errc::bad_request, "each option must be 1 to 100 characters on one line");
    for (auto const& earlier : out) {
      if (earlier == o) fail(errc::bad_request, "field 'options' repeats an option");
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::int64_t poll_closes_at_field(fields const& f, std::int64_t now, std::int64_t granularity) {
  auto const t = f.integer("closes_at");
  if (t <= now) fail(errc::bad_request, "field 'closes_at' must be in the future");
  if (t > now + max_poll_seconds) fail(errc::bad_request, "field 'closes_at' must be at most 30 days ahead");
  if (granularity > 1 && t % granularity != 0)
    fail(errc::bad_request, "field 'closes_at' must be a multiple of " + std::to_string(granularity) + " seconds");
  return t;
}

std::string client_nonce_field(fields const& f, std::string_view name) {
  auto n = f.str(name);
  if (!matches_name(n, 16, 64, "-_"))
    fail(errc::bad_request, "field '" + std::string(name) + "' must be 16..64 base64url characters");
  return n;
}

}  // namespace hearth::server
