// From one WebSocket text frame to its op handler (PROTOCOL.md §2): the
// envelope is checked, the op looked up in the endpoint's routes, and the
// handler called with a call carrying its role's context. Used by the
// WebSocket session and by the fuzz target; knows nothing of Beast.
#pragma once

#include "server/call.hpp"

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::server {

// The ops of one endpoint, each bound to its role's context.
class routes {
 public:
  using handler = std::function<void(call_base&&)>;
  void add(std::string_view name, handler h) { table_.emplace_back(std::string(name), std::move(h)); }
  template <class Context>
  void add_all(std::span<op_def<Context> const> ops, Context& ctx) {
    for (auto const& d : ops)
      add(d.name, [h = d.handler, &ctx](call_base&& b) {
        h(std::make_shared<call<Context> const>(call<Context>{std::move(b), ctx}));
      });
  }
  handler const* find(std::string_view name) const noexcept {
    for (auto const& [n, h] : table_)
      if (n == name) return &h;
    return nullptr;
  }

 private:
  std::vector<std::pair<std::string, handler>> table_;
};

// Runs one frame received on conn (on conn's strand). Every answer goes out
// through conn->send; the per-connection op budget (conn->ops_bucket) is
// taken for every frame.
void dispatch_frame(runtime& rt, routes const& r, std::shared_ptr<connection> const& conn, std::string text);

}  // namespace hearth::server
