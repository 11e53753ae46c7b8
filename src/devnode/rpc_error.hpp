// devnode/rpc_error.hpp — the two ways a devnode handler fails. RpcError texts reach the client verbatim (Go's
// RPCErrorf); ParamError means the params did not decode and the route's fixed fallback text is sent instead.
#pragma once

#include <stdexcept>
#include <string>

namespace umpire::devnode {

class RpcError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ParamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace umpire::devnode
