// A local control socket, DIR/control.sock (mode 0600), through which the
// `hearth` command line asks a running server for work that needs the open
// stores: an online backup, or a scrub of the stores' write order now. Only the data directory's owner can reach it.
#pragma once

#include "server/app.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace hearth::server {

class control_listener;

// Starts listening on data_dir/control.sock (replacing a stale file). The
// returned object stops listening and removes the socket when destroyed.
std::shared_ptr<control_listener> start_control(boost::asio::io_context& ioc, app& a,
                                                std::filesystem::path const& data_dir);
void stop_control(std::shared_ptr<control_listener> const& l);

// Client side. nullopt when no server answers on data_dir/control.sock;
// otherwise the server's one-line answer. Throws std::runtime_error with the
// server's message if the backup failed.
std::optional<std::string> request_online_backup(std::filesystem::path const& data_dir,
                                                 std::filesystem::path const& to);
// Any request line ("scrub": scrub the stores' write order now). Same answers.
std::optional<std::string> control_request(std::filesystem::path const& data_dir, std::string const& line);

}  // namespace hearth::server
