// Byte buffers shared by all of hearth: plain `bytes` for public values and
// `secret_bytes`, a move-only owner that wipes its contents on destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::crypto {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<std::uint8_t const>;

inline byte_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<std::uint8_t const*>(s.data()), s.size()};
}
inline std::string to_string(byte_view b) {
  return {reinterpret_cast<char const*>(b.data()), b.size()};
}

// Secret material: never copied implicitly, wiped with sodium_memzero when it
// goes away. Deliberately has no operator<< and no to_string.
class secret_bytes {
 public:
  secret_bytes() = default;
  explicit secret_bytes(std::size_t n);
  explicit secret_bytes(byte_view b);
  secret_bytes(secret_bytes&& o) noexcept;
  secret_bytes& operator=(secret_bytes&& o) noexcept;
  secret_bytes(secret_bytes const&) = delete;
  secret_bytes& operator=(secret_bytes const&) = delete;
  ~secret_bytes();

  [[nodiscard]] secret_bytes clone() const { return secret_bytes(view()); }
  [[nodiscard]] std::uint8_t* data() noexcept { return buf_.data(); }
  [[nodiscard]] std::uint8_t const* data() const noexcept { return buf_.data(); }
  [[nodiscard]] std::size_t size() const noexcept { return buf_.size(); }
  [[nodiscard]] bool empty() const noexcept { return buf_.empty(); }
  [[nodiscard]] byte_view view() const noexcept { return {buf_.data(), buf_.size()}; }

 private:
  void wipe() noexcept;
  std::vector<std::uint8_t> buf_;
};

}  // namespace hearth::crypto
