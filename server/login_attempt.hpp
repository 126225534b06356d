// One password (or enrollment code) check under the login limiter
// (server/limits.hpp), for the ops that check one: issuer enroll and login,
// staff login and staff.passwd.
//
// The check runs in two steps: the account is looked up and the attempt
// admitted (on an I/O thread or the blocking pool), then the password is
// hashed on the hashing pool (server/hash_pool.hpp). The attempt travels
// between them in a shared_ptr; if the second step never runs (the hashing
// queue was full) it is dropped unended and gives its reservation back.
#pragma once

#include "common/errc.hpp"
#include "server/limits.hpp"

#include <string>

namespace hearth::server {

class login_attempt {
 public:
  // Admits the attempt for `account` ("employee:ID", "staff:NAME"), which
  // exists or not; throws op_failure(rate_limited) when it may not be made.
  login_attempt(login_limiter& limiter, std::string account, bool exists);
  ~login_attempt();  // gives the reservation back unless failed() or succeeded() ran
  login_attempt(login_attempt const&) = delete;
  login_attempt& operator=(login_attempt const&) = delete;

  bool exists() const noexcept { return exists_; }
  // Counts the failure and throws op_failure(code, message).
  [[noreturn]] void failed(errc code, std::string message);
  void succeeded();

 private:
  login_limiter& limiter_;
  std::string account_;
  bool exists_;
  bool ended_ = false;
};

}  // namespace hearth::server
