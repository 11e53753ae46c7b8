// gateway/player_session.hpp — the player protocol on one connection, up to the referee: Hello and login by
// EIP-191 challenge, Ping, the per-connection message rate, the per-address connection cap, malformed and
// oversized frames. After login it forwards messages to the PlayerService. Runs on the connection's strand.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>

#include "gateway/player_service.hpp"
#include "gateway/rate_limiter.hpp"
#include "gateway/websocket_session.hpp"

namespace umpire::gateway {

struct PlayerProtocolOptions {
  std::string server_address;  // EIP-55; named in the login text
  unsigned messages_per_second = 50;
  unsigned message_burst = 100;
  std::chrono::seconds login_timeout{30};
};

// Shared by all connections: the per-address cap and connection ids. Small, so a mutex held for a map update is
// cheaper and simpler than a strand hop on every login.
class ConnectionRegistry {
 public:
  explicit ConnectionRegistry(unsigned max_per_address) : per_address_(max_per_address) {}
  bool try_add(const std::string& address) {
    std::lock_guard lock(mutex_);
    return per_address_.try_add(address);
  }
  void remove(const std::string& address) {
    std::lock_guard lock(mutex_);
    per_address_.remove(address);
  }
  std::uint64_t next_id() { return ++last_id_; }

 private:
  std::mutex mutex_;
  ConnectionsPerAddress per_address_;
  std::atomic<std::uint64_t> last_id_{0};
};

// Makes the FrameHandler for each new connection (pass to Listener).
std::function<std::shared_ptr<FrameHandler>(std::shared_ptr<FrameSender>)> make_player_protocol(
    PlayerProtocolOptions options, std::shared_ptr<ConnectionRegistry> registry,
    std::shared_ptr<PlayerService> service, std::function<std::string()> make_nonce);

}  // namespace umpire::gateway
