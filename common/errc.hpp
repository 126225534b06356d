// hearth's single error-code registry: one enumerator per protocol error code
// (PROTOCOL.md §2), in the protocol's own words. Library functions return
// hearth::result<T>; the server maps an errc to the wire code with
// protocol_code().
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string_view>
#include <type_traits>

namespace hearth {

enum class errc {
  bad_request = 1,
  unknown_op,
  unauthenticated,
  forbidden,
  not_found,
  conflict,
  rate_limited,
  too_large,
  quota_exhausted,
  key_unknown,
  key_expired,
  invalid_token,
  token_spent,
  invalid_signature,
  banned,
  internal,
};

[[nodiscard]] boost::system::error_category const& hearth_category() noexcept;

[[nodiscard]] inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), hearth_category()};
}

// The protocol's code string ("bad_request", ...). Any error_code that is not
// of the hearth category maps to "internal": its message never reaches a client.
[[nodiscard]] std::string_view protocol_code(boost::system::error_code const& ec) noexcept;
[[nodiscard]] std::string_view protocol_code(errc e) noexcept;

template <class T>
using result = boost::system::result<T, boost::system::error_code>;

}  // namespace hearth

namespace boost::system {
template <>
struct is_error_code_enum<hearth::errc> : std::true_type {};
}  // namespace boost::system
