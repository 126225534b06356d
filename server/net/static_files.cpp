// The web client's files under --web: a fixed mapping from request targets,
// no "..", no hidden files, no directory listings.
#include "server/net/session.hpp"

namespace hearth::server::net_layer {

std::string_view mime_type(std::string_view path) {
  auto const dot = path.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  auto ext = path.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".map") return "application/json";
  return "application/octet-stream";
}

// Maps a request target to a file under web_dir, or nothing: no "..", no
// hidden files, no directory listings.
std::optional<std::filesystem::path> static_file(std::filesystem::path const& web_dir, std::string_view target) {
  if (web_dir.empty()) return std::nullopt;
  if (target == "/" || target == "/index.html") return web_dir / "index.html";
  if (target == "/staff" || target == "/staff/") return web_dir / "staff.html";
  if (target.empty() || target[0] != '/') return std::nullopt;
  std::string_view rest = target.substr(1);
  std::filesystem::path p = web_dir;
  while (!rest.empty()) {
    auto const slash = rest.find('/');
    auto seg = rest.substr(0, slash);
    if (seg.empty() || seg[0] == '.' || seg.find('\\') != std::string_view::npos ||
        seg.find('%') != std::string_view::npos || seg.find('\0') != std::string_view::npos)
      return std::nullopt;
    p /= std::string(seg);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
  return p;
}

}  // namespace hearth::server::net_layer
