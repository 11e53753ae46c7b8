// bench/raw_load.hpp — the cheap load generator: raw Beast WebSockets, every create/close frame built and signed
// before the clock starts, so a request costs the generator one write and one read. Each connection is its own
// referee wallet (session-key authenticated) with its own two players; it keeps `window` lifecycles in flight
// (create, then close when the create is answered). One thread, no coroutines on the hot path.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "scenario.hpp"

namespace umpire::bench {

struct RawLoadOptions {
  std::string url;                 // ws://HOST:PORT/PATH
  std::size_t connections = 1;
  std::size_t window = 32;         // lifecycles in flight per connection (the devnode caps a socket at 64 requests)
  std::size_t lifecycles = 10'000; // in total, split evenly over the connections
  CloseSigners close_signers = CloseSigners::referee;
};

struct LoadOutcome {
  std::size_t completed = 0;  // lifecycles whose close was answered with success
  std::size_t errors = 0;     // error replies or transport failures
  std::string first_error;
  double seconds = 0;         // wall time from the first request sent to the last lifecycle completed
};

class RawLoad {
 public:
  explicit RawLoad(RawLoadOptions options);
  ~RawLoad();
  RawLoad(const RawLoad&) = delete;
  RawLoad& operator=(const RawLoad&) = delete;

  // Connects, authenticates each connection's referee (EIP-712, fresh session key), funds its players. Blocking;
  // throws std::runtime_error.
  void setup();
  // Builds and signs every frame of the run. Their timestamps must stay within the node's 60 s window: call run()
  // right after.
  void prebuild();
  LoadOutcome run();
  // devnode_audit's reply (per-asset totals, "balanced"), read over the first connection after the run.
  nlohmann::json audit();

  struct State;  // the io_context, the connections and the run's counters (defined in the .cpp)

 private:
  RawLoadOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace umpire::bench
