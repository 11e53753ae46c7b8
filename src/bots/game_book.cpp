// bots/game_book.cpp — see the header. Entries are dropped once every seat has reported, so memory stays bounded
// by the games in progress.
#include "bots/game_book.hpp"

#include "umpire/v1/umpire.pb.h"

namespace umpire::bots {
namespace {
constexpr std::size_t kMaxExamples = 5;
}

void GameBook::flag_wrong(Seen& seen, const std::string& what, const std::string& where) {
  if (seen.wrong) return;
  seen.wrong = true;
  wrong_payouts_.fetch_add(1, std::memory_order_relaxed);
  if (wrong_payout_examples.size() < kMaxExamples) wrong_payout_examples.push_back(where + ": " + what);
}

void GameBook::game_over(const GameOverReport& report) {
  const std::string key = report.room_id + "#" + std::to_string(report.game_number);
  const std::string where = "room " + report.room_id + " game " + std::to_string(report.game_number);
  auto [it, first] = games_.try_emplace(key);
  Seen& seen = it->second;
  if (first) {
    games_completed_.fetch_add(1, std::memory_order_relaxed);
    seen.allocations = report.allocations;
    seen.outcome = report.outcome;
    if (report.outcome == v1::OUTCOME_WIN) ++wins;
    if (report.outcome == v1::OUTCOME_DRAW) ++draws;
    if (report.outcome == v1::OUTCOME_FORFEIT) ++forfeits;
    rake_reported += report.rake;
  } else if (seen.allocations != report.allocations || seen.outcome != report.outcome) {
    ++inconsistent_reports;
    ++errors["inconsistent_game_over"];
    flag_wrong(seen, "the seats were told different results", where);
  }
  if (report.payout_checked && !seen.checked) {
    seen.checked = true;
    ++payouts_checked;
  }
  if (report.wrong_payout) flag_wrong(seen, *report.wrong_payout, where);
  if (++seen.reports >= seats_) games_.erase(it);
}

void GameBook::session_closed(const SessionClosedReport& report) {
  auto [it, first] = closes_.try_emplace(report.room_id);
  Seen& seen = it->second;
  if (first) sessions_closed_.fetch_add(1, std::memory_order_relaxed);
  if (report.wrong_payout) flag_wrong(seen, *report.wrong_payout, "room " + report.room_id + " close");
  if (++seen.reports >= seats_) closes_.erase(it);
}

void GameBook::room_aborted(const std::string& room_id, const std::string& error_kind) {
  const auto count = ++aborts_[room_id];
  if (count >= seats_) aborts_.erase(room_id);
  if (count != 1) return;
  if (error_kind.empty()) {
    abandoned_at_finish_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  games_aborted_.fetch_add(1, std::memory_order_relaxed);
  ++errors[error_kind];
}

}  // namespace umpire::bots
