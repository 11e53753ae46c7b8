// clearnode/clearnode_error.cpp — names of the error kinds, for logs and test messages.
#include "clearnode/clearnode_error.hpp"

namespace umpire::clearnode {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::remote_error:
      return "remote_error";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::disconnected:
      return "disconnected";
    case ErrorKind::protocol_violation:
      return "protocol_violation";
    case ErrorKind::stale_request:
      return "stale_request";
    case ErrorKind::earlier_request_failed:
      return "earlier_request_failed";
    case ErrorKind::invalid_argument:
      return "invalid_argument";
    case ErrorKind::auth_failed:
      return "auth_failed";
    case ErrorKind::shut_down:
      return "shut_down";
    case ErrorKind::overloaded:
      return "overloaded";
  }
  return "unknown";
}

}  // namespace umpire::clearnode
