#include "crypto/bytes.hpp"

#include <sodium.h>

#include <utility>

namespace hearth::crypto {

secret_bytes::secret_bytes(std::size_t n) : buf_(n) {}

secret_bytes::secret_bytes(byte_view b) : buf_(b.begin(), b.end()) {}

secret_bytes::secret_bytes(secret_bytes&& o) noexcept : buf_(std::move(o.buf_)) {
  o.buf_.clear();
}

secret_bytes& secret_bytes::operator=(secret_bytes&& o) noexcept {
  if (this != &o) {
    wipe();
    buf_ = std::move(o.buf_);
    o.buf_.clear();
  }
  return *this;
}

secret_bytes::~secret_bytes() { wipe(); }

void secret_bytes::wipe() noexcept {
  if (!buf_.empty()) sodium_memzero(buf_.data(), buf_.size());
  buf_.clear();
}

}  // namespace hearth::crypto
