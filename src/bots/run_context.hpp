// bots/run_context.hpp — what every bot of one load run shares: the options, the room type being played and its
// rules, the game budget, the game book (on its own strand), the latency histograms and a few counters. Bots touch
// the shared parts only through atomics or by posting to the book's strand.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "bots/game_book.hpp"
#include "bots/game_budget.hpp"
#include "bots/latency_histogram.hpp"
#include "bots/payout_check.hpp"
#include "rooms/game.hpp"
#include "umpire/v1/umpire.pb.h"

namespace umpire::bots {

namespace asio = boost::asio;

// What the bots do, from the command line.
struct BotBehaviour {
  std::string url;                          // ws://host:port/play
  // Pause before each move: uniform between half and one and a half times this, so that the mean is this and rooms
  // that started together do not keep moving in the same millisecond (a fixed pause kept a thousand rooms in step,
  // and the server saw their moves as bursts that no crowd of real players makes).
  std::chrono::milliseconds think{0};
  unsigned messages_per_second = 40;        // client-side pacing under the gateway's limit (0: none)
  unsigned message_burst = 80;
  std::uint64_t seed = 0;                   // move choices: the same seed replays the same choices per bot
  unsigned reconnect_attempts = 20;         // per drop, with backoff from 50 ms up to 2 s
};

struct RunCounters {
  std::atomic<std::uint64_t> moves{0};
  std::atomic<std::uint64_t> errors{0};  // total over the kinds (the kinds are per bot, merged at the end)
  std::atomic<std::uint64_t> reconnects{0};
  std::atomic<std::uint64_t> stale_retries{0};
  std::atomic<std::uint64_t> connecting{0};  // handshakes in progress (the connect gate)
  std::atomic<std::uint64_t> running_bots{0};
};

struct RunContext {
  RunContext(BotBehaviour behaviour_in, v1::RoomType room_in, RoomRules rules_in, const rooms::Game& game_in,
             std::string server_address_in, GameBudget budget_in, asio::any_io_executor book_executor)
      : behaviour(std::move(behaviour_in)),
        room(std::move(room_in)),
        rules(std::move(rules_in)),
        game(game_in),
        server_address(std::move(server_address_in)),
        budget(budget_in),
        book_strand(asio::make_strand(book_executor)),
        book(room.seats()) {}

  const BotBehaviour behaviour;
  const v1::RoomType room;           // the room type the bots quick-match into
  const RoomRules rules;
  const rooms::Game& game;
  const std::string server_address;  // Hello.server_address, EIP-55
  GameBudget budget;

  asio::strand<asio::any_io_executor> book_strand;
  GameBook book;  // only on book_strand

  LatencyHistogram move_rtt_us;
  LatencyHistogram session_open_us;
  LatencyHistogram loop_lag_us;  // how late the bots' event loop runs a due timer (ops/loop_lag.hpp)
  RunCounters counters;

  // Finishing: no new games; bots waiting for an opponent leave; games in progress end normally.
  std::atomic<bool> finishing{false};
  // Aborting: every bot drops what it does and ends (a stall, or a fatal setup error).
  std::atomic<bool> aborting{false};
  static constexpr std::uint64_t kMaxConcurrentConnects = 128;
};

}  // namespace umpire::bots
