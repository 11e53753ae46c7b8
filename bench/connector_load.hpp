// bench/connector_load.hpp — the second load mode: the same lifecycles driven through Umpire's own connector
// (clearnode::ClearNodeClient), as the referee will: prepare the request, have both players sign its exact bytes,
// submit it with the referee's session-key signature added. Measures this process's CPU per lifecycle, minus the
// players' signing (which happens on the players' machines in production).
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "raw_load.hpp"  // LoadOutcome

namespace umpire::bench {

struct ConnectorLoadOptions {
  std::string url;
  std::size_t window = 32;          // lifecycles in flight on the connector's one link
  std::size_t lifecycles = 5'000;
  CloseSigners close_signers = CloseSigners::referee;
};

struct ConnectorOutcome {
  LoadOutcome load;
  double process_cpu_seconds = 0;         // this process, all threads, during the run
  double player_signing_cpu_seconds = 0;  // of which the players' signatures
};

class ConnectorLoad {
 public:
  explicit ConnectorLoad(ConnectorLoadOptions options);
  ~ConnectorLoad();  // stops the connector
  ConnectorLoad(const ConnectorLoad&) = delete;
  ConnectorLoad& operator=(const ConnectorLoad&) = delete;

  // Starts the connector (connect, EIP-712 auth with a fresh session key) and funds the players. Throws.
  void setup();
  ConnectorOutcome run();
  nlohmann::json audit();  // devnode_audit through the connector

  struct State;  // the io_context, the connector, the players and the run's counters (defined in the .cpp)

 private:
  ConnectorLoadOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace umpire::bench
