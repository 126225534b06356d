#include "common/errc.hpp"

#include <string>

namespace hearth {
namespace {

class category final : public boost::system::error_category {
 public:
  char const* name() const noexcept override { return "hearth"; }
  std::string message(int ev) const override {
    return std::string(protocol_code(static_cast<errc>(ev)));
  }
};

}  // namespace

boost::system::error_category const& hearth_category() noexcept {
  static category const instance;
  return instance;
}

std::string_view protocol_code(errc e) noexcept {
  switch (e) {
    case errc::bad_request: return "bad_request";
    case errc::unknown_op: return "unknown_op";
    case errc::unauthenticated: return "unauthenticated";
    case errc::forbidden: return "forbidden";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::rate_limited: return "rate_limited";
    case errc::too_large: return "too_large";
    case errc::quota_exhausted: return "quota_exhausted";
    case errc::key_unknown: return "key_unknown";
    case errc::key_expired: return "key_expired";
    case errc::invalid_token: return "invalid_token";
    case errc::token_spent: return "token_spent";
    case errc::invalid_signature: return "invalid_signature";
    case errc::banned: return "banned";
    case errc::internal: return "internal";
  }
  return "internal";
}

std::string_view protocol_code(boost::system::error_code const& ec) noexcept {
  if (ec.category() != hearth_category()) return "internal";
  return protocol_code(static_cast<errc>(ec.value()));
}

}  // namespace hearth
