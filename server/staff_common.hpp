// Staff-side helpers shared by the staff endpoint and the offline CLI
// commands (`hearth roster import`, `hearth staff add`, `hearth keys rotate`).
#pragma once

#include "common/errc.hpp"
#include "crypto/password.hpp"
#include "server/validation.hpp"
#include "storage/stores.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::server {

// Enrollment codes are 100-bit random strings (20 characters of Crockford
// base32, grouped as XXXXX-XXXXX-XXXXX-XXXXX); being high-entropy they are
// stored as a salted-by-domain SHA-256, not Argon2id.
std::string new_enrollment_code();
std::string enrollment_code_hash(std::string_view code);
bool enrollment_code_matches(std::string_view stored_hash, std::string_view code);

std::string_view role_name(storage::staff_role r) noexcept;

// Imports ids (all-or-nothing) and returns id -> one-time code.
// bad_request for an invalid or repeated id.
[[nodiscard]] result<std::map<std::string, std::string>> import_roster(storage::issuer_store& store,
                                                                       std::vector<std::string> const& ids);

}  // namespace hearth::server
