// tests/bots/bots_units_test.cpp — the load test's pure parts: percentiles, the payout recomputation, the game
// book's once-per-game counting, the game budget, room-type choice, conservation and the JSON summary.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

#include "bots/bot.hpp"
#include "bots/game_book.hpp"
#include "bots/game_budget.hpp"
#include "bots/latency_histogram.hpp"
#include "bots/load_run.hpp"
#include "bots/payout_check.hpp"
#include "bots/run_summary.hpp"

namespace umpire::bots {
namespace {

wire::Decimal dec(const char* text) { return wire::Decimal::parse(text).value(); }

// ---- LatencyHistogram -------------------------------------------------------------------------------------------

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.percentile(50), 0u);
  EXPECT_EQ(histogram.max(), 0u);
}

TEST(LatencyHistogram, SmallValuesAreExactNearestRank) {
  LatencyHistogram histogram;
  for (std::uint64_t v = 1; v <= 100; ++v) histogram.record(v);
  EXPECT_EQ(histogram.count(), 100u);
  EXPECT_EQ(histogram.percentile(50), 50u);
  EXPECT_EQ(histogram.percentile(90), 90u);
  EXPECT_EQ(histogram.percentile(99), 99u);
  EXPECT_EQ(histogram.percentile(100), 100u);
  EXPECT_EQ(histogram.max(), 100u);
}

TEST(LatencyHistogram, ResetForgetsTheSamplesBeforeIt) {
  LatencyHistogram histogram;
  for (int i = 0; i < 1000; ++i) histogram.record(50'000);  // a slow start: logins, session openings
  histogram.reset();
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.max(), 0u);
  for (std::uint64_t v = 1; v <= 100; ++v) histogram.record(v);
  EXPECT_EQ(histogram.count(), 100u);
  EXPECT_EQ(histogram.percentile(99), 99u);
  EXPECT_EQ(histogram.max(), 100u);
}

// --think-ms X: every think lies in [X/2, 3X/2], they spread over that range, and their mean is X.
TEST(ThinkTime, SpreadsUniformlyAroundTheMean) {
  using namespace std::chrono;
  const milliseconds mean(1000);
  std::uint64_t state = 12345;
  double sum_us = 0;
  std::int64_t lowest = INT64_MAX, highest = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // any spread of draws will do
    const auto think = think_time(mean, state).count();
    ASSERT_GE(think, 500'000);
    ASSERT_LE(think, 1'500'000);
    sum_us += static_cast<double>(think);
    lowest = std::min<std::int64_t>(lowest, think);
    highest = std::max<std::int64_t>(highest, think);
  }
  EXPECT_NEAR(sum_us / kDraws, 1'000'000.0, 10'000.0);
  EXPECT_LT(lowest, 520'000);   // not a fixed pause: the range is used end to end
  EXPECT_GT(highest, 1'480'000);
  EXPECT_EQ(think_time(milliseconds(0), state).count(), 0);
}

TEST(LatencyHistogram, BucketsCoverEveryValueAndStayWithinOnePercent) {
  for (std::uint64_t v : {0ULL, 1ULL, 255ULL, 256ULL, 257ULL, 511ULL, 512ULL, 1000ULL, 123456ULL, 1ULL << 40,
                          (1ULL << 63) + 12345, ~0ULL}) {
    const auto bucket = LatencyHistogram::bucket_of(v);
    const auto upper = LatencyHistogram::upper_bound_of(bucket);
    EXPECT_GE(upper, v) << v;
    EXPECT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 128.0 + 1) << v;
    if (bucket > 0) {
      EXPECT_LT(LatencyHistogram::upper_bound_of(bucket - 1), v) << v;  // buckets do not overlap
    }
  }
}

TEST(LatencyHistogram, PercentilesOfASkewedSampleMatchSortingWithinPrecision) {
  std::mt19937_64 random(7);
  std::vector<std::uint64_t> samples;
  LatencyHistogram histogram;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t v = 200 + random() % 800 + (i % 100 == 0 ? 50000 + random() % 10000 : 0);
    samples.push_back(v);
    histogram.record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (const double p : {50.0, 90.0, 99.0, 99.9}) {
    const auto exact = samples[static_cast<std::size_t>(std::ceil(p / 100 * samples.size())) - 1];
    const auto reported = histogram.percentile(p);
    EXPECT_GE(reported, exact) << p;
    EXPECT_LE(static_cast<double>(reported), static_cast<double>(exact) * (1 + 1.0 / 128)) << p;
  }
  EXPECT_EQ(histogram.max(), samples.back());
}

// ---- payout ---------------------------------------------------------------------------------------------------

struct PayoutTest : ::testing::Test {
  RoomRules rules = [] {
    RoomRules r;
    r.asset = "usdc";
    r.stake = dec("1");
    r.wager = dec("1");
    r.rake_bps = 100;
    r.asset_decimals = 6;
    return r;
  }();
  Allocations stakes{{"0xA", "0xB", "0xU"}, {dec("1"), dec("1"), dec("0")}};

  static v1::GameOver over(v1::Outcome outcome, std::optional<unsigned> winner, std::optional<unsigned> forfeiting,
                           std::vector<const char*> amounts, const char* rake) {
    v1::GameOver message;
    message.set_outcome(outcome);
    if (winner) message.set_winner_seat(*winner);
    if (forfeiting) message.set_forfeiting_seat(*forfeiting);
    const char* who[] = {"0xA", "0xB", "0xU"};
    for (std::size_t i = 0; i < amounts.size(); ++i) {
      auto* a = message.add_allocations();
      a->set_participant(who[i]);
      a->set_asset("usdc");
      a->set_amount(amounts[i]);
    }
    message.set_rake(rake);
    return message;
  }
  std::optional<std::string> check(const v1::GameOver& message) {
    Allocations after;
    return check_game_over(rules, stakes, message, after);
  }
};

TEST_F(PayoutTest, WinnerTakesThePotLessTheRake) {
  EXPECT_EQ(check(over(v1::OUTCOME_WIN, 0, std::nullopt, {"1.98", "0", "0.02"}, "0.02")), std::nullopt);
  EXPECT_EQ(check(over(v1::OUTCOME_WIN, 1, std::nullopt, {"0", "1.98", "0.02"}, "0.02")), std::nullopt);
}

TEST_F(PayoutTest, ForfeitPaysTheOtherSeat) {
  EXPECT_EQ(check(over(v1::OUTCOME_FORFEIT, 1, 0u, {"0", "1.98", "0.02"}, "0.02")), std::nullopt);
  EXPECT_NE(check(over(v1::OUTCOME_FORFEIT, 0, 0u, {"1.98", "0", "0.02"}, "0.02")), std::nullopt);
}

TEST_F(PayoutTest, DrawReturnsEachStakeLessItsRake) {
  EXPECT_EQ(check(over(v1::OUTCOME_DRAW, std::nullopt, std::nullopt, {"0.99", "0.99", "0.02"}, "0.02")), std::nullopt);
}

TEST_F(PayoutTest, EveryWrongAmountIsFound) {
  EXPECT_NE(check(over(v1::OUTCOME_WIN, 0, std::nullopt, {"1.99", "0", "0.01"}, "0.01")), std::nullopt);  // rake
  EXPECT_NE(check(over(v1::OUTCOME_WIN, 0, std::nullopt, {"0", "1.98", "0.02"}, "0.02")), std::nullopt);  // winner
  EXPECT_NE(check(over(v1::OUTCOME_WIN, 0, std::nullopt, {"1.98", "0", "0.02"}, "0.03")), std::nullopt);  // rake field
  EXPECT_NE(check(over(v1::OUTCOME_WIN, 0, std::nullopt, {"1.98", "0"}, "0.02")), std::nullopt);  // Umpire left out
  EXPECT_NE(check(over(v1::OUTCOME_DRAW, std::nullopt, std::nullopt, {"1", "1", "0"}, "0")), std::nullopt);
  EXPECT_NE(check(over(v1::OUTCOME_WIN, std::nullopt, std::nullopt, {"1.98", "0", "0.02"}, "0.02")), std::nullopt);
}

TEST_F(PayoutTest, RakeIsRoundedDownToTheAssetsUnit) {
  rules.stake = rules.wager = dec("0.000151");  // pot 302 units, 1 % = 3.02 → 3 units
  stakes.amounts = {rules.stake, rules.stake, dec("0")};
  EXPECT_EQ(check(over(v1::OUTCOME_WIN, 0, std::nullopt, {"0.000299", "0", "0.000003"}, "0.000003")), std::nullopt);
  // A draw rounds each stake's rake: 1.51 units → 1 each.
  EXPECT_EQ(check(over(v1::OUTCOME_DRAW, std::nullopt, std::nullopt, {"0.00015", "0.00015", "0.000002"}, "0.000002")),
            std::nullopt);
}

TEST_F(PayoutTest, SeriesGamesMoveTheWagerOutOfRunningBalances) {
  rules.stake = dec("10");
  rules.wager = dec("1");
  stakes.amounts = {dec("10"), dec("10"), dec("0")};
  Allocations after;
  EXPECT_EQ(check_game_over(rules, stakes, over(v1::OUTCOME_WIN, 1, std::nullopt, {"9", "10.98", "0.02"}, "0.02"), after),
            std::nullopt);
  EXPECT_EQ(after.amounts[1], dec("10.98"));
  Allocations second;
  EXPECT_EQ(check_game_over(rules, after, over(v1::OUTCOME_DRAW, std::nullopt, std::nullopt, {"8.99", "10.97", "0.04"}, "0.02"),
                            second),
            std::nullopt);
}

TEST_F(PayoutTest, AWagerASeatCannotCoverIsReported) {
  stakes.amounts = {dec("0.5"), dec("1"), dec("0")};
  EXPECT_NE(check(over(v1::OUTCOME_WIN, 0, std::nullopt, {"1.485", "0", "0.015"}, "0.015")), std::nullopt);
}

TEST_F(PayoutTest, CloseMustPayTheRunningResult) {
  v1::SessionClosed closed;
  for (const auto& [who, amount] : std::vector<std::pair<const char*, const char*>>{{"0xA", "1.98"}, {"0xU", "0.02"}}) {
    auto* a = closed.add_allocations();
    a->set_participant(who);
    a->set_asset("usdc");
    a->set_amount(amount);
  }
  const Allocations result{{"0xA", "0xB", "0xU"}, {dec("1.98"), dec("0"), dec("0.02")}};
  EXPECT_EQ(compare_allocations(result, closed.allocations(), "usdc"), std::nullopt);  // a zero may be left out
  closed.mutable_allocations(0)->set_amount("1.97");
  EXPECT_NE(compare_allocations(result, closed.allocations(), "usdc"), std::nullopt);
}

TEST(RulesOf, SingleGameRoomsWagerTheWholeStake) {
  v1::RoomType room;
  room.set_asset("usdc");
  room.set_stake("1");
  room.set_games_per_session(1);
  room.set_wager("0.5");  // ignored: one game per session
  EXPECT_EQ(rules_of(room, 6).wager, dec("1"));
  room.set_games_per_session(0);
  EXPECT_EQ(rules_of(room, 6).wager, dec("0.5"));
  room.set_stake("one");
  EXPECT_THROW(rules_of(room, 6), std::invalid_argument);
}

// ---- GameBook -------------------------------------------------------------------------------------------------

GameOverReport report(const std::string& room, std::uint32_t game, const std::string& allocations,
                      std::optional<std::string> wrong = std::nullopt) {
  GameOverReport r;
  r.room_id = room;
  r.game_number = game;
  r.outcome = v1::OUTCOME_WIN;
  r.allocations = allocations;
  r.rake = dec("0.02");
  r.payout_checked = true;
  r.wrong_payout = std::move(wrong);
  return r;
}

TEST(GameBook, CountsEachGameOnceThoughEverySeatReportsIt) {
  GameBook book(2);
  book.game_over(report("r1", 1, "x"));
  book.game_over(report("r1", 1, "x"));
  book.game_over(report("r1", 2, "y"));
  book.game_over(report("r2", 1, "z"));
  EXPECT_EQ(book.games_completed(), 3u);
  EXPECT_EQ(book.wins, 3u);
  EXPECT_EQ(book.payouts_checked, 3u);
  EXPECT_EQ(book.rake_reported, dec("0.06"));
  EXPECT_EQ(book.wrong_payouts(), 0u);
  EXPECT_TRUE(book.errors.empty());
}

TEST(GameBook, AWrongPayoutCountsOnceWhoeverFindsIt) {
  GameBook book(2);
  book.game_over(report("r1", 1, "x"));
  book.game_over(report("r1", 1, "x", "seat 0 got 1.97"));
  book.game_over(report("r2", 1, "x", "a"));
  book.game_over(report("r2", 1, "x", "b"));
  EXPECT_EQ(book.wrong_payouts(), 2u);
  ASSERT_EQ(book.wrong_payout_examples.size(), 2u);
  EXPECT_EQ(book.wrong_payout_examples[0], "room r1 game 1: seat 0 got 1.97");
}

TEST(GameBook, SeatsToldDifferentResultsIsAnError) {
  GameBook book(2);
  book.game_over(report("r1", 1, "x"));
  book.game_over(report("r1", 1, "y"));
  EXPECT_EQ(book.wrong_payouts(), 1u);
  EXPECT_EQ(book.errors.at("inconsistent_game_over"), 1u);
}

TEST(GameBook, AbortsAndClosesCountPerRoom) {
  GameBook book(2);
  book.room_aborted("r1", "room_aborted:PROPOSAL_EXPIRED");
  book.room_aborted("r1", "room_aborted:PROPOSAL_EXPIRED");
  book.room_aborted("r2", "");
  book.room_aborted("r3", "room_aborted:PROPOSAL_DECLINED");
  EXPECT_EQ(book.games_aborted(), 2u);
  EXPECT_EQ(book.abandoned_at_finish(), 1u);
  EXPECT_EQ(book.errors.size(), 2u);
  EXPECT_EQ(book.errors.at("room_aborted:PROPOSAL_EXPIRED"), 1u);
  SessionClosedReport closed;
  closed.room_id = "r3";
  book.session_closed(closed);
  closed.wrong_payout = "close paid 3";
  book.session_closed(closed);
  EXPECT_EQ(book.sessions_closed(), 1u);
  EXPECT_EQ(book.wrong_payouts(), 1u);
}

// ---- GameBudget -----------------------------------------------------------------------------------------------

TEST(GameBudget, GamesModeHandsOutExactlyTheSeatsOfMGames) {
  auto budget = GameBudget::games(2, 2);
  EXPECT_TRUE(budget.claim_seat());
  EXPECT_TRUE(budget.claim_seat());
  EXPECT_TRUE(budget.claim_game() == false || budget.units_left() == 0);
  EXPECT_FALSE(budget.claim_seat());
  EXPECT_FALSE(budget.open());
  budget.return_seat();  // an aborted room gives its seat back
  EXPECT_TRUE(budget.open());
  EXPECT_TRUE(budget.claim_seat());
}

TEST(GameBudget, SeriesContinuationTakesAWholeGame) {
  auto budget = GameBudget::games(3, 2);
  EXPECT_TRUE(budget.claim_seat());
  EXPECT_TRUE(budget.claim_seat());
  EXPECT_TRUE(budget.claim_game());
  EXPECT_TRUE(budget.claim_seat());       // one seat left over…
  EXPECT_FALSE(budget.claim_game());      // …is not a game
  budget.close();
  EXPECT_FALSE(budget.claim_seat());
}

TEST(GameBudget, SecondsModeOpensUntilTheDeadline) {
  const auto now = GameBudget::Clock::now();
  auto budget = GameBudget::until(now + std::chrono::seconds(5), 2);
  EXPECT_TRUE(budget.claim_seat(now));
  EXPECT_TRUE(budget.claim_game(now + std::chrono::seconds(4)));
  EXPECT_FALSE(budget.claim_seat(now + std::chrono::seconds(5)));
  EXPECT_FALSE(budget.open(now + std::chrono::seconds(6)));
}

// ---- room type, progress, summary -----------------------------------------------------------------------------

v1::RoomCatalog catalog() {
  v1::RoomCatalog c;
  const auto add = [&](const char* id, const char* game, unsigned per_session) {
    auto* t = c.add_room_types();
    t->set_id(id);
    t->set_game(game);
    t->set_games_per_session(per_session);
  };
  add("tictactoe", "tictactoe", 1);
  add("c4-big", "connect_four", 1);
  add("tictactoe-series", "tictactoe", 0);
  return c;
}

TEST(PickRoomType, ByIdThenByGame) {
  EXPECT_EQ(pick_room_type(catalog(), "c4-big", false).id(), "c4-big");
  EXPECT_EQ(pick_room_type(catalog(), "connect_four", false).id(), "c4-big");
  EXPECT_EQ(pick_room_type(catalog(), "tictactoe", false).id(), "tictactoe");
  EXPECT_EQ(pick_room_type(catalog(), "tictactoe", true).id(), "tictactoe-series");
  EXPECT_EQ(pick_room_type(catalog(), "tictactoe-series", false).id(), "tictactoe-series");
}

TEST(PickRoomType, UnknownNamesListTheCatalog) {
  try {
    pick_room_type(catalog(), "chess", false);
    FAIL() << "expected SetupError";
  } catch (const SetupError& error) {
    EXPECT_NE(std::string(error.what()).find("tictactoe-series (tictactoe, series)"), std::string::npos);
  }
  EXPECT_THROW(pick_room_type(catalog(), "connect_four", true), SetupError);
  EXPECT_THROW(pick_room_type(catalog(), "c4-big", true), SetupError);
}

TEST(ProgressLine, ShowsGamesRatesRttAndErrors) {
  ProgressSample s;
  s.elapsed_s = 12.34;
  s.games = 340;
  s.games_target = 1000;
  s.games_per_s = 27.6;
  s.moves = 2543;
  s.moves_per_s = 206.4;
  s.rtt_p50_us = 410;
  s.rtt_p99_us = 1200;
  s.errors = 2;
  EXPECT_EQ(progress_line(s),
            "[  12.3s] games 340/1000 (27.6/s)  aborted 0  moves 2543 (206/s)  rtt p50 410us p99 1200us  errors 2");
}

TEST(Conservation, ChangesMustSumToExactlyZero) {
  std::vector<BalanceChange> bots{{dec("1000"), dec("1000.98")}, {dec("1000"), dec("999")}};
  EXPECT_TRUE(check_conservation(bots, {dec("5"), dec("5.02")}).ok);
  const auto off = check_conservation(bots, {dec("5"), dec("5.020000000000000001")});
  EXPECT_FALSE(off.ok);
  EXPECT_EQ(off.bots_change, dec("-0.02"));
  EXPECT_EQ(off.umpire_change, dec("0.020000000000000001"));
}

TEST(RunSummary, JsonHasTheIssuesFieldsAndExitCodeFollowsPayoutsAndConservation) {
  RunSummary s;
  s.room_type = "tictactoe";
  s.game = "tictactoe";
  s.bots = 20;
  s.elapsed_s = 2;
  s.games_completed = 40;
  s.moves = 300;
  s.move_rtt_us = {300, 200, 400, 900, 1500};
  s.session_open_us = {40, 2500, 0, 9000, 12000};
  s.loop_lag_us = {20000, 60, 90, 700, 8000};
  s.errors["disconnected"] = 1;
  s.conservation = Conservation{true, dec("-0.8"), dec("0.8")};
  const auto json = to_json(s);
  EXPECT_EQ(json["games_completed"], 40);
  EXPECT_EQ(json["games_aborted"], 0);
  EXPECT_EQ(json["moves"], 300);
  EXPECT_DOUBLE_EQ(json["moves_per_s"].get<double>(), 150.0);
  EXPECT_EQ(json["move_rtt_us"]["p50"], 200);
  EXPECT_EQ(json["move_rtt_us"]["p90"], 400);
  EXPECT_EQ(json["move_rtt_us"]["p99"], 900);
  EXPECT_EQ(json["move_rtt_us"]["max"], 1500);
  EXPECT_EQ(json["event_loop_lag_us"]["p50"], 60);
  EXPECT_EQ(json["event_loop_lag_us"]["p99"], 700);
  EXPECT_EQ(json["event_loop_lag_us"]["max"], 8000);
  EXPECT_DOUBLE_EQ(json["session_open_ms"]["p50"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(json["session_open_ms"]["p99"].get<double>(), 9.0);
  EXPECT_EQ(json["errors"]["disconnected"], 1);
  EXPECT_EQ(json["conservation_ok"], true);
  EXPECT_EQ(json["umpire_balance_change"], "0.8");
  EXPECT_EQ(exit_code(s), 0);
  s.conservation->ok = false;
  EXPECT_EQ(exit_code(s), 1);
  s.conservation.reset();
  EXPECT_TRUE(to_json(s)["conservation_ok"].is_null());
  EXPECT_EQ(exit_code(s), 0);
  s.wrong_payouts = 1;
  EXPECT_EQ(exit_code(s), 1);
  EXPECT_NE(to_text(s).find("wrong 1"), std::string::npos);
}

}  // namespace
}  // namespace umpire::bots
