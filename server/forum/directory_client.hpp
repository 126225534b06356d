// A forum of its own learns the issuer's key directory over the network:
// GET ISSUER_URL/v1/keys (http or https), verified against the master key
// pinned at `hearth init --role forum`, never a lower seq, never another
// master key (PROTOCOL.md §10). The last verified copy is kept in the forum
// store, so the forum serves through an issuer outage and across restarts.
#pragma once

#include "server/directory_source.hpp"
#include "server/runtime.hpp"
#include "storage/stores.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hearth::server {

// One HTTP(S) GET of url + "/v1/keys"; the body, or std::runtime_error saying
// what failed. Bounded in time and size.
std::string fetch_directory_text(std::string const& issuer_url, std::chrono::milliseconds timeout);

class directory_client final : public directory_source {
 public:
  // Loads the copy kept in the store; if there is none, fetches it now
  // (throws std::runtime_error if that fails: a forum cannot start without
  // ever having seen its issuer's keys).
  directory_client(runtime& rt, storage::forum_store& store, storage::pinned_issuer pinned);
  ~directory_client() override;
  directory_client(directory_client const&) = delete;
  directory_client& operator=(directory_client const&) = delete;

  // Starts refreshing on a timer (cfg().directory_refresh) and on demand.
  void start();
  void stop();

  // One fetch now (blocking): true if a verified directory was taken or
  // confirmed, false (with the reason logged and kept) otherwise.
  bool refresh();

  // directory_source
  std::shared_ptr<directory_snapshot const> current() const override { return std::atomic_load(&current_); }
  std::string document() const override { return current()->json; }
  std::uint64_t issued(std::string_view key_id) const override;
  void unknown_key() override;
  void on_change(std::function<void(directory_change const&)> fn) override;

  // For /healthz and /metrics.
  struct status {
    bool reachable = false;        // the last fetch succeeded
    std::int64_t verified_at = 0;  // Unix seconds of the last successful fetch (0: none since start)
    std::string last_error;        // of the last failed fetch
  };
  status health() const;
  std::string render_metrics() const;

 private:
  // Verifies text and takes it if it is newer (or the same seq and keys with
  // new counts). Returns false with a reason otherwise.
  bool take(std::string const& text, std::string& why);
  void loop();

  runtime& rt_;
  storage::forum_store& store_;
  storage::pinned_issuer pinned_;
  std::shared_ptr<directory_snapshot const> current_;
  std::mutex listeners_mu_;
  std::vector<std::function<void(directory_change const&)>> listeners_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, poke_ = false;
  std::chrono::steady_clock::time_point last_poke_{};
  status status_;
  std::uint64_t fetches_ = 0, failures_ = 0, refused_ = 0;
  std::thread thread_;
};

}  // namespace hearth::server
