// Text encodings of binary values: base64url without padding (RFC 4648 §5,
// the protocol's only binary encoding) and lowercase hex (tests, fingerprints).
#pragma once

#include "common/errc.hpp"
#include "crypto/bytes.hpp"

#include <string>
#include <string_view>

namespace hearth::crypto {

[[nodiscard]] std::string base64url_encode(byte_view in);
// The same characters, appended to out (a listing written straight to text).
void base64url_append(std::string& out, byte_view in);
// Strict: rejects padding, characters outside the url-safe alphabet, and
// non-canonical trailing bits. Error: errc::bad_request.
[[nodiscard]] result<bytes> base64url_decode(std::string_view in);

[[nodiscard]] std::string hex_encode(byte_view in);
[[nodiscard]] result<bytes> hex_decode(std::string_view in);

}  // namespace hearth::crypto
