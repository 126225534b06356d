#include "server/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace hearth::server {
namespace {

struct reader {
  toml::table const& root;
  std::string file;

  [[noreturn]] void bad(std::string const& key, std::string const& what) const {
    throw std::runtime_error(file + ": " + key + ": " + what);
  }
  toml::node const* find(std::string const& key) const {
    return root.at_path(key).node();
  }
  void get(std::string const& key, std::string& out) const {
    if (auto n = find(key)) {
      auto v = n->value<std::string>();
      if (!v) bad(key, "expected a string");
      out = *v;
    }
  }
  void get(std::string const& key, double& out) const {
    if (auto n = find(key)) {
      auto v = n->value<double>();
      if (!v || *v < 0) bad(key, "expected a non-negative number");
      out = *v;
    }
  }
  template <class Int>
    requires std::is_integral_v<Int>
  void get(std::string const& key, Int& out) const {
    if (auto n = find(key)) {
      if constexpr (std::is_same_v<Int, bool>) {
        auto v = n->value<bool>();
        if (!v) bad(key, "expected true or false");
        out = *v;
      } else {
        auto v = n->value<std::int64_t>();
        if (!v || *v < 0) bad(key, "expected a non-negative integer");
        out = static_cast<Int>(*v);
      }
    }
  }
  void get(std::string const& key, std::vector<std::string>& out) const {
    if (auto n = find(key)) {
      auto arr = n->as_array();
      if (!arr) bad(key, "expected an array of strings");
      out.clear();
      for (auto const& e : *arr) {
        auto v = e.value<std::string>();
        if (!v) bad(key, "expected an array of strings");
        out.push_back(*v);
      }
    }
  }
  void get(std::string const& key, rate_rule& out) const {
    if (auto n = find(key)) {
      auto t = n->as_table();
      if (!t) bad(key, "expected { per_second = N, burst = N }");
      for (auto const& [k, _] : *t)
        if (k.str() != "per_second" && k.str() != "burst") bad(key, "unknown field " + std::string(k.str()));
    }
    get(key + ".per_second", out.per_second);
    get(key + ".burst", out.burst);
    if (out.per_second > 0 && out.burst < 1) bad(key + ".burst", "must be at least 1 (or set per_second = 0 to turn the limit off)");
  }
};

void check_known(toml::table const& root, std::string const& file) {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> known = {
      {"server", {"listen", "web", "allowed_origins", "io_threads", "cpu_threads", "blocking_threads",
                  "wal_sync_interval_ms", "io_fast_path"}},
      {"limits", {"frame_max", "write_queue_messages", "write_queue_bytes", "handshake_timeout",
                  "idle_timeout", "close_timeout", "write_timeout", "max_connections", "ops_in_flight"}},
      {"issuer", {"auth", "auth_header", "trusted_proxies", "quota", "argon2_opslimit", "argon2_memlimit",
                  "login_failures", "login_failure_window", "hash_threads", "hash_queue", "issued_refresh",
                  "forum_url"}},
      {"forum", {"time_granularity", "min_crowd", "nonce_ttl", "directory_refresh", "issuer_ws_url"}},
      {"keys", {"bits", "issue_days", "accept_days", "auto_rotate", "min_window_days"}},
      {"storage", {"scrub_interval", "block_cache_mb"}},
      {"rate", {"ops", "auth", "issue", "post", "failed_logins"}},
  };
  for (auto const& [section, node] : root) {
    // (clang 14 cannot capture a structured binding in a lambda)
    std::string_view const name = section.str();
    auto it = std::find_if(known.begin(), known.end(), [&](auto const& k) { return k.first == name; });
    if (it == known.end()) throw std::runtime_error(file + ": unknown section [" + std::string(section.str()) + "]");
    auto tbl = node.as_table();
    if (!tbl) throw std::runtime_error(file + ": [" + std::string(section.str()) + "] must be a table");
    for (auto const& [key, _] : *tbl) {
      if (std::find(it->second.begin(), it->second.end(), key.str()) == it->second.end())
        throw std::runtime_error(file + ": unknown setting " + std::string(section.str()) + "." +
                                 std::string(key.str()) + " (see docs/configuration.md)");
    }
  }
}

}  // namespace

void load_config_file(std::filesystem::path const& file, config& cfg) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (toml::parse_error const& e) {
    throw std::runtime_error(file.string() + ": " + std::string(e.description()) + " at line " +
                             std::to_string(e.source().begin.line));
  }
  check_known(root, file.string());
  reader r{root, file.string()};
  r.get("server.listen", cfg.listen);
  std::string web = cfg.web_dir.string();
  r.get("server.web", web);
  cfg.web_dir = web;
  r.get("server.allowed_origins", cfg.allowed_origins);
  r.get("server.io_threads", cfg.io_threads);
  r.get("server.cpu_threads", cfg.cpu_threads);
  r.get("server.blocking_threads", cfg.blocking_threads);
  r.get("server.wal_sync_interval_ms", cfg.wal_sync_interval_ms);
  r.get("server.io_fast_path", cfg.io_fast_path);
  if (!(cfg.wal_sync_interval_ms >= 0 && cfg.wal_sync_interval_ms <= 1000))
    r.bad("server.wal_sync_interval_ms", "must be from 0 to 1000 milliseconds");
  r.get("limits.frame_max", cfg.frame_max);
  r.get("limits.write_queue_messages", cfg.write_queue_messages);
  r.get("limits.write_queue_bytes", cfg.write_queue_bytes);
  r.get("limits.handshake_timeout", cfg.handshake_timeout);
  r.get("limits.idle_timeout", cfg.idle_timeout);
  r.get("limits.close_timeout", cfg.close_timeout);
  r.get("limits.write_timeout", cfg.write_timeout);
  if (!(cfg.write_timeout > 0 && cfg.write_timeout <= 3600)) r.bad("limits.write_timeout", "must be from 0 (exclusive) to 3600 seconds");
  r.get("limits.max_connections", cfg.max_connections);
  r.get("limits.ops_in_flight", cfg.ops_in_flight);
  if (cfg.ops_in_flight < 1) r.bad("limits.ops_in_flight", "must be at least 1");
  std::string auth = cfg.auth == employer_auth::roster ? "roster" : "header";
  r.get("issuer.auth", auth);
  if (auth == "roster") cfg.auth = employer_auth::roster;
  else if (auth == "header") cfg.auth = employer_auth::header;
  else r.bad("issuer.auth", "expected \"roster\" or \"header\"");
  r.get("issuer.auth_header", cfg.auth_header);
  r.get("issuer.trusted_proxies", cfg.trusted_proxies);
  r.get("issuer.quota", cfg.quota);
  r.get("issuer.argon2_opslimit", cfg.argon2_opslimit);
  r.get("issuer.argon2_memlimit", cfg.argon2_memlimit);
  if (cfg.argon2_opslimit < 1 || cfg.argon2_memlimit < 8192)
    r.bad("issuer.argon2_memlimit", "Argon2id needs argon2_opslimit >= 1 and argon2_memlimit >= 8192 bytes");
  r.get("issuer.login_failures", cfg.login_failures);
  if (cfg.login_failures < 1) r.bad("issuer.login_failures", "must be at least 1");
  r.get("issuer.login_failure_window", cfg.login_failure_window);
  r.get("issuer.hash_threads", cfg.hash_threads);
  r.get("issuer.hash_queue", cfg.hash_queue);
  if (cfg.hash_queue < 1) r.bad("issuer.hash_queue", "must be at least 1");
  r.get("issuer.issued_refresh", cfg.issued_refresh);
  if (!(cfg.issued_refresh >= 0)) r.bad("issuer.issued_refresh", "must be a number of seconds, 0 or more");
  r.get("issuer.forum_url", cfg.forum_url);
  r.get("forum.directory_refresh", cfg.directory_refresh);
  if (!(cfg.directory_refresh >= 1)) r.bad("forum.directory_refresh", "must be at least 1 second");
  r.get("forum.issuer_ws_url", cfg.issuer_ws_url);
  r.get("storage.scrub_interval", cfg.scrub_interval);
  r.get("storage.block_cache_mb", cfg.block_cache_mb);
  if (cfg.block_cache_mb < 1 || cfg.block_cache_mb > 1048576)
    r.bad("storage.block_cache_mb", "must be from 1 to 1048576 (MiB)");
  if (!(cfg.scrub_interval >= 0)) r.bad("storage.scrub_interval", "must be a number of seconds, 0 (never) or more");
  r.get("forum.time_granularity", cfg.time_granularity);
  if (cfg.time_granularity < 1) r.bad("forum.time_granularity", "must be at least 1 second");
  r.get("forum.min_crowd", cfg.min_crowd);
  r.get("forum.nonce_ttl", cfg.nonce_ttl);
  r.get("keys.bits", cfg.key_bits);
  if (cfg.key_bits != 2048 && cfg.key_bits != 3072 && cfg.key_bits != 4096)
    r.bad("keys.bits", "must be 2048, 3072 or 4096");
  r.get("keys.issue_days", cfg.issue_days);
  r.get("keys.accept_days", cfg.accept_days);
  if (cfg.issue_days <= 0 || cfg.accept_days < cfg.issue_days)
    r.bad("keys.accept_days", "need 0 < issue_days <= accept_days");
  r.get("keys.auto_rotate", cfg.auto_rotate);
  r.get("keys.min_window_days", cfg.min_key_window_days);
  if (!(cfg.min_key_window_days >= 0)) r.bad("keys.min_window_days", "must be 0 or more days");
  if (cfg.issue_days < cfg.min_key_window_days)
    r.bad("keys.issue_days", "must be at least keys.min_window_days (" + std::to_string(cfg.min_key_window_days) +
                                 "): a shorter issuing window could single an employee out");
  r.get("rate.ops", cfg.rate_ops);
  r.get("rate.auth", cfg.rate_auth);
  r.get("rate.issue", cfg.rate_issue);
  r.get("rate.post", cfg.rate_post);
  r.get("rate.failed_logins", cfg.rate_failed_logins);
}

void write_instance(std::filesystem::path const& data_dir, instance_settings const& s) {
  toml::table t{{"issuer", s.issuer}};
  std::ofstream out(data_dir / "instance.toml");
  out << "# Fixed when this data directory was initialised; changing it invalidates every signature.\n"
      << t << "\n";
  if (!out) throw std::runtime_error("cannot write " + (data_dir / "instance.toml").string());
  out.close();
  // Like everything in the data directory: the owner's alone, whatever the umask.
  std::filesystem::permissions(data_dir / "instance.toml", std::filesystem::perms::owner_read |
                                   std::filesystem::perms::owner_write, std::filesystem::perm_options::replace);
}

instance_settings read_instance(std::filesystem::path const& data_dir) {
  auto file = data_dir / "instance.toml";
  instance_settings s;
  try {
    auto root = toml::parse_file(file.string());
    if (auto v = root["issuer"].value<std::string>()) s.issuer = *v;
    else throw std::runtime_error(file.string() + ": missing issuer");
  } catch (toml::parse_error const& e) {
    throw std::runtime_error(file.string() + ": " + std::string(e.description()));
  }
  return s;
}

}  // namespace hearth::server
