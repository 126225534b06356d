// Runs the listener until SIGINT/SIGTERM.
#pragma once

#include "server/app.hpp"

#include <functional>
#include <string>

namespace hearth::server {

// Binds cfg.listen, calls on_listening("http://HOST:PORT") once connections
// are accepted, serves until SIGINT/SIGTERM, then closes connections cleanly.
// Returns the process exit code. Throws std::runtime_error if it cannot bind.
int serve(app& a, std::function<void(std::string const& url)> const& on_listening);

}  // namespace hearth::server
