#include "server/control.hpp"

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

namespace hearth::server {

namespace net = boost::asio;
using local = net::local::stream_protocol;

namespace {
constexpr std::size_t max_request_bytes = 8192;
}

class control_listener : public std::enable_shared_from_this<control_listener> {
 public:
  control_listener(net::io_context& ioc, app& a, std::filesystem::path sock)
      : acceptor_(ioc), app_(a), path_(std::move(sock)) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);  // stale from a killed server; the directory lock says we own DIR
    auto const old_mask = ::umask(0077);
    acceptor_.open(local());
    acceptor_.bind(local::endpoint(path_.string()));
    ::umask(old_mask);
    acceptor_.listen();
  }
  ~control_listener() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  void run() { do_accept(); }
  void stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
  }

 private:
  struct session : std::enable_shared_from_this<session> {
    local::socket sock;
    net::streambuf buf{max_request_bytes};
    app& a;
    session(local::socket s, app& ap) : sock(std::move(s)), a(ap) {}

    void run() {
      net::async_read_until(sock, buf, '\n', [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        if (ec) return;
        std::istream in(&self->buf);
        std::string line;
        std::getline(in, line);
        self->handle(line);
      });
    }
    void handle(std::string const& line) {
      if (line == "scrub") {
        auto self = shared_from_this();
        a.rt().blocking([self] {
          std::string reply;
          try {
            self->a.scrub();
            reply = "ok scrubbed\n";
          } catch (std::exception const& e) {
            reply = std::string("error ") + e.what() + "\n";
          }
          net::post(self->sock.get_executor(), [self, reply] { self->answer(reply); });
        });
        return;
      }
      constexpr std::string_view verb = "backup ";
      if (!line.starts_with(verb))
        return answer("error unknown request (this server understands: backup PATH, scrub)\n");
      std::filesystem::path to = line.substr(verb.size());
      if (!to.is_absolute()) return answer("error the backup path must be absolute\n");
      auto self = shared_from_this();
      a.rt().blocking([self, to] {
        std::string reply;
        try {
          self->a.backup_to(to);
          reply = "ok backed up to " + to.string() + "\n";
          spdlog::info("online backup written");
        } catch (std::exception const& e) {
          reply = std::string("error ") + e.what() + "\n";
        }
        net::post(self->sock.get_executor(), [self, reply] { self->answer(reply); });
      });
    }
    void answer(std::string reply) {
      auto data = std::make_shared<std::string>(std::move(reply));
      net::async_write(sock, net::buffer(*data), [self = shared_from_this(), data](boost::system::error_code, std::size_t) {
        boost::system::error_code ignored;
        self->sock.close(ignored);
      });
    }
  };

  void do_accept() {
    acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec, local::socket s) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) std::make_shared<session>(std::move(s), self->app_)->run();
      self->do_accept();
    });
  }

  local::acceptor acceptor_;
  app& app_;
  std::filesystem::path path_;
};

std::shared_ptr<control_listener> start_control(net::io_context& ioc, app& a, std::filesystem::path const& data_dir) {
  auto l = std::make_shared<control_listener>(ioc, a, data_dir / "control.sock");
  l->run();
  return l;
}

void stop_control(std::shared_ptr<control_listener> const& l) {
  if (l) l->stop();
}

std::optional<std::string> request_online_backup(std::filesystem::path const& data_dir, std::filesystem::path const& to) {
  return control_request(data_dir, "backup " + std::filesystem::absolute(to).lexically_normal().string());
}

std::optional<std::string> control_request(std::filesystem::path const& data_dir, std::string const& line) {
  auto const sock_path = data_dir / "control.sock";
  std::error_code fec;
  if (!std::filesystem::exists(sock_path, fec)) return std::nullopt;
  net::io_context ioc;
  local::socket sock(ioc);
  boost::system::error_code ec;
  sock.connect(local::endpoint(sock_path.string()), ec);
  if (ec) return std::nullopt;  // a stale socket file: no server is running
  std::string const request = line + "\n";
  net::write(sock, net::buffer(request), ec);
  if (ec) throw std::runtime_error("the running server did not take the request: " + ec.message());
  std::string reply;
  net::read(sock, net::dynamic_buffer(reply), ec);  // until the server closes
  if (ec && ec != net::error::eof) throw std::runtime_error("the running server did not answer: " + ec.message());
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  if (reply.starts_with("error ")) throw std::runtime_error(reply.substr(6));
  if (!reply.starts_with("ok")) throw std::runtime_error("unexpected answer from the running server: " + reply);
  return reply.substr(3);
}

}  // namespace hearth::server
