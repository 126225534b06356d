// Prometheus text-format metrics: connection gauges per endpoint, ops by op and
// result code, and per-endpoint latency histograms. Only aggregate counts:
// nothing per user, per pseudonym or per address ever becomes a label.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace hearth::server {

enum class endpoint : std::uint8_t { issuer = 0, forum = 1, staff = 2 };
inline constexpr std::size_t endpoint_count = 3;
std::string_view endpoint_name(endpoint e) noexcept;

class metrics {
 public:
  static constexpr std::array<double, 12> buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,   0.25,   0.5,   1,     2.5};

  void connection_opened(endpoint e) noexcept { connections_[idx(e)].fetch_add(1, std::memory_order_relaxed); }
  void connection_closed(endpoint e) noexcept { connections_[idx(e)].fetch_sub(1, std::memory_order_relaxed); }
  void http_request(unsigned status) noexcept;
  void push_dropped() noexcept { pushes_dropped_.fetch_add(1, std::memory_order_relaxed); }
  void pushes_sent(std::uint64_t n) noexcept { pushes_sent_.fetch_add(n, std::memory_order_relaxed); }
  void io_handoff() noexcept { io_handoffs_.fetch_add(1, std::memory_order_relaxed); }
  // One finished op: its name (already validated against the op table, or
  // "unknown"), result code ("ok" or an error code) and duration.
  void op_done(endpoint e, std::string_view op, std::string_view code, std::chrono::nanoseconds took);

  std::string render() const;

 private:
  static std::size_t idx(endpoint e) noexcept { return static_cast<std::size_t>(e); }
  struct histogram {
    std::array<std::uint64_t, buckets.size()> counts{};
    std::uint64_t total = 0;
    double sum = 0;
  };
  std::array<std::atomic<std::int64_t>, endpoint_count> connections_{};
  std::atomic<std::uint64_t> pushes_dropped_{0};
  std::atomic<std::uint64_t> pushes_sent_{0};
  std::atomic<std::uint64_t> io_handoffs_{0};
  mutable std::mutex mu_;
  std::map<std::tuple<endpoint, std::string, std::string>, std::uint64_t> ops_;
  std::array<histogram, endpoint_count> latency_{};
  std::map<unsigned, std::uint64_t> http_;
};

}  // namespace hearth::server
