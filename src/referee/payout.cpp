// referee/payout.cpp — see the header.
#include "referee/payout.hpp"

#include <algorithm>
#include <numeric>

namespace umpire::referee {
namespace {

Units rake_of(Units amount, unsigned rake_bps) { return amount * rake_bps / kMaxRakeBps; }  // floor: amount >= 0

void check_inputs(const std::vector<Units>& stakes, const GameResult& result, unsigned rake_bps) {
  if (rake_bps > kMaxRakeBps) throw std::invalid_argument("rake above 10000 basis points");
  if (std::any_of(stakes.begin(), stakes.end(), [](Units s) { return s < 0; })) {
    throw std::invalid_argument("negative stake");
  }
  if (result.winner_seat && *result.winner_seat >= stakes.size()) throw std::invalid_argument("winner seat out of range");
}

}  // namespace

Settlement settle_game(const std::vector<Units>& stakes, const GameResult& result, unsigned rake_bps) {
  check_inputs(stakes, result, rake_bps);
  Settlement settlement;
  settlement.seats.assign(stakes.size(), 0);
  if (result.winner_seat) {
    const Units pot = std::accumulate(stakes.begin(), stakes.end(), Units{0});
    settlement.rake = rake_of(pot, rake_bps);
    settlement.seats[*result.winner_seat] = pot - settlement.rake;
  } else {
    for (std::size_t i = 0; i < stakes.size(); ++i) {
      const Units rake = rake_of(stakes[i], rake_bps);
      settlement.seats[i] = stakes[i] - rake;
      settlement.rake += rake;
    }
  }
  return settlement;
}

bool series_can_continue(const std::vector<Units>& balances, Units wager) {
  return std::all_of(balances.begin(), balances.end(), [wager](Units b) { return b >= wager; });
}

std::vector<Units> apply_series_game(const std::vector<Units>& balances, Units wager, const GameResult& result,
                                     unsigned rake_bps, Units& umpire_balance) {
  if (wager <= 0) throw std::invalid_argument("series wager must be positive");
  if (!series_can_continue(balances, wager)) throw std::invalid_argument("a seat cannot cover the wager");
  const std::vector<Units> stakes(balances.size(), wager);
  const Settlement settlement = settle_game(stakes, result, rake_bps);
  std::vector<Units> after = balances;
  for (std::size_t i = 0; i < after.size(); ++i) after[i] += settlement.seats[i] - wager;
  umpire_balance += settlement.rake;
  return after;
}

Units parse_units(const std::string& decimal, unsigned decimals) {
  const auto dot = decimal.find('.');
  const std::string whole = decimal.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "" : decimal.substr(dot + 1);
  const auto all_digits = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(fraction) || (dot != std::string::npos && fraction.empty())) {
    throw std::invalid_argument("not a plain non-negative decimal: \"" + decimal + "\"");
  }
  if (fraction.size() > decimals) {
    throw std::invalid_argument("\"" + decimal + "\" has more than " + std::to_string(decimals) + " decimals");
  }
  if (whole.size() + decimals > 36) throw std::invalid_argument("amount too large: \"" + decimal + "\"");
  Units units = 0;
  for (char c : whole) units = units * 10 + (c - '0');
  for (unsigned i = 0; i < decimals; ++i) units = units * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  return units;
}

std::string format_units(Units units, unsigned decimals) {
  const bool negative = units < 0;
  if (negative) units = -units;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(units % 10)));
    units /= 10;
  } while (units > 0);
  if (digits.size() <= decimals) digits.insert(0, decimals - digits.size() + 1, '0');
  std::string whole = digits.substr(0, digits.size() - decimals);
  std::string fraction = digits.substr(digits.size() - decimals);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return (negative ? "-" : "") + whole + (fraction.empty() ? "" : "." + fraction);
}

}  // namespace umpire::referee
