#include "server/metrics.hpp"

#include <sstream>
#include <tuple>

namespace hearth::server {

std::string_view endpoint_name(endpoint e) noexcept {
  switch (e) {
    case endpoint::issuer: return "issuer";
    case endpoint::forum: return "forum";
    case endpoint::staff: return "staff";
  }
  return "unknown";
}

void metrics::http_request(unsigned status) noexcept {
  std::lock_guard lock(mu_);
  ++http_[status];
}

void metrics::op_done(endpoint e, std::string_view op, std::string_view code, std::chrono::nanoseconds took) {
  double const seconds = std::chrono::duration<double>(took).count();
  std::lock_guard lock(mu_);
  ++ops_[std::make_tuple(e, std::string(op), std::string(code))];
  auto& h = latency_[idx(e)];
  for (std::size_t i = 0; i < buckets.size(); ++i)
    if (seconds <= buckets[i]) ++h.counts[i];
  ++h.total;
  h.sum += seconds;
}

std::string metrics::render() const {
  std::ostringstream out;
  out << "# HELP hearth_connections Open WebSocket connections per endpoint.\n"
         "# TYPE hearth_connections gauge\n";
  for (std::size_t i = 0; i < endpoint_count; ++i)
    out << "hearth_connections{endpoint=\"" << endpoint_name(static_cast<endpoint>(i)) << "\"} "
        << connections_[i].load(std::memory_order_relaxed) << "\n";
  out << "# HELP hearth_pushes_sent_total Server pushes queued to subscribers.\n"
         "# TYPE hearth_pushes_sent_total counter\n"
         "hearth_pushes_sent_total " << pushes_sent_.load() << "\n"
         "# HELP hearth_slow_subscribers_closed_total Subscribers closed because they could not keep up.\n"
         "# TYPE hearth_slow_subscribers_closed_total counter\n"
         "hearth_slow_subscribers_closed_total " << pushes_dropped_.load() << "\n"
         "# HELP hearth_io_handoffs_total Ops begun on an I/O thread and redone on the blocking pool because storage would have waited for the disk.\n"
         "# TYPE hearth_io_handoffs_total counter\n"
         "hearth_io_handoffs_total " << io_handoffs_.load() << "\n";
  std::lock_guard lock(mu_);
  out << "# HELP hearth_http_requests_total Plain HTTP requests by status.\n"
         "# TYPE hearth_http_requests_total counter\n";
  for (auto const& [status, n] : http_) out << "hearth_http_requests_total{status=\"" << status << "\"} " << n << "\n";
  out << "# HELP hearth_ops_total WebSocket operations by endpoint, op and result code.\n"
         "# TYPE hearth_ops_total counter\n";
  for (auto const& [key, n] : ops_) {
    auto const& [e, op, code] = key;
    out << "hearth_ops_total{endpoint=\"" << endpoint_name(e) << "\",op=\"" << op << "\",code=\"" << code << "\"} "
        << n << "\n";
  }
  out << "# HELP hearth_op_duration_seconds Time from request frame to reply, per endpoint.\n"
         "# TYPE hearth_op_duration_seconds histogram\n";
  for (std::size_t i = 0; i < endpoint_count; ++i) {
    auto const name = endpoint_name(static_cast<endpoint>(i));
    auto const& h = latency_[i];
    for (std::size_t b = 0; b < buckets.size(); ++b)
      out << "hearth_op_duration_seconds_bucket{endpoint=\"" << name << "\",le=\"" << buckets[b] << "\"} "
          << h.counts[b] << "\n";
    out << "hearth_op_duration_seconds_bucket{endpoint=\"" << name << "\",le=\"+Inf\"} " << h.total << "\n"
        << "hearth_op_duration_seconds_sum{endpoint=\"" << name << "\"} " << h.sum << "\n"
        << "hearth_op_duration_seconds_count{endpoint=\"" << name << "\"} " << h.total << "\n";
  }
  return out.str();
}

}  // namespace hearth::server
