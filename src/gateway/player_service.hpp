// gateway/player_service.hpp — the boundary between the gateway and the referee. The gateway owns connections and
// login; once a connection is bound to a wallet address it hands every further ClientMessage to a PlayerService and
// gives it a PlayerLink to answer through. The referee implements PlayerService; tests pass fakes.
#pragma once

#include <memory>
#include <string>

#include "crypto/address.hpp"
#include "umpire/v1/umpire.pb.h"

namespace umpire::gateway {

// One logged-in connection as the referee sees it. Thread-safe; messages to a closed link are dropped.
class PlayerLink {
 public:
  virtual ~PlayerLink() = default;
  virtual const crypto::Address& address() const = 0;
  virtual std::uint64_t connection_id() const = 0;
  virtual void send(const v1::ServerMessage& message) = 0;
  // Sends a message serialized once for many recipients (a move relayed to every seat and spectator).
  virtual void send_serialized(std::shared_ptr<const std::string> frame) = 0;
  virtual void close(const std::string& reason) = 0;
};

class PlayerService {
 public:
  virtual ~PlayerService() = default;
  // A connection proved `link->address()`. Returns the room ids the address is seated in (for LoginOk).
  virtual std::vector<std::string> on_login(const std::shared_ptr<PlayerLink>& link) = 0;
  // Any message but Login/Ping after login. Called on the connection's strand; must not block.
  virtual void on_message(const std::shared_ptr<PlayerLink>& link, const v1::ClientMessage& message) = 0;
  // The connection is gone (the reconnection window starts for its seats).
  virtual void on_disconnect(const std::shared_ptr<PlayerLink>& link) = 0;
};

// Builds an Error reply with `code`, echoing `request_id`.
v1::ServerMessage make_error(std::uint64_t request_id, v1::ErrorCode code, std::string message);

}  // namespace umpire::gateway
