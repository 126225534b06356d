#include "server/login_attempt.hpp"

#include "server/call.hpp"

namespace hearth::server {

login_attempt::login_attempt(login_limiter& limiter, std::string account, bool exists)
    : limiter_(limiter), account_(std::move(account)), exists_(exists) {
  switch (limiter_.admit(account_, exists_)) {
    case login_limiter::verdict::go: return;
    case login_limiter::verdict::locked:
      ended_ = true;
      fail(errc::rate_limited, "too many failed attempts for this account; wait a few minutes and try again");
    case login_limiter::verdict::ceiling:
      ended_ = true;
      fail(errc::rate_limited, "too many failed sign-ins on this server just now; try again in a minute");
  }
}

login_attempt::~login_attempt() {
  if (!ended_) limiter_.abandoned();
}

void login_attempt::failed(errc code, std::string message) {
  if (!ended_) limiter_.failed(account_, exists_);
  ended_ = true;
  fail(code, std::move(message));
}

void login_attempt::succeeded() {
  if (!ended_) limiter_.succeeded(account_);
  ended_ = true;
}

}  // namespace hearth::server
