// `hearth verify-export FILE`: checks, offline, a pseudonym's export (the
// file the web client's "Export my posts" saves; docs/protocol.md, "Search
// and export") against the key directory it carries.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace hearth::cli {

// Verifies the directory's signature by its master key (or by master_key,
// base64url, when given: the key the issuer's operator published), that
// every certification names a key of that directory with its epoch, and
// every post's Ed25519 signature by the pseudonym over its signed bytes
// (PROTOCOL.md §3). Prints a summary to out, each failure to err; returns 0
// when all hold, 1 otherwise (also for an unreadable or malformed file).
int verify_export(std::filesystem::path const& file, std::optional<std::string> const& master_key, std::ostream& out,
                  std::ostream& err);

}  // namespace hearth::cli
