// bots/run_summary.cpp — see the header.
#include "bots/run_summary.hpp"

#include <cmath>
#include <sstream>

namespace umpire::bots {
namespace {

double rounded(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

double ms_of_us(std::uint64_t us) { return rounded(static_cast<double>(us) / 1000.0, 3); }

}  // namespace

LatencySummary LatencySummary::of(const LatencyHistogram& histogram) {
  LatencySummary summary;
  summary.count = histogram.count();
  summary.p50 = histogram.percentile(50);
  summary.p90 = histogram.percentile(90);
  summary.p99 = histogram.percentile(99);
  summary.max = histogram.max();
  return summary;
}

Conservation check_conservation(const std::vector<BalanceChange>& bots, const BalanceChange& umpire) {
  Conservation result;
  for (const auto& bot : bots) result.bots_change += bot.change();
  result.umpire_change = umpire.change();
  result.ok = (result.bots_change + result.umpire_change).is_zero();
  return result;
}

nlohmann::ordered_json to_json(const RunSummary& s) {
  nlohmann::ordered_json out;
  out["room_type"] = s.room_type;
  out["game"] = s.game;
  out["series"] = s.series;
  out["bots"] = s.bots;
  out["elapsed_s"] = rounded(s.elapsed_s, 3);
  out["games_completed"] = s.games_completed;
  out["games_aborted"] = s.games_aborted;
  out["rooms_abandoned_at_finish"] = s.abandoned_at_finish;
  out["sessions_closed"] = s.sessions_closed;
  out["games_per_s"] = rounded(s.games_per_s(), 1);
  out["outcomes"] = {{"wins", s.wins}, {"draws", s.draws}, {"forfeits", s.forfeits}};
  out["moves"] = s.moves;
  out["moves_per_s"] = rounded(s.moves_per_s(), 1);
  out["move_rtt_us"] = {{"p50", s.move_rtt_us.p50}, {"p90", s.move_rtt_us.p90}, {"p99", s.move_rtt_us.p99},
                        {"max", s.move_rtt_us.max}};
  out["event_loop_lag_us"] = {{"p50", s.loop_lag_us.p50}, {"p90", s.loop_lag_us.p90}, {"p99", s.loop_lag_us.p99},
                               {"max", s.loop_lag_us.max}};
  out["session_open_ms"] = {{"p50", ms_of_us(s.session_open_us.p50)},
                            {"p99", ms_of_us(s.session_open_us.p99)},
                            {"max", ms_of_us(s.session_open_us.max)}};
  nlohmann::ordered_json errors = nlohmann::ordered_json::object();
  for (const auto& [kind, count] : s.errors) errors[kind] = count;
  out["errors"] = errors;
  out["payouts_checked"] = s.payouts_checked;
  out["wrong_payouts"] = s.wrong_payouts;
  out["wrong_payout_examples"] = s.wrong_payout_examples;
  out["reconnects"] = s.reconnects;
  out["stale_retries"] = s.stale_retries;
  out["asset"] = s.asset;
  out["rake_reported"] = s.rake_reported.to_string();
  if (s.conservation) {
    out["conservation_ok"] = s.conservation->ok;
    out["bots_balance_change"] = s.conservation->bots_change.to_string();
    out["umpire_balance_change"] = s.conservation->umpire_change.to_string();
  } else {
    out["conservation_ok"] = nullptr;
  }
  if (!s.conservation_note.empty()) out["conservation_note"] = s.conservation_note;
  return out;
}

std::string to_text(const RunSummary& s) {
  std::ostringstream out;
  out << "umpire bots: " << s.bots << " bots, room type " << s.room_type << " (" << s.game << (s.series ? ", series" : "")
      << "), " << rounded(s.elapsed_s, 2) << " s\n";
  out << "  games " << s.games_completed << " (" << rounded(s.games_per_s(), 1) << "/s; " << s.wins << " wins, "
      << s.draws << " draws, " << s.forfeits << " forfeits), aborted " << s.games_aborted << ", sessions closed "
      << s.sessions_closed;
  if (s.abandoned_at_finish) out << ", proposals abandoned at the finish " << s.abandoned_at_finish;
  out << "\n";
  out << "  moves " << s.moves << " (" << rounded(s.moves_per_s(), 1) << "/s), RTT us p50 " << s.move_rtt_us.p50
      << " p90 " << s.move_rtt_us.p90 << " p99 " << s.move_rtt_us.p99 << " max " << s.move_rtt_us.max << "\n";
  out << "  the bots' event loop lag us p50 " << s.loop_lag_us.p50 << " p99 " << s.loop_lag_us.p99 << " max "
      << s.loop_lag_us.max << "\n";
  out << "  session open ms p50 " << ms_of_us(s.session_open_us.p50) << " p99 " << ms_of_us(s.session_open_us.p99)
      << "\n";
  out << "  payouts checked " << s.payouts_checked << ", wrong " << s.wrong_payouts << "\n";
  for (const auto& example : s.wrong_payout_examples) out << "    wrong payout: " << example << "\n";
  out << "  errors";
  if (s.errors.empty()) out << " none";
  for (const auto& [kind, count] : s.errors) out << " " << kind << "=" << count;
  out << "\n";
  if (s.reconnects || s.stale_retries) {
    out << "  reconnects " << s.reconnects << ", crossed simultaneous moves resent " << s.stale_retries << "\n";
  }
  if (s.conservation) {
    out << "  conservation " << (s.conservation->ok ? "ok" : "FAILED") << ": bots "
        << s.conservation->bots_change.to_string() << " " << s.asset << ", Umpire "
        << s.conservation->umpire_change.to_string() << " (rake reported in games " << s.rake_reported.to_string()
        << ")\n";
  } else {
    out << "  conservation not checked";
  }
  if (!s.conservation_note.empty()) out << (s.conservation ? "  " : ": ") << s.conservation_note << "\n";
  else if (!s.conservation) out << "\n";
  return out.str();
}

int exit_code(const RunSummary& s) {
  if (s.wrong_payouts > 0) return 1;
  if (s.conservation && !s.conservation->ok) return 1;
  return 0;
}

}  // namespace umpire::bots
