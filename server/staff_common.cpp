#include "server/staff_common.hpp"

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

#include <set>

namespace hearth::server {

namespace {
constexpr std::string_view crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t code_chars = 20;
constexpr std::string_view code_hash_prefix = "sha256:";
}  // namespace

std::string new_enrollment_code() {
  auto const raw = crypto::random_bytes(code_chars);
  std::string code;
  for (std::size_t i = 0; i < code_chars; ++i) {
    if (i && i % 5 == 0) code.push_back('-');
    code.push_back(crockford[raw[i] % crockford.size()]);  // 256 is a multiple of 32: no bias
  }
  return code;
}

std::string enrollment_code_hash(std::string_view code) {
  std::string in = "hearth/enroll/v1";
  in.push_back('\0');
  // Codes are compared without their dashes and case-insensitively.
  for (char ch : code) {
    if (ch == '-' || ch == ' ') continue;
    in.push_back(static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch));
  }
  return std::string(code_hash_prefix) + crypto::base64url_encode(crypto::sha256(crypto::as_bytes(in)));
}

bool enrollment_code_matches(std::string_view stored_hash, std::string_view code) {
  if (stored_hash.empty()) return false;
  auto const h = enrollment_code_hash(code);
  return crypto::equal(crypto::as_bytes(h), crypto::as_bytes(stored_hash));
}

std::string_view role_name(storage::staff_role r) noexcept {
  return r == storage::staff_role::admin ? "admin" : "moderator";
}

result<std::map<std::string, std::string>> import_roster(storage::issuer_store& store,
                                                         std::vector<std::string> const& ids) {
  std::set<std::string> seen;
  for (auto const& id : ids)
    if (!valid_employee_id(id) || !seen.insert(id).second) return errc::bad_request;
  std::map<std::string, std::string> codes;
  std::vector<std::pair<std::string, std::string>> rows;
  rows.reserve(ids.size());
  for (auto const& id : ids) {
    auto code = new_enrollment_code();
    rows.emplace_back(id, enrollment_code_hash(code));
    codes.emplace(id, std::move(code));
  }
  if (auto r = store.import_roster(rows); !r) return r.error();
  return codes;
}

}  // namespace hearth::server
