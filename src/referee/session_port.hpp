// referee/session_port.hpp — what the referee needs from a ClearNode, as one small interface: prepare a
// create_app_session for the players to sign, submit it with their signatures, checkpoint, close, and look a
// session up by its precomputed id. `ClearNodeSessionPort` adapts the production connector; tests may pass a fake
// that stalls or fails on cue. Every call resumes on the caller's executor and throws clearnode::ClearNodeError.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "clearnode/clearnode_client.hpp"

namespace umpire::referee {

class SessionPort {
 public:
  virtual ~SessionPort() = default;
  // The exact request bytes (payload) and the app_session_id they create; nothing is sent.
  virtual clearnode::PreparedRequest prepare_create(const clearnode::CreateAppSessionParams& params) = 0;
  // Sends a prepared create with the players' signatures plus Umpire's own.
  virtual boost::asio::awaitable<clearnode::AppSessionResult> submit_create(clearnode::PreparedRequest prepared,
                                                                           std::vector<crypto::Signature> players) = 0;
  // Signed by Umpire alone (it holds the quorum). Ordered per app session by the connector.
  virtual boost::asio::awaitable<clearnode::AppSessionResult> submit_state(clearnode::SubmitAppStateParams params) = 0;
  virtual boost::asio::awaitable<clearnode::AppSessionResult> close(clearnode::CloseAppSessionParams params) = 0;
  // The session's current info, or nullopt if the node does not know it.
  virtual boost::asio::awaitable<std::optional<clearnode::AppSessionInfo>> find(std::string app_session_id) = 0;
  // Open sessions in which Umpire is a participant (recovery).
  virtual boost::asio::awaitable<std::vector<clearnode::AppSessionInfo>> open_sessions() = 0;
};

std::shared_ptr<SessionPort> make_clearnode_session_port(std::shared_ptr<clearnode::ClearNodeClient> client,
                                                         std::string umpire_address);

}  // namespace umpire::referee
