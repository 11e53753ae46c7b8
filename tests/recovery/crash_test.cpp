// tests/recovery/crash_test.cpp — issue 6's crash test: 100 concurrent tic-tac-toe games played by `umpire bots`
// while `umpire serve` is SIGKILLed at random moments and restarted each time, once against an external
// `umpire devnode --db` process and once on the embedded devnode (dev mode keeps it in the state directory's
// devnode.db). The verdict does not trust the bots' view (they miss whatever was sent to a killed server): it is
// read from the node and the journal —
//   - no app session with Umpire as participant is left open at the node, and its audit balances;
//   - the sessions closed at the node are exactly those with a journaled close intent, one intent each (none closed
//     twice, none closed without its intent, none created without a record);
//   - every close pays what the payout rules give for the moves actually played, replayed from the journal through
//     the game's own rules (a forfeit only where the moves had not decided the game), and Umpire's balance is the
//     sum of the rakes.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "clearnode/clearnode_client.hpp"
#include "crypto/private_key.hpp"
#include "crypto/signer.hpp"
#include "journal/journal.hpp"
#include "referee/payout.hpp"
#include "rooms/registry.hpp"
#include "support/metrics_page.hpp"
#include "support/node_client.hpp"
#include "support/umpire_process.hpp"
#include "wire/decimal.hpp"

namespace umpire::testing {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr unsigned kBots = 200;         // 100 games at once
constexpr unsigned kGames = 600;     // with 100 ms of thinking per move: the run outlasts the twelve kills
constexpr unsigned kKills = 12;
constexpr referee::Units kStake = 1'000'000;  // 1 usdc (6 decimals)
constexpr unsigned kRakeBps = 100;

enum class Backend { external_devnode, embedded_devnode };

// One room's games as the journal has them, replayed through the game's rules, and the close it journaled.
struct JournaledRoom {
  std::vector<json> game_starts;
  std::vector<std::vector<std::pair<unsigned, std::string>>> moves;
  std::vector<json> game_overs;
  std::vector<json> close_intents;
  std::string app_session_id;
};

// Every room of the journal; `unfinished` gets the rooms recovery would still act on.
std::map<std::string, JournaledRoom> read_journal(const fs::path& path, std::vector<std::string>& unfinished) {
  journal::JournalOptions options;
  options.path = path;
  auto journal = journal::Journal::open(options);
  std::map<std::string, JournaledRoom> rooms;
  for (const auto& record : journal->read_all()) {
    auto& room = rooms[record.room_id];
    const auto payload = json::parse(record.payload);
    if (record.kind == "proposal") room.app_session_id = payload.at("app_session_id").get<std::string>();
    if (record.kind == "game_start") {
      room.game_starts.push_back(payload);
      room.moves.emplace_back();
    }
    if (record.kind == "move") {
      if (room.moves.empty()) throw std::runtime_error(record.room_id + ": a move before its game started");
      room.moves.back().emplace_back(payload.at("seat"), payload.at("move"));
    }
    if (record.kind == "game_over") room.game_overs.push_back(payload);
    if (record.kind == "close_intent") room.close_intents.push_back(payload);
  }
  unfinished = journal->unfinished_rooms();
  return rooms;
}

// What the close of a one-game room must pay, from the journal's moves; an error text if the record is wrong.
std::string expected_close(const JournaledRoom& room, const rooms::Game& game, std::vector<referee::Units>& out) {
  if (room.game_starts.size() != 1 || room.game_overs.size() != 1) {
    return "expected one game, the journal has " + std::to_string(room.game_starts.size()) + " starts and " +
           std::to_string(room.game_overs.size()) + " ends";
  }
  auto state = game.create(room.game_starts[0].at("seed").get<std::uint64_t>());
  for (const auto& [seat, move] : room.moves[0]) {
    if (state->apply(seat, move).rejection) return "journaled move " + move + " does not apply";
  }
  const auto& over = room.game_overs[0];
  const auto outcome = state->outcome();
  const auto announced = over.at("outcome").get<std::string>();
  std::optional<std::size_t> winner;
  if (announced == "forfeit") {
    if (outcome.kind != rooms::Outcome::Kind::ongoing) return "a forfeit of a game the moves had decided";
    winner = 1 - over.at("forfeiting").get<unsigned>();
  } else if (announced == "win") {
    if (outcome.kind != rooms::Outcome::Kind::win) return "a win the moves do not show";
    if (over.at("winner").get<unsigned>() != *outcome.winner) return "the wrong winner";
    winner = *outcome.winner;
  } else if (outcome.kind != rooms::Outcome::Kind::draw) {
    return "a draw the moves do not show";
  }
  const auto settlement = referee::settle_game({kStake, kStake}, referee::GameResult{winner}, kRakeBps);
  out = settlement.seats;
  out.push_back(settlement.rake);
  return {};
}

class CrashTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!fs::exists(umpire_binary())) GTEST_SKIP() << "no umpire binary";
    dir_ = fs::temp_directory_path() / ("umpire-crash-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(static_cast<int>(GetParam())));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "state");
    players_ = free_port();
    devnode_ = free_port();
    admin_ = free_port();
    std::ofstream(dir_ / "umpire.toml") << "[server]\n"
                                        << "drain_timeout_seconds = 5\n"
                                        << "[limits]\nmessages_per_second = 1000\nmessage_burst = 2000\n"
                                        << "[checkpoint]\nevery_moves = 2\n"
                                        << "[[room]]\nid = \"ttt-crash\"\ngame = \"tictactoe\"\nasset = \"usdc\"\n"
                                        << "stake = \"1\"\nrake_bps = " << kRakeBps << "\n"
                                        << "turn_seconds = 10\nreconnect_seconds = 20\nproposal_seconds = 10\n";
    serve_args_ = {"serve",         "--config",       (dir_ / "umpire.toml").string(),
                   "--state-dir",   (dir_ / "state").string(),
                   "--listen",      "127.0.0.1:" + std::to_string(players_),
                   "--admin-listen", "127.0.0.1:" + std::to_string(admin_)};
    if (GetParam() == Backend::external_devnode) {
      const auto key = run_umpire({"key", "new", "--out", (dir_ / "umpire.key").string()}, dir_ / "key.log", 30s);
      ASSERT_EQ(key.status, 0);
      umpire_key_ = dir_ / "umpire.key";
      ASSERT_TRUE(start_devnode()) << read_text(dir_ / "devnode.log");
      serve_args_.insert(serve_args_.end(), {"--clearnode", "ws://127.0.0.1:" + std::to_string(devnode_) + "/ws",
                                             "--key-file", umpire_key_.string()});
    } else {
      umpire_key_ = dir_ / "state" / "umpire.key";  // dev mode generates it on the first start
      serve_args_.insert(serve_args_.end(), {"--devnode-listen", "127.0.0.1:" + std::to_string(devnode_)});
    }
  }

  void TearDown() override {
    serve_.reset();
    bots_.reset();
    devnode_process_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // The external devnode, on its database: a restart finds every session it had answered for.
  bool start_devnode() {
    devnode_process_ = std::make_unique<UmpireProcess>(
        std::vector<std::string>{"devnode", "--listen", "127.0.0.1:" + std::to_string(devnode_), "--db",
                                 (dir_ / "devnode.db").string()},
        dir_ / "devnode.log");
    return devnode_process_->wait_listening({devnode_});
  }

  bool start_serve() {
    serve_ = std::make_unique<UmpireProcess>(serve_args_, dir_ / "serve.log");
    return serve_->wait_listening({players_, devnode_, admin_}, 30s);
  }

  std::string devnode_url() const { return "ws://127.0.0.1:" + std::to_string(devnode_) + "/ws"; }

  // Waits until no room is left in play, then checks the books at the node and in the journal (see the file
  // header). `min_closed`: how many sessions the run must at least have closed.
  void verify_books(std::size_t min_closed) {
  // Rooms whose players were gone at a restart forfeit once the reconnection window (20 s) passes.
  std::string page;
  for (int i = 0; i < 600; ++i) {
    page = metrics_page(admin_);
    double busy = 0;
    for (const char* state : {"waiting", "proposing", "opening", "playing", "closing"}) busy += rooms_in(page, state);
    if (!page.empty() && busy == 0) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(page.empty());
  for (const char* state : {"proposing", "opening", "playing", "closing"}) EXPECT_EQ(rooms_in(page, state), 0) << state;

  // The node's view.
  auto umpire = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::load_file(umpire_key_));
  const auto umpire_address = umpire->address().checksum();
  std::set<std::string> closed_at_node;
  std::size_t open_at_node = 0;
  wire::Decimal umpire_balance;
  bool audit_balanced = false;
  with_node(devnode_url(), umpire, [&](clearnode::ClearNodeClient& node) -> asio::awaitable<void> {
    for (const char* status : {"open", "closed"}) {
      for (std::uint64_t offset = 0;; offset += 100) {
        clearnode::AppSessionsFilter filter;
        filter.participant = umpire_address;
        filter.status = status;
        filter.offset = offset;
        filter.limit = 100;
        const auto page_of_sessions = co_await node.get_app_sessions(filter);
        for (const auto& session : page_of_sessions) {
          if (std::string(status) == "open") {
            ++open_at_node;
          } else {
            closed_at_node.insert(session.app_session_id);
          }
        }
        if (page_of_sessions.size() < 100) break;
      }
    }
    for (const auto& item : co_await node.get_ledger_balances()) {
      if (item.asset == "usdc") umpire_balance = item.amount;
    }
    audit_balanced = (co_await node.call("devnode_audit", json::object())).at("balanced").get<bool>();
  });
  EXPECT_EQ(open_at_node, 0u) << "app sessions left open";
  EXPECT_TRUE(audit_balanced);

  // The journal's view, replayed through the rules.
  const auto games = rooms::make_default_registry();
  std::vector<std::string> unfinished;
  const auto journaled = read_journal(dir_ / "state" / "journal.db", unfinished);
  EXPECT_TRUE(unfinished.empty()) << unfinished.size() << " rooms still unfinished in the journal";
  std::set<std::string> closed_in_journal;
  referee::Units rake_total = 0;
  for (const auto& [room_id, room] : journaled) {
    if (room.close_intents.empty()) continue;
    EXPECT_EQ(room.close_intents.size(), 1u) << room_id << ": more than one close intent";
    EXPECT_TRUE(closed_in_journal.insert(room.app_session_id).second) << room.app_session_id << " in two rooms";
    std::vector<referee::Units> expected;
    const auto error = expected_close(room, *games.find("tictactoe"), expected);
    if (!error.empty()) {
      ADD_FAILURE() << room_id << ": " << error;
      continue;
    }
    const auto& allocations = room.close_intents[0].at("allocations");
    ASSERT_EQ(allocations.size(), expected.size()) << room_id;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(referee::parse_units(allocations[i].at("amount").get<std::string>(), 6), expected[i])
          << room_id << " allocation " << i << ": " << allocations.dump();
    }
    rake_total += expected.back();
  }
  EXPECT_EQ(closed_at_node, closed_in_journal) << "closed at the node: " << closed_at_node.size()
                                               << ", journaled closes: " << closed_in_journal.size();
  // Umpire's balance is exactly the rakes of the closes the journal holds.
  EXPECT_EQ(umpire_balance.to_string(), referee::format_units(rake_total, 6));
  EXPECT_GE(closed_in_journal.size(), min_closed);
  std::cout << "sessions closed: " << closed_in_journal.size() << ", Umpire's rake: " << umpire_balance.to_string()
            << "\n";

  }

  void start_bots(unsigned bots, unsigned games, unsigned think_ms) {
    bots_ = std::make_unique<UmpireProcess>(
        std::vector<std::string>{"bots", "--url", "ws://127.0.0.1:" + std::to_string(players_) + "/play",
                                 "--devnode", devnode_url(), "--game", "ttt-crash", "--bots", std::to_string(bots),
                                 "--games", std::to_string(games), "--think-ms", std::to_string(think_ms), "--seed",
                                 "11", "--stall-seconds", "90", "--json"},
        dir_ / "bots.log", dir_ / "bots.json");
  }

  // The metrics page once `rooms` rooms play, or after 90 s, or once the bots have ended, whichever comes first.
  std::string wait_for_rooms_playing(double rooms) {
    auto page = metrics_page(admin_);
    for (const auto give_up = std::chrono::steady_clock::now() + 90s;
         rooms_in(page, "playing") < rooms && std::chrono::steady_clock::now() < give_up && bots_->running();) {
      std::this_thread::sleep_for(200ms);
      page = metrics_page(admin_);
    }
    return page;
  }

  json bots_summary() {
    EXPECT_TRUE(bots_->wait_exit(240s)) << "the bots did not finish";
    const auto summary = json::parse(read_text(dir_ / "bots.json"), nullptr, false);
    EXPECT_TRUE(summary.is_object()) << read_text(dir_ / "bots.log");
    std::cout << "bots: " << summary.dump() << "\n";
    return summary.is_object() ? summary : json::object();
  }

  fs::path dir_;
  std::uint16_t players_ = 0, devnode_ = 0, admin_ = 0;
  std::vector<std::string> serve_args_;
  fs::path umpire_key_;
  std::unique_ptr<UmpireProcess> devnode_process_;
  std::unique_ptr<UmpireProcess> serve_;
  std::unique_ptr<UmpireProcess> bots_;
};

TEST_P(CrashTest, KillsDuringPlayLoseNothingAndPayByTheRules) {
  ASSERT_TRUE(start_serve()) << read_text(dir_ / "serve.log");
  start_bots(kBots, kGames, 100);
  // The first kill waits for the bots to be in (a slow, sanitized build takes seconds to connect 200 of them, and a
  // bot that finds no server at its first connect gives up).
  for (int i = 0; i < 600 && bots_->running(); ++i) {
    if (sample(metrics_page(admin_), "umpire_players_connected") >= kBots) break;
    std::this_thread::sleep_for(100ms);
  }

  // SIGKILL at random moments; what the rooms were doing at each kill is read from /metrics just before it. Every
  // other kill is aimed: after its random pause it waits (up to 3 s) for a room to be proposing, opening or
  // closing, the phases where money moves and which last only a round trip or two, so random moments alone can
  // miss them in all twelve kills.
  std::mt19937 random(20261201u + static_cast<unsigned>(GetParam()));
  std::map<std::string, unsigned> kills_during;
  const auto money_moving = [](const std::string& page) {
    return rooms_in(page, "proposing") + rooms_in(page, "opening") + rooms_in(page, "closing") > 0;
  };
  unsigned kills = 0;
  for (; kills < kKills && bots_->running(); ++kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 1500)(random)));
    auto page = metrics_page(admin_);
    const auto aim_until = std::chrono::steady_clock::now() + 3s;
    while (kills % 2 == 1 && !money_moving(page) && std::chrono::steady_clock::now() < aim_until) {
      page = metrics_page(admin_);
    }
    for (const char* state : {"proposing", "opening", "playing", "closing"}) {
      if (rooms_in(page, state) > 0) ++kills_during[state];
    }
    if (sample(page, "umpire_checkpoints_total") > 0) ++kills_during["after_checkpoints"];
    serve_->signal(SIGKILL);
    ASSERT_TRUE(serve_->wait_exit(10s));
    ASSERT_TRUE(start_serve()) << "restart " << kills + 1 << " failed:\n" << read_text(dir_ / "serve.log");
  }
  EXPECT_GE(kills, 10u) << "the bots finished before ten kills";
  for (const auto& [state, count] : kills_during) std::cout << "kills with rooms " << state << ": " << count << "\n";
  // Which of the money-moving phases the kills hit is still luck (a proposal lasts milliseconds), so only one of
  // them is required; RestartDuringTheProposal (game flow) covers a proposal cut off for sure.
  EXPECT_GT(kills_during["playing"], 0u);
  EXPECT_GT(kills_during["proposing"] + kills_during["opening"] + kills_during["closing"], 0u);

  const auto summary = bots_summary();
  ASSERT_TRUE(summary.is_object());
  EXPECT_EQ(summary["wrong_payouts"], 0) << summary.dump();
  EXPECT_GE(summary["games_completed"].get<unsigned>(), kGames / 2) << summary.dump();

  verify_books(kGames / 2);

  // A graceful stop still exits 0 after all this.
  serve_->signal(SIGTERM);
  ASSERT_TRUE(serve_->wait_exit(30s));
  EXPECT_EQ(serve_->status(), 0);
}

// Issue 8's drain: SIGTERM while 50 games are being played slowly stops new games, lets the drain timeout (5 s)
// run, checkpoints the rest and exits 0; the next start resumes them and the bots finish them.
TEST_P(CrashTest, SigtermDrainsExitsZeroAndTheNextStartResumesTheRest) {
  ASSERT_TRUE(start_serve()) << read_text(dir_ / "serve.log");
  start_bots(100, 50, 1500);  // ~9 s a game: they are still running when the 5 s drain timeout ends
  // Until games are being played (a fixed 3 s was not enough on a fresh CI machine under ASan: 100 bots were
  // logged in but no session had opened yet), then SIGTERM with most of them mid-game.
  const auto before = wait_for_rooms_playing(20);
  ASSERT_GT(rooms_in(before, "playing"), 0) << before;
  serve_->signal(SIGTERM);
  ASSERT_TRUE(serve_->wait_exit(30s)) << "serve did not finish its drain";
  EXPECT_EQ(serve_->status(), 0) << read_text(dir_ / "serve.log");
  const auto log = read_text(dir_ / "serve.log");
  EXPECT_NE(log.find("event=draining"), std::string::npos);
  ASSERT_TRUE(start_serve()) << read_text(dir_ / "serve.log");
  const auto summary = bots_summary();
  EXPECT_EQ(summary["wrong_payouts"], 0) << summary.dump();
  verify_books(40);
  const auto after = read_text(dir_ / "serve.log");
  EXPECT_NE(after.find("end=resumed"), std::string::npos) << "the second start resumed no game";
  serve_->signal(SIGTERM);
  ASSERT_TRUE(serve_->wait_exit(30s));
  EXPECT_EQ(serve_->status(), 0);
}

// SIGTERM while the ClearNode is gone: the final checkpoints cannot be confirmed, and the stop must still end
// within a bound (the drain's 5 s, then the final checkpoints side by side, each failing at its call timeouts)
// rather than one call timeout per room in turn (20 to 50 rooms: 3 to 8 minutes, as it was).
// Nothing is lost: with the node back, the next start resumes the games from the journal and the books balance.
TEST_P(CrashTest, SigtermWithTheClearNodeDownStillEndsAndTheNextStartResumes) {
  if (GetParam() != Backend::external_devnode) GTEST_SKIP() << "the embedded devnode stops with the server";
  ASSERT_TRUE(start_serve()) << read_text(dir_ / "serve.log");
  start_bots(100, 50, 4000);  // 20-36 s a game: they are still being played when the drain ends
  // Until all 50 rooms play: a room still proposing when the node goes is aborted with nothing locked, and the
  // draining server starts no other (in a clean-clone CI run under ASan, 15 of the 50 were, at 20 playing).
  const auto before = wait_for_rooms_playing(50);
  const auto playing = static_cast<std::size_t>(rooms_in(before, "playing"));
  ASSERT_GE(playing, 40u) << before;
  devnode_process_->signal(SIGKILL);
  ASSERT_TRUE(devnode_process_->wait_exit(10s));
  serve_->signal(SIGTERM);
  ASSERT_TRUE(serve_->wait_exit(60s)) << "serve did not end its stop with the ClearNode down";
  EXPECT_EQ(serve_->status(), 0) << read_text(dir_ / "serve.log");
  const auto log = read_text(dir_ / "serve.log");
  EXPECT_NE(log.find("event=checkpoint_failed"), std::string::npos) << "no final checkpoint was tried:\n" << log;

  ASSERT_TRUE(start_devnode()) << read_text(dir_ / "devnode.log");
  ASSERT_TRUE(start_serve()) << read_text(dir_ / "serve.log");
  const auto summary = bots_summary();
  EXPECT_EQ(summary["wrong_payouts"], 0) << summary.dump();
  verify_books(playing);  // every room that was playing is closed in the end, by its game or by a forfeit
  EXPECT_NE(read_text(dir_ / "serve.log").find("end=resumed"), std::string::npos) << "the second start resumed no game";
  serve_->signal(SIGTERM);
  ASSERT_TRUE(serve_->wait_exit(30s));
  EXPECT_EQ(serve_->status(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest,
                         ::testing::Values(Backend::external_devnode, Backend::embedded_devnode),
                         [](const auto& info) {
                           return info.param == Backend::external_devnode ? std::string("ExternalDevnode")
                                                                          : std::string("EmbeddedDevnodeDb");
                         });

}  // namespace
}  // namespace umpire::testing
