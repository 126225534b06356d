#include "crypto/encoding.hpp"

#include <array>
#include <cstdint>

namespace hearth::crypto {
namespace {

constexpr std::string_view base64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::uint8_t invalid_sextet = 0xff;
constexpr unsigned bits_per_sextet = 6;
constexpr unsigned bits_per_byte = 8;
constexpr std::size_t chars_per_group = 4;  // 4 characters carry 3 bytes
constexpr std::size_t bytes_per_group = 3;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = invalid_sextet;
  for (std::size_t i = 0; i < base64url_alphabet.size(); ++i)
    t[static_cast<unsigned char>(base64url_alphabet[i])] = static_cast<std::uint8_t>(i);
  return t;
}
constexpr auto decode_table = make_decode_table();

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void base64url_append(std::string& out, byte_view in) {
  // Whole groups of 3 bytes -> 4 characters, written in place; then the 1 or
  // 2 bytes left -> 2 or 3 characters (no padding).
  std::size_t o = out.size();
  out.resize(o + (in.size() * chars_per_group + bytes_per_group - 1) / bytes_per_group);
  auto const* a = base64url_alphabet.data();
  std::size_t i = 0;
  for (; i + bytes_per_group <= in.size(); i += bytes_per_group, o += chars_per_group) {
    std::uint32_t const v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out[o] = a[(v >> 18) & 0x3f];
    out[o + 1] = a[(v >> 12) & 0x3f];
    out[o + 2] = a[(v >> 6) & 0x3f];
    out[o + 3] = a[v & 0x3f];
  }
  std::size_t const rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t const v = (std::uint32_t{in[i]} << 16) | (rest == 2 ? std::uint32_t{in[i + 1]} << 8 : 0u);
    out[o] = a[(v >> 18) & 0x3f];
    out[o + 1] = a[(v >> 12) & 0x3f];
    if (rest == 2) out[o + 2] = a[(v >> 6) & 0x3f];
  }
}

std::string base64url_encode(byte_view in) {
  std::string out;
  base64url_append(out, in);
  return out;
}

result<bytes> base64url_decode(std::string_view in) {
  // A lone trailing character carries fewer than 8 bits: never a valid encoding.
  if (in.size() % chars_per_group == 1) return errc::bad_request;
  bytes out;
  out.reserve(in.size() * bytes_per_group / chars_per_group);
  std::uint32_t acc = 0;
  unsigned acc_bits = 0;
  for (char c : in) {
    std::uint8_t v = decode_table[static_cast<unsigned char>(c)];
    if (v == invalid_sextet) return errc::bad_request;  // also '=' padding, '+', '/'
    acc = ((acc << bits_per_sextet) | v) & 0xffffU;
    acc_bits += bits_per_sextet;
    if (acc_bits >= bits_per_byte) {
      acc_bits -= bits_per_byte;
      out.push_back(static_cast<std::uint8_t>(acc >> acc_bits));
    }
  }
  // Canonical form: the unused low bits of the last character are zero.
  if ((acc & ((1U << acc_bits) - 1U)) != 0) return errc::bad_request;
  return out;
}

std::string hex_encode(byte_view in) {
  std::string out;
  out.reserve(in.size() * 2);
  for (std::uint8_t b : in) {
    out.push_back(hex_digits[b >> 4]);
    out.push_back(hex_digits[b & 0x0f]);
  }
  return out;
}

result<bytes> hex_decode(std::string_view in) {
  if (in.size() % 2 != 0) return errc::bad_request;
  bytes out(in.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(in[2 * i]);
    int lo = hex_value(in[2 * i + 1]);
    if (hi < 0 || lo < 0) return errc::bad_request;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

}  // namespace hearth::crypto
