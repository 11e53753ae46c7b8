// bench/scenario.hpp — the app-session lifecycle both load modes drive, as the referee will: a 3-party session
// [player A, player B, referee] with weights [0, 0, 100] and quorum 100, each player staking 1 usdc at create, the
// whole pot paid to one player at close (alternating, so balances never run dry). Create is signed by both players
// (their stakes) and the referee's session key; close by the referee alone, whose weight is the quorum — or, with
// CloseSigners::all, by all three (a heavier variant: two more signatures for the node to recover).
#pragma once

#include <cstdint>
#include <string>

namespace umpire::bench {

inline constexpr const char* kApplication = "umpire-bench";
inline constexpr const char* kProtocol = "NitroRPC/0.4";
inline constexpr const char* kAsset = "usdc";
inline constexpr const char* kStake = "1";          // per player, at create
inline constexpr const char* kPot = "2";            // to the winner, at close
inline constexpr const char* kPlayerFunding = "1000000";
inline constexpr std::uint64_t kChallengeSeconds = 3600;

enum class CloseSigners { referee, all };

// Winner of lifecycle `index`: player A on even, player B on odd.
inline bool player_a_wins(std::uint64_t index) { return index % 2 == 0; }

}  // namespace umpire::bench
