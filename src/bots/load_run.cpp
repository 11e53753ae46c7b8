// bots/load_run.cpp — see the header. The run is driven by one control coroutine on its own strand: setup, the
// progress ticker (which also decides when to finish and detects a stall), and the balance checks at the end.
// Bots report completion to the control strand; the game book lives on its own strand.
#include "bots/load_run.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <future>
#include <iomanip>
#include <ostream>
#include <random>
#include <sstream>
#include <thread>

#include "bots/bot.hpp"
#include "bots/devnode_ledger.hpp"
#include "client/player_client.hpp"
#include "ops/loop_lag.hpp"
#include "rooms/registry.hpp"

namespace umpire::bots {
namespace {

using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Counts finished tasks on one strand; wait() returns once all have finished.
class Latch {
 public:
  Latch(asio::any_io_executor executor, std::size_t count) : timer_(executor), left_(count) {}
  void count_down() {
    if (left_ > 0 && --left_ == 0) timer_.cancel();
  }
  std::size_t left() const { return left_; }
  asio::awaitable<void> wait() {
    while (left_ > 0) {
      timer_.expires_after(24h);
      co_await timer_.async_wait(asio::as_tuple(use_awaitable));
    }
  }

 private:
  asio::steady_timer timer_;
  std::size_t left_;
};

// Runs task(i) for i in [0, count) with at most `width` at a time on the current executor; rethrows the first
// failure once all have stopped.
template <class Task>
asio::awaitable<void> for_each_bounded(std::size_t count, std::size_t width, Task task) {
  auto executor = co_await asio::this_coro::executor;
  auto next = std::make_shared<std::size_t>(0);
  auto failure = std::make_shared<std::exception_ptr>();
  const std::size_t workers = std::min(width, count);
  auto latch = std::make_shared<Latch>(executor, workers);
  for (std::size_t w = 0; w < workers; ++w) {
    asio::co_spawn(
        executor,
        [next, failure, count, task]() -> asio::awaitable<void> {
          while (*next < count && !*failure) {
            const std::size_t i = (*next)++;
            co_await task(i);
          }
        },
        [latch, failure](std::exception_ptr error) {
          if (error && !*failure) *failure = error;
          latch->count_down();
        });
  }
  co_await latch->wait();
  if (*failure) std::rethrow_exception(*failure);
}

struct Discovery {
  v1::RoomCatalog catalog;
  std::string server_address;
};

// Logs in with a throwaway wallet to read the catalog and the server's address.
asio::awaitable<Discovery> discover(const std::string& url) {
  std::unique_ptr<client::PlayerClient> player;
  try {
    player = co_await client::PlayerClient::connect(url);
  } catch (const std::exception& error) {
    throw SetupError("cannot connect to " + url + ": " + error.what());
  }
  const crypto::KeySigner visitor(crypto::PrivateKey::generate());
  v1::ClientMessage list;
  list.mutable_list_rooms();
  Discovery found;
  try {
    co_await player->login(visitor);
    found.catalog = (co_await player->call(std::move(list))).room_catalog();
  } catch (const std::exception& error) {
    throw SetupError(std::string("cannot read the room catalog: ") + error.what());
  }
  found.server_address = player->hello().server_address();
  co_await player->socket().close();
  co_return found;
}

wire::Decimal default_funding(const RoomRules& rules) {
  return wire::Decimal::from_raw(rules.stake.raw() * 1000);  // a thousand stakes: no bot runs dry in a long run
}

}  // namespace

v1::RoomType pick_room_type(const v1::RoomCatalog& catalog, const std::string& wanted, bool series) {
  bool single_game_id = false;  // `wanted` names a room type, but not a series one
  for (const auto& type : catalog.room_types()) {
    if (type.id() != wanted) continue;
    if (!series || type.games_per_session() != 1) return type;
    single_game_id = true;
  }
  for (const auto& type : catalog.room_types()) {
    if (type.game() == wanted && (type.games_per_session() != 1) == series) return type;
  }
  if (single_game_id) throw SetupError("room type \"" + wanted + "\" plays one game per session, not a series");
  std::string offered;
  for (const auto& type : catalog.room_types()) {
    offered += (offered.empty() ? "" : ", ") + type.id() + " (" + type.game() +
               (type.games_per_session() != 1 ? ", series" : "") + ")";
  }
  throw SetupError("the server has no " + std::string(series ? "series " : "") + "room type or game \"" + wanted +
                   "\"; it offers: " + (offered.empty() ? "nothing" : offered));
}

std::string progress_line(const ProgressSample& s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << "[" << std::setw(6) << s.elapsed_s << "s] games " << s.games;
  if (s.games_target) out << "/" << *s.games_target;
  out << " (" << s.games_per_s << "/s)  aborted " << s.aborted << "  moves " << s.moves << " (" << std::setprecision(0)
      << s.moves_per_s << "/s)  rtt p50 " << s.rtt_p50_us << "us p99 " << s.rtt_p99_us << "us  errors " << s.errors;
  return out.str();
}

namespace {

class LoadRun {
 public:
  LoadRun(const LoadOptions& options, std::ostream& progress, bool tty)
      : options_(options), progress_(progress), tty_(tty), io_(static_cast<int>(std::max(1u, options.threads))) {}

  RunSummary run() {
    auto control = asio::make_strand(io_);
    auto future = asio::co_spawn(control, main(), asio::use_future);
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < std::max(1u, options_.threads); ++i) threads.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& thread : threads) thread.join();
    return future.get();
  }

 private:
  asio::awaitable<RunSummary> main() {
    auto control = co_await asio::this_coro::executor;
    const Discovery found = co_await discover(options_.behaviour.url);
    const v1::RoomType room = pick_room_type(found.catalog, options_.game, options_.series);
    const rooms::GameRegistry registry = rooms::make_default_registry();
    const rooms::Game* game = registry.find(room.game());
    if (!game) throw SetupError("room type " + room.id() + " plays \"" + room.game() + "\", a game these bots do not know");
    if (room.seats() != game->seats()) throw SetupError("room type " + room.id() + " has an unexpected seat count");

    RunSummary summary;
    summary.room_type = room.id();
    summary.game = room.game();
    summary.series = room.games_per_session() != 1;
    summary.bots = options_.bots;
    summary.asset = room.asset();

    std::vector<std::shared_ptr<crypto::KeySigner>> wallets;
    for (unsigned i = 0; i < options_.bots; ++i) {
      wallets.push_back(std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate()));
    }

    // Money before.
    std::unique_ptr<DevnodeLedger> ledger;
    unsigned decimals = 6;
    std::vector<BalanceChange> balances(options_.bots);
    BalanceChange umpire;
    if (options_.devnode_url) {
      try {
        ledger = co_await DevnodeLedger::connect(*options_.devnode_url);
        decimals = co_await ledger->asset_decimals(room.asset());
        umpire.before = co_await ledger->balance(found.server_address, room.asset());
      } catch (const SetupError&) {
        throw;
      } catch (const std::exception& error) {
        throw SetupError("devnode " + *options_.devnode_url + ": " + error.what());
      }
    } else {
      summary.conservation_note = "no --devnode: balances not read, the rake assumed in units of 10^-6";
    }
    summary.asset_decimals = decimals;
    RoomRules rules;
    try {
      rules = rules_of(room, decimals);
    } catch (const std::invalid_argument& error) {
      throw SetupError(std::string("room type ") + room.id() + ": " + error.what());
    }
    if (ledger) {
      const wire::Decimal amount =
          options_.fund_amount ? wire::Decimal::parse(*options_.fund_amount).value_or(wire::Decimal()) : default_funding(rules);
      if (!amount.is_positive()) throw SetupError("--fund must be a positive amount");
      progress_ << "funding " << options_.bots << " bots with " << amount.to_string() << " " << room.asset()
                << " each at " << *options_.devnode_url << "\n" << std::flush;
      co_await for_each_bounded(options_.bots, 256, [&](std::size_t i) -> asio::awaitable<void> {
        balances[i].before = co_await ledger->fund(wallets[i]->address().checksum(), room.asset(), amount);
      });
    }

    // Play.
    BotBehaviour behaviour = options_.behaviour;
    if (behaviour.seed == 0) behaviour.seed = std::random_device{}() * 0x9E3779B97F4A7C15ULL + std::random_device{}();
    const auto started = Clock::now();
    GameBudget budget = options_.games ? GameBudget::games(*options_.games, room.seats())
                                       : GameBudget::until(started + options_.duration.value_or(10s), room.seats());
    RunContext context(behaviour, room, rules, *game, found.server_address, budget, io_.get_executor());
    std::vector<std::shared_ptr<Bot>> bots;
    for (unsigned i = 0; i < options_.bots; ++i) {
      bots.push_back(std::make_shared<Bot>(context, i, wallets[i], io_.get_executor()));
    }
    // Sampled every millisecond: a stall of the load generator long enough to matter to a move's RTT is seen.
    auto loop_lag =
        ops::LoopLagProbe::start(io_.get_executor(), 1ms, [&context](ops::LoopLagProbe::Clock::duration lag) {
          const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(lag).count();
          context.loop_lag_us.record(static_cast<std::uint64_t>(micros));
        });
    // Stopped however this returns: a running probe would keep io_.run() from ever returning.
    const std::unique_ptr<ops::LoopLagProbe, void (*)(ops::LoopLagProbe*)> stop_loop_lag(
        loop_lag.get(), [](ops::LoopLagProbe* probe) { probe->stop(); });
    auto finished = std::make_shared<Latch>(control, bots.size());
    auto last_done = std::make_shared<Clock::time_point>(started);
    for (auto& bot : bots) {
      asio::co_spawn(bot->executor(), bot->run(), [finished, last_done, control](std::exception_ptr) {
        asio::post(control, [finished, last_done] {
          *last_done = Clock::now();
          finished->count_down();
        });
      });
    }
    co_await watch(context, bots, *finished, started);
    summary.elapsed_s = std::chrono::duration<double>(*last_done - started).count();
    if (tty_) progress_ << "\n";
    progress_ << std::flush;

    // Every report the bots posted to the book is in once this runs (the strand keeps order).
    co_await asio::post(context.book_strand, use_awaitable);
    collect(context, bots, summary);

    // Money after.
    if (ledger) {
      co_await check_money(*ledger, wallets, balances, umpire, room.asset(), found.server_address, summary);
      co_await ledger->stop();
    }
    co_return summary;
  }

  // The ticker: progress, when to finish, and stalls. Returns when every bot has ended.
  asio::awaitable<void> watch(RunContext& context, const std::vector<std::shared_ptr<Bot>>& bots, Latch& finished,
                              Clock::time_point started) {
    asio::steady_timer tick(co_await asio::this_coro::executor);
    // SIGINT/SIGTERM finish the run early as if its time were up, so a driver (bench/run) can end a long run once
    // it has measured and still get the summary.
    asio::signal_set stop_signals(co_await asio::this_coro::executor, SIGINT, SIGTERM);
    stop_signals.async_wait([this](const boost::system::error_code& error, int) {
      if (!error) stop_signalled_ = true;
    });
    // SIGUSR1 opens a measurement window: the move RTTs recorded so far (logins, session openings, warm-up) are
    // forgotten, so the summary's move_rtt_us is that of steady play from the signal on.
    asio::signal_set window_signal(co_await asio::this_coro::executor, SIGUSR1);
    std::function<void()> await_window = [&] {
      window_signal.async_wait([&](const boost::system::error_code& error, int) {
        if (error) return;
        context.move_rtt_us.reset();
        context.loop_lag_us.reset();
        await_window();
      });
    };
    await_window();
    const auto interval = tty_ ? 250ms : 1000ms;
    const auto print_every = tty_ ? 250ms : 5000ms;
    auto last_print = Clock::now();
    auto last_change = Clock::now();
    std::uint64_t last_activity = 0;
    std::uint64_t last_moves = 0, last_games = 0;
    auto last_rate_at = Clock::now();
    while (finished.left() > 0) {
      tick.expires_after(interval);
      co_await tick.async_wait(asio::as_tuple(use_awaitable));
      const auto now = Clock::now();
      const std::uint64_t games = context.book.games_completed();
      const std::uint64_t moves = context.counters.moves.load();
      const bool target_reached = options_.games && games >= *options_.games;
      const bool time_up = (!options_.games && !context.budget.open(now)) || stop_signalled_.load();
      if ((target_reached || time_up) && !context.finishing.exchange(true)) {
        context.budget.close();
        for (auto& bot : bots) bot->wake();
      }
      const std::uint64_t activity = moves + games + context.book.games_aborted() + context.book.abandoned_at_finish() +
                                      context.book.sessions_closed() +
                                     context.counters.reconnects.load() + context.counters.errors.load();
      if (activity != last_activity) {
        last_activity = activity;
        last_change = now;
      } else if (now - last_change > options_.stall_timeout && !context.aborting.exchange(true)) {
        ++errors_["stalled"];
        progress_ << (tty_ ? "\n" : "") << "no progress for " << options_.stall_timeout.count()
                  << " s: stopping the bots\n";
        for (auto& bot : bots) bot->wake();
      }
      if (now - last_print >= print_every) {
        const double span = std::chrono::duration<double>(now - last_rate_at).count();
        ProgressSample sample;
        sample.elapsed_s = std::chrono::duration<double>(now - started).count();
        sample.games = games;
        sample.games_target = options_.games;
        sample.aborted = context.book.games_aborted();
        sample.moves = moves;
        sample.moves_per_s = span > 0 ? static_cast<double>(moves - last_moves) / span : 0;
        sample.games_per_s = span > 0 ? static_cast<double>(games - last_games) / span : 0;
        sample.rtt_p50_us = context.move_rtt_us.percentile(50);
        sample.rtt_p99_us = context.move_rtt_us.percentile(99);
        sample.errors = context.counters.errors.load();
        progress_ << (tty_ ? "\r" : "") << progress_line(sample) << (tty_ ? "\x1b[K" : "\n") << std::flush;
        last_print = now;
        last_moves = moves;
        last_games = games;
        last_rate_at = now;
      }
    }
    stop_signals.cancel();
    window_signal.cancel();
  }

  void collect(const RunContext& context, const std::vector<std::shared_ptr<Bot>>& bots, RunSummary& summary) {
    const GameBook& book = context.book;
    summary.games_completed = book.games_completed();
    summary.games_aborted = book.games_aborted();
    summary.abandoned_at_finish = book.abandoned_at_finish();
    summary.sessions_closed = book.sessions_closed();
    summary.wins = book.wins;
    summary.draws = book.draws;
    summary.forfeits = book.forfeits;
    summary.moves = context.counters.moves.load();
    summary.move_rtt_us = LatencySummary::of(context.move_rtt_us);
    summary.session_open_us = LatencySummary::of(context.session_open_us);
    summary.loop_lag_us = LatencySummary::of(context.loop_lag_us);
    summary.payouts_checked = book.payouts_checked;
    summary.wrong_payouts = book.wrong_payouts();
    summary.wrong_payout_examples = book.wrong_payout_examples;
    summary.reconnects = context.counters.reconnects.load();
    summary.stale_retries = context.counters.stale_retries.load();
    summary.rake_reported = book.rake_reported;
    summary.errors = errors_;
    for (const auto& [kind, count] : book.errors) summary.errors[kind] += count;
    for (const auto& bot : bots) {
      for (const auto& [kind, count] : bot->errors()) summary.errors[kind] += count;
    }
  }

  // Reads every bot's balance and Umpire's at the node (devnode_balance, see devnode_ledger.hpp) and checks that the
  // changes sum to zero. A session closed in the last moments may still be settling at the node, so a failed
  // check is repeated a few times before it counts. Then a few bots read their own balances, authenticated, and
  // those must equal what devnode_balance said.
  asio::awaitable<void> check_money(DevnodeLedger& ledger, const std::vector<std::shared_ptr<crypto::KeySigner>>& wallets,
                                    std::vector<BalanceChange>& balances, BalanceChange& umpire, const std::string& asset,
                                    const std::string& server_address, RunSummary& summary) {
    asio::steady_timer pause(co_await asio::this_coro::executor);
    std::string failure;
    try {
      for (int attempt = 0; attempt < 10; ++attempt) {
        co_await for_each_bounded(wallets.size(), 256, [&](std::size_t i) -> asio::awaitable<void> {
          balances[i].after = co_await ledger.balance(wallets[i]->address().checksum(), asset);
        });
        umpire.after = co_await ledger.balance(server_address, asset);
        summary.conservation = check_conservation(balances, umpire);
        if (summary.conservation->ok) break;
        pause.expires_after(500ms);
        co_await pause.async_wait(asio::as_tuple(use_awaitable));
      }
      for (std::size_t i = 0; i < std::min<std::size_t>(wallets.size(), 3); ++i) {
        const std::string address = wallets[i]->address().checksum();
        const wire::Decimal own = co_await ledger.own_balance(wallets[i], asset);
        if (own != balances[i].after) {
          summary.conservation->ok = false;
          summary.conservation_note = "bot " + address + " reads " + own.to_string() + " itself but devnode_balance said " +
                                      balances[i].after.to_string();
        }
      }
    } catch (const std::exception& error) {
      failure = error.what();
    }
    if (!failure.empty()) {
      summary.conservation = Conservation();
      summary.conservation_note = "reading balances failed: " + failure;
    }
  }

  const LoadOptions& options_;
  std::ostream& progress_;
  const bool tty_;
  asio::io_context io_;
  std::map<std::string, std::uint64_t> errors_;  // the run's own findings (stall)
  std::atomic<bool> stop_signalled_{false};      // SIGINT/SIGTERM seen: finish as if the time were up
};

}  // namespace

RunSummary run_load(const LoadOptions& options, std::ostream& progress, bool tty) {
  if (options.bots == 0) throw SetupError("--bots must be at least 1");
  if (options.games.has_value() == options.duration.has_value()) throw SetupError("give one of --games or --seconds");
  LoadRun run(options, progress, tty);
  return run.run();
}

}  // namespace umpire::bots
