#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "crypto/random.hpp"

namespace {

// libsodium selects its implementations in init(); every test runs after this.
struct crypto_init {
  crypto_init() { hearth::crypto::init(); }
} const initialised;

}  // namespace
