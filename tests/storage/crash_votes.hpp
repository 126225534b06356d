// The votes of the crash test's writer, shared with the checker: voter i of
// a writer thread casts crash_vote(i, 0), and every third one changes to
// crash_vote(i, 1).
#pragma once

#include "storage/polls.hpp"

#include <string>

namespace hearth::storage {

inline bytes crash_voter(std::string const& round, int thread, int i) {
  auto const id = "v" + round + "-" + std::to_string(thread) + "-" + std::to_string(i);
  bytes pk(32, 0x77);
  for (std::size_t k = 0; k < id.size() && k < 32; ++k) pk[k] = static_cast<std::uint8_t>(id[k]);
  return pk;
}

inline bool crash_changes(int i) { return i % 3 == 0; }

inline vote_opening crash_vote(int i, int step) {
  bytes salt(vote_salt_bytes, static_cast<std::uint8_t>(step));
  for (std::size_t k = 0; k < 4; ++k) salt[k + 1] = static_cast<std::uint8_t>(i >> (8 * k));
  return vote_opening{static_cast<std::uint64_t>((i + step) % 4), std::move(salt)};
}

}  // namespace hearth::storage
