// bots/payout_check.cpp — see the header. Amounts are converted to the asset's integer units for the rake's
// rounding and back; nothing passes through floating point.
#include "bots/payout_check.hpp"

#include <map>
#include <stdexcept>

namespace umpire::bots {
namespace {

wire::Decimal parse_amount(const std::string& text, const char* what) {
  const auto amount = wire::Decimal::parse(text);
  if (!amount || amount->is_negative()) throw std::invalid_argument(std::string(what) + " \"" + text + "\" is not an amount");
  return *amount;
}

wire::Int128 units_of(const wire::Decimal& amount, unsigned decimals) {
  const auto units = amount.to_units(decimals);
  if (!units) throw std::invalid_argument(amount.to_string() + " has more than " + std::to_string(decimals) + " decimals");
  return *units;
}

// rake_bps of `amount`, rounded down to the asset's unit.
wire::Decimal rake_of(const wire::Decimal& amount, const RoomRules& rules) {
  const wire::Int128 units = units_of(amount, rules.asset_decimals);
  return wire::Decimal::from_units(units * rules.rake_bps / 10'000, rules.asset_decimals);
}

}  // namespace

RoomRules rules_of(const v1::RoomType& room, unsigned asset_decimals) {
  RoomRules rules;
  rules.asset = room.asset();
  rules.stake = parse_amount(room.stake(), "stake");
  rules.wager = room.games_per_session() != 1 && !room.wager().empty() ? parse_amount(room.wager(), "wager") : rules.stake;
  rules.rake_bps = room.rake_bps();
  rules.asset_decimals = asset_decimals;
  return rules;
}

Settled settle(const RoomRules& rules, const Allocations& before, std::optional<unsigned> winner_seat) {
  if (before.participants.size() < 2 || before.amounts.size() != before.participants.size()) {
    throw std::invalid_argument("allocations need the seats and Umpire");
  }
  const std::size_t seats = before.participants.size() - 1;
  if (winner_seat && *winner_seat >= seats) throw std::invalid_argument("winner seat out of range");
  Settled settled{before, wire::Decimal()};
  for (std::size_t i = 0; i < seats; ++i) {
    if (before.amounts[i] < rules.wager) {
      throw std::invalid_argument("seat " + std::to_string(i) + " cannot cover the wager " + rules.wager.to_string());
    }
    settled.after.amounts[i] -= rules.wager;
  }
  if (winner_seat) {
    wire::Decimal pot;
    for (std::size_t i = 0; i < seats; ++i) pot += rules.wager;
    settled.rake = rake_of(pot, rules);
    settled.after.amounts[*winner_seat] += pot - settled.rake;
  } else {
    for (std::size_t i = 0; i < seats; ++i) {
      const wire::Decimal rake = rake_of(rules.wager, rules);
      settled.after.amounts[i] += rules.wager - rake;
      settled.rake += rake;
    }
  }
  settled.after.amounts[seats] += settled.rake;
  return settled;
}

std::optional<unsigned> winner_of(const v1::GameOver& over, std::string& problem) {
  problem.clear();
  switch (over.outcome()) {
    case v1::OUTCOME_WIN:
      if (!over.has_winner_seat()) problem = "a win without winner_seat";
      if (over.has_forfeiting_seat()) problem = "a win with forfeiting_seat";
      return over.has_winner_seat() ? std::optional<unsigned>(over.winner_seat()) : std::nullopt;
    case v1::OUTCOME_DRAW:
      if (over.has_winner_seat()) problem = "a draw with winner_seat";
      return std::nullopt;
    case v1::OUTCOME_FORFEIT:
      if (!over.has_forfeiting_seat()) problem = "a forfeit without forfeiting_seat";
      if (over.has_winner_seat() && over.has_forfeiting_seat() && over.winner_seat() == over.forfeiting_seat()) {
        problem = "the forfeiting seat is the winner";
      }
      return over.has_winner_seat() ? std::optional<unsigned>(over.winner_seat()) : std::nullopt;
    default:
      problem = "no outcome";
      return std::nullopt;
  }
}

std::optional<std::string> compare_allocations(const Allocations& expected,
                                               const google::protobuf::RepeatedPtrField<v1::Allocation>& actual,
                                               const std::string& asset) {
  std::map<std::string, wire::Decimal> paid;
  for (const auto& allocation : actual) {
    if (allocation.asset() != asset) return "an allocation in \"" + allocation.asset() + "\"";
    const auto amount = wire::Decimal::parse(allocation.amount());
    if (!amount) return allocation.participant() + " has amount \"" + allocation.amount() + "\"";
    if (!paid.emplace(allocation.participant(), *amount).second) return allocation.participant() + " is listed twice";
  }
  for (std::size_t i = 0; i < expected.participants.size(); ++i) {
    const auto it = paid.find(expected.participants[i]);
    const wire::Decimal amount = it == paid.end() ? wire::Decimal() : it->second;
    if (amount != expected.amounts[i]) {
      return expected.participants[i] + " got " + amount.to_string() + ", the rules give " +
             expected.amounts[i].to_string();
    }
    if (it != paid.end()) paid.erase(it);
  }
  if (!paid.empty()) return "an allocation for " + paid.begin()->first + ", who is not a participant";
  return std::nullopt;
}

std::optional<std::string> check_game_over(const RoomRules& rules, const Allocations& before, const v1::GameOver& over,
                                           Allocations& expected_after) {
  expected_after = before;
  std::string problem;
  const auto winner = winner_of(over, problem);
  if (!problem.empty()) return problem;
  Settled settled;
  try {
    settled = settle(rules, before, winner);
  } catch (const std::invalid_argument& error) {
    return std::string("cannot settle: ") + error.what();
  }
  expected_after = settled.after;
  const auto rake = wire::Decimal::parse(over.rake());
  if (!rake || *rake != settled.rake) {
    return "rake \"" + over.rake() + "\", the rules give " + settled.rake.to_string();
  }
  return compare_allocations(settled.after, over.allocations(), rules.asset);
}

}  // namespace umpire::bots
