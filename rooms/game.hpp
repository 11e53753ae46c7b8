// rooms/game.hpp — the one interface every game's rules implement. Games are pure: no sockets, no clock, no
// randomness of their own (a seed comes in), so a game is replayable from its journal. Time is the referee's: when a
// turn deadline passes, the seats in to_move() forfeit (timeout_at, below). A new game is a folder under rooms/ plus
// one line in registry.cpp; rooms/bot.hpp plays any of them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace umpire::rooms {

enum class MoveRejection {
  not_your_turn,  // the seat is not in to_move()
  illegal,        // well-formed but against the rules (occupied cell, full column)
  game_over,      // the game has an outcome already
  malformed,      // not a move of this game at all
};

struct MoveResult {
  std::optional<MoveRejection> rejection;  // set: nothing changed
  bool hidden = false;  // applied but secret until revealed (simultaneous games): relay it to others as ""
};

struct Outcome {
  enum class Kind { ongoing, win, draw };
  Kind kind = Kind::ongoing;
  std::optional<unsigned> winner;  // set for win
  bool operator==(const Outcome&) const = default;
};

// One game in progress. Copyable through clone(); every hook is deterministic.
class GameState {
 public:
  virtual ~GameState() = default;
  // An independent copy (the referee keeps the last journaled state while it applies a move to a copy).
  virtual std::unique_ptr<GameState> clone() const = 0;

  // Applies `move` (the game's text notation) for `seat`. On rejection the state is unchanged.
  virtual MoveResult apply(unsigned seat, std::string_view move) = 0;

  // Seats whose move is awaited: one for turn-based games, several for simultaneous ones, none once over.
  virtual std::vector<unsigned> to_move() const = 0;

  // Ongoing, a win by one seat, or a draw. Forfeits are the referee's (timeouts, leaving), not the game's.
  virtual Outcome outcome() const = 0;

  // The whole state, compact, for the app session's session_data and the journal; parse() reads it back.
  virtual std::string serialize() const = 0;

  // What `viewer` may see (a seat, or nullopt for a spectator): hides pending secret moves of other seats.
  virtual std::string public_view(std::optional<unsigned> viewer) const = 0;

  // Every move `seat` could legally make now (empty if not its turn): for bots and tests.
  virtual std::vector<std::string> legal_moves(unsigned seat) const = 0;
};

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A rule set: makes and restores GameStates.
class Game {
 public:
  virtual ~Game() = default;
  virtual std::string_view name() const = 0;  // registry key, e.g. "tictactoe"
  virtual unsigned seats() const = 0;         // how many seats the game is played with (2 for all current games)
  // A new game, seat 0 first where turns alternate. `seed` is the game's only source of chance (dealt cards, who
  // starts), chosen by the referee and journaled; the current games have no chance and ignore it.
  virtual std::unique_ptr<GameState> create(std::uint64_t seed) const = 0;
  // Restores serialize()'s output; throws ParseError on anything else.
  virtual std::unique_ptr<GameState> parse(std::string_view serialized) const = 0;
};

// The turn timer. The room's turn time comes from its configuration and the clock from the referee; the game only
// says whom it awaits. A turn starts when a seat enters to_move() (for a simultaneous round: when the round opens)
// and every awaited seat has the whole turn time from then.
struct TurnTimer {
  std::uint64_t turn_ms = 0;  // time allowed per turn, milliseconds

  // When a turn that started at `turn_started_ms` (Unix ms) runs out.
  std::uint64_t deadline_ms(std::uint64_t turn_started_ms) const { return turn_started_ms + turn_ms; }
};

// What a passed deadline does to a game.
struct Timeout {
  std::vector<unsigned> forfeiting;  // the seats that were awaited and did not move, ascending
  Outcome outcome;                   // the game's result: the one seat left wins; if every seat forfeits, a draw
};

// The seats that forfeit because `deadline_ms` has passed at `now_ms` (a deadline has passed once now_ms >=
// deadline_ms): every seat still in to_move(). nullopt while the deadline lies ahead or when the game is over.
// For games of more than two seats with several seats on time, outcome stays ongoing and the referee decides.
std::optional<Timeout> timeout_at(const GameState& state, unsigned seats, std::uint64_t deadline_ms,
                                  std::uint64_t now_ms);

}  // namespace umpire::rooms
