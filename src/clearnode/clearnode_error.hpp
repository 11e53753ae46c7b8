// clearnode/clearnode_error.hpp — the one exception type every ClearNode call fails with, and its kinds.
// A remote error keeps the node's text verbatim (callers and tests compare against the protocol's texts);
// every other kind is raised by this client and says what the caller may assume about the request's outcome.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace umpire::clearnode {

// Values are stable: they may be logged, journaled or mapped to codes elsewhere. Only append.
enum class ErrorKind : std::uint8_t {
  remote_error = 1,            // the node answered "error"; message() is the node's text, verbatim. Not applied.
  timeout = 2,                 // no answer before the call's deadline. If the request was written, outcome unknown.
  disconnected = 3,            // the link dropped while the request was in flight and the outcome could not be resolved
  protocol_violation = 4,      // the node's answer was not what the protocol promises (shape, method, signature)
  stale_request = 5,           // a prepared private request is too old to send; re-prepare (and re-collect signatures)
  earlier_request_failed = 6,  // not sent: an earlier submit/close for the same app session failed
  invalid_argument = 7,        // the caller's input cannot be turned into a valid request; nothing was sent
  auth_failed = 8,             // authentication was refused; the client keeps retrying with backoff
  shut_down = 9,               // the client was stopped; not sent or outcome unknown (message says which)
  overloaded = 10,             // too many calls waiting for an in-flight slot; nothing was sent
};

std::string_view to_string(ErrorKind kind) noexcept;

class ClearNodeError : public std::runtime_error {
 public:
  ClearNodeError(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }
  // For remote errors, the node's error text exactly as received.
  std::string_view message() const noexcept { return what(); }

 private:
  ErrorKind kind_;
};

}  // namespace umpire::clearnode
