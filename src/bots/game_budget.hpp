// bots/game_budget.hpp — how many more games the bots may start, shared by all of them without a lock. With
// --games M it holds M × seats seat claims: each JoinRoom takes one seat, a series continuation takes a whole
// game (seats claims, by seat 0), and a room aborted before play gives its seats back, so exactly M games are
// played however the server pairs the bots. With --seconds S every claim succeeds until the deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace umpire::bots {

class GameBudget {
 public:
  using Clock = std::chrono::steady_clock;

  static GameBudget games(std::uint64_t games, unsigned seats) { return GameBudget(games * seats, std::nullopt, seats); }
  static GameBudget until(Clock::time_point deadline, unsigned seats) { return GameBudget(0, deadline, seats); }

  GameBudget(const GameBudget& other)
      : units_(other.units_.load()), deadline_(other.deadline_), seats_(other.seats_), closed_(other.closed_.load()) {}

  // One seat for a JoinRoom.
  bool claim_seat(Clock::time_point now = Clock::now()) { return claim(1, now); }
  // A whole further game at a series table (claimed by one seat for the table).
  bool claim_game(Clock::time_point now = Clock::now()) { return claim(seats_, now); }
  // A seat claimed for a room that was aborted before its game began.
  void return_seat() {
    if (!deadline_) units_.fetch_add(1, std::memory_order_relaxed);
  }
  // No claim succeeds after this (the run is finishing).
  void close() { closed_.store(true, std::memory_order_relaxed); }

  bool open(Clock::time_point now = Clock::now()) const {
    if (closed_.load(std::memory_order_relaxed)) return false;
    return deadline_ ? now < *deadline_ : units_.load(std::memory_order_relaxed) > 0;
  }
  std::uint64_t units_left() const { return units_.load(std::memory_order_relaxed); }

 private:
  GameBudget(std::uint64_t units, std::optional<Clock::time_point> deadline, unsigned seats)
      : units_(units), deadline_(deadline), seats_(seats) {}

  bool claim(std::uint64_t units, Clock::time_point now) {
    if (closed_.load(std::memory_order_relaxed)) return false;
    if (deadline_) return now < *deadline_;
    std::uint64_t left = units_.load(std::memory_order_relaxed);
    while (left >= units) {
      if (units_.compare_exchange_weak(left, left - units, std::memory_order_relaxed)) return true;
    }
    return false;
  }

  std::atomic<std::uint64_t> units_;                // seat claims left (--games)
  std::optional<Clock::time_point> deadline_;       // --seconds
  unsigned seats_;
  std::atomic<bool> closed_{false};
};

}  // namespace umpire::bots
