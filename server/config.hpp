// Server settings: defaults, then the TOML file given with --config, then
// command-line overrides. Every setting is documented in docs/configuration.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hearth::server {

enum class employer_auth { roster, header };

struct rate_rule {
  double per_second = 0;  // sustained rate
  double burst = 0;       // bucket size
};

struct config {
  // [server]
  std::string listen = "127.0.0.1:8080";
  std::filesystem::path web_dir;            // empty: no static files
  std::vector<std::string> allowed_origins; // besides the loopback origin of `listen`
  unsigned io_threads = 0;                  // 0: hardware concurrency
  unsigned cpu_threads = 0;                 // RSA signing; 0: hardware concurrency
  unsigned blocking_threads = 8;            // storage scans, compaction, staff work; 0: 8
  double wal_sync_interval_ms = 4;          // least time between two WAL syncs (group durability)
  bool io_fast_path = true;                 // short storage work first tries the I/O thread (see call.hpp)

  // [limits]
  std::size_t frame_max = 64 * 1024;
  std::size_t write_queue_messages = 1024;
  std::size_t write_queue_bytes = 8 * 1024 * 1024;
  double handshake_timeout = 10;   // seconds
  double idle_timeout = 300;       // seconds without any frame (pings keep it alive)
  double close_timeout = 2;        // seconds a closing peer has to take the close frame before the socket is cut
  double write_timeout = 60;       // seconds one frame's write may take before a peer that stopped reading is cut
  std::size_t max_connections = 50000;       // TCP connections, HTTP and WebSocket alike
  std::size_t ops_in_flight = 8;             // requests of one connection being worked on at once

  // [issuer]
  employer_auth auth = employer_auth::roster;
  std::string auth_header = "X-Forwarded-User";
  std::vector<std::string> trusted_proxies;  // addresses whose auth header is honoured
  std::uint32_t quota = 1;                   // tokens per employee per key
  std::uint64_t argon2_opslimit = 2;         // libsodium INTERACTIVE
  std::size_t argon2_memlimit = 64 * 1024 * 1024;
  std::size_t login_failures = 5;            // per employee id / username before rate_limited
  double login_failure_window = 300;         // seconds
  unsigned hash_threads = 0;                 // Argon2id threads; 0: half the cores (at least 1)
  std::size_t hash_queue = 32;               // password checks waiting or running; more: rate_limited
  double issued_refresh = 300;               // seconds between updates of the published `issued` counts
  std::string forum_url;                     // the forum's ws(s) URL, for GET /v1/config (optional)

  // [forum]
  std::int64_t time_granularity = 60;
  std::uint64_t min_crowd = 5;
  double nonce_ttl = 120;
  double directory_refresh = 60;             // seconds between fetches of the issuer's directory (forum role)
  std::string issuer_ws_url;                 // the issuer's ws(s) URL for clients; default: from the pinned issuer URL

  // [keys]
  unsigned key_bits = 2048;
  double issue_days = 30;
  double accept_days = 60;
  bool auto_rotate = true;
  double min_key_window_days = 1;  // least issuing window and least time between rotations (PROTOCOL.md §7)

  // [storage]
  double scrub_interval = 3600;    // seconds between scrubs of the stores' write order; 0: never
  std::int64_t block_cache_mb = 32;  // RocksDB block cache per store, MiB

  // [rate] per connection
  rate_rule rate_ops{200, 400};     // any op
  rate_rule rate_auth{1, 10};       // enroll / login / certify / staff login
  rate_rule rate_issue{2, 10};
  rate_rule rate_post{20, 50};      // per pseudonym, across its connections
  rate_rule rate_failed_logins{10, 100};  // the whole server: failed enroll/login attempts
};

// Reads a TOML file into cfg (only the keys present). Throws std::runtime_error
// naming the file, key and problem.
void load_config_file(std::filesystem::path const& file, config& cfg);

// Instance settings fixed at `hearth init`, kept in DIR/instance.toml.
struct instance_settings {
  std::string issuer = "hearth-local";
};
void write_instance(std::filesystem::path const& data_dir, instance_settings const& s);
instance_settings read_instance(std::filesystem::path const& data_dir);

}  // namespace hearth::server
