// Payout rules: exact pot splits, rake rounded down with the residue left to players, conservation on every path,
// series balances, and exact decimal <-> units conversion.
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "referee/payout.hpp"

using namespace umpire::referee;

namespace {
Units sum(const std::vector<Units>& v) { return std::accumulate(v.begin(), v.end(), Units{0}); }
}  // namespace

TEST(SettleGame, WinnerTakesPotLessRake) {
  // Two players stake 1 USDC (6 decimals); 1% rake of the 2 USDC pot is 0.02.
  const auto s = settle_game({1'000'000, 1'000'000}, {1}, 100);
  EXPECT_EQ(s.seats, (std::vector<Units>{0, 1'980'000}));
  EXPECT_EQ(s.rake, 20'000);
}

TEST(SettleGame, DrawReturnsStakesLessRake) {
  const auto s = settle_game({1'000'000, 1'000'000}, {std::nullopt}, 100);
  EXPECT_EQ(s.seats, (std::vector<Units>{990'000, 990'000}));
  EXPECT_EQ(s.rake, 20'000);
}

TEST(SettleGame, RakeRoundsDownAndResidueStaysWithPlayers) {
  // 333 units at 1% is 3.33 → 3 of rake per seat on a draw; the pot of 666 → 6 on a win.
  const auto draw = settle_game({333, 333}, {std::nullopt}, 100);
  EXPECT_EQ(draw.rake, 6);
  EXPECT_EQ(draw.seats[0], 330);
  const auto win = settle_game({333, 333}, {0}, 100);
  EXPECT_EQ(win.rake, 6);
  EXPECT_EQ(win.seats[0], 660);
}

TEST(SettleGame, ZeroRakeAndBadInputs) {
  EXPECT_EQ(settle_game({5, 7}, {0}, 0).seats[0], 12);
  EXPECT_THROW(settle_game({5, 7}, {2}, 0), std::invalid_argument);
  EXPECT_THROW(settle_game({-1, 7}, {0}, 0), std::invalid_argument);
  EXPECT_THROW(settle_game({1, 7}, {0}, 10'001), std::invalid_argument);
}

TEST(SettleGame, ConservesOnRandomInputs) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10'000; ++i) {
    std::vector<Units> stakes(2 + rng() % 3);
    for (auto& s : stakes) s = static_cast<Units>(rng() % 10'000'000'000ULL);
    const GameResult result = rng() % 3 == 0 ? GameResult{std::nullopt} : GameResult{rng() % stakes.size()};
    const auto s = settle_game(stakes, result, static_cast<unsigned>(rng() % 10'001));
    ASSERT_EQ(sum(s.seats) + s.rake, sum(stakes));
    ASSERT_GE(s.rake, 0);
  }
}

TEST(SeriesTable, HundredGamesMoveBalancesAndConserve) {
  std::vector<Units> balances = {100'000'000, 100'000'000};  // 100 USDC each
  Units umpire = 0;
  const Units wager = 1'000'000;
  std::mt19937_64 rng(11);
  int games = 0;
  while (games < 100 && series_can_continue(balances, wager)) {
    const int r = static_cast<int>(rng() % 3);
    balances = apply_series_game(balances, wager, r == 2 ? GameResult{std::nullopt} : GameResult{std::size_t(r)}, 50,
                                 umpire);
    ++games;
    ASSERT_EQ(sum(balances) + umpire, 200'000'000);
  }
  EXPECT_EQ(games, 100);
  EXPECT_GT(umpire, 0);
}

TEST(SeriesTable, RefusesAGameASeatCannotCover) {
  Units umpire = 0;
  EXPECT_FALSE(series_can_continue({5, 10}, 6));
  EXPECT_THROW(apply_series_game({5, 10}, 6, {0}, 0, umpire), std::invalid_argument);
}

TEST(Units, ParseAndFormatAreExactInverses) {
  EXPECT_EQ(parse_units("1.5", 6), 1'500'000);
  EXPECT_EQ(parse_units("0.000001", 6), 1);
  EXPECT_EQ(parse_units("100", 6), 100'000'000);
  EXPECT_EQ(format_units(1'500'000, 6), "1.5");
  EXPECT_EQ(format_units(100'000'000, 6), "100");
  EXPECT_EQ(format_units(0, 6), "0");
  EXPECT_EQ(format_units(1, 18), "0.000000000000000001");
  EXPECT_EQ(format_units(-20'000, 6), "-0.02");
  const Units wei = parse_units("123456789012345678.123456789012345678", 18);
  EXPECT_EQ(format_units(wei, 18), "123456789012345678.123456789012345678");
  EXPECT_THROW(parse_units("1234567890123456789.1", 18), std::invalid_argument) << "beyond 36 digits";
}

TEST(Units, ParseRejectsWhatItCannotRepresentExactly) {
  for (const char* bad : {"", ".5", "5.", "-1", "+1", "1e6", "1.0000001", "0x10", "1,5", " 1"}) {
    EXPECT_THROW(parse_units(bad, 6), std::invalid_argument) << bad;
  }
}
