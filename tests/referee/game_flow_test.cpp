// tests/referee/game_flow_test.cpp — issue 5's "what it must show", end to end: a whole `umpire serve` in-process
// on the embedded devnode, players on the C++ client library, balances read back from the devnode through the
// production connector. Every game ends with the exact payout and rake at the devnode and its audit balanced.
#include <sqlite3.h>

#include "server_harness.hpp"
#include "support/metrics_page.hpp"

namespace umpire::testing {
namespace {

using Moves = std::vector<std::pair<unsigned, std::string>>;  // (seat, move)

v1::ClientMessage join_type(const std::string& type) {
  v1::ClientMessage message;
  message.mutable_join_room()->set_room_type(type);
  return message;
}

v1::ClientMessage move_message(const std::string& room, const std::string& move, std::uint64_t expected_seq) {
  v1::ClientMessage message;
  auto* body = message.mutable_move();
  body->set_room_id(room);
  body->set_move(move);
  body->set_expected_seq(expected_seq);
  return message;
}

v1::ClientMessage sign_message(const v1::SessionProposal& proposal, const crypto::Signer& signer,
                               std::string_view bytes) {
  v1::ClientMessage message;
  auto* body = message.mutable_sign_proposal();
  body->set_room_id(proposal.room_id());
  body->set_app_session_id(proposal.summary().app_session_id());
  body->set_signature(crypto::sign_rpc_payload(signer, bytes).to_hex());
  return message;
}

// Braced lists inside coroutine bodies trip GCC 12 ("array used as initializer"), so the tests' data lives here.
std::array<Player*, 2> both(Player& a, Player& b) { return {&a, &b}; }
Moves one_move(unsigned seat, std::string move) { return {{seat, std::move(move)}}; }
const Moves kTicTacToeSeatOneWins = {{0, "0"}, {1, "3"}, {0, "1"}, {1, "4"}, {0, "8"}, {1, "5"}};
const Moves kCentreThenCorner = {{0, "4"}, {1, "0"}};
const Moves kAfterResume = {{0, "2"}, {1, "6"}, {0, "3"}, {1, "5"}, {0, "1"}, {1, "8"}, {0, "7"}};
const Moves kAfterBadMoves = {{1, "0"}, {0, "2"}, {1, "6"}, {0, "3"}, {1, "5"}, {0, "1"}, {1, "8"}, {0, "7"}};
std::vector<std::pair<std::string, std::string>> quick_games_and_first_moves() {
  return {{"ttt-quick", "4"}, {"c4-quick", "3"}, {"rps-quick", "rock"}};
}
std::vector<std::string> away_room_types() { return {"ttt-away", "c4-away", "rps-away"}; }

class GameFlow : public ServerHarness {
 protected:
  void configure(cli::ServeConfig& config) override {
    auto quick = room("ttt-quick", "tictactoe");
    quick.turn_time = std::chrono::seconds(1);
    quick.reconnect_window = std::chrono::seconds(1);
    quick.proposal_deadline = std::chrono::seconds(5);
    auto c4_quick = quick;
    c4_quick.id = "c4-quick";
    c4_quick.game = "connect_four";
    auto rps_quick = quick;
    rps_quick.id = "rps-quick";
    rps_quick.game = "rock_paper_scissors";
    auto series = room("series", "tictactoe", 100);
    series.stake = "10";
    series.wager = "0.5";
    config.rooms.push_back(quick);
    config.rooms.push_back(c4_quick);
    config.rooms.push_back(rps_quick);
    // A long turn and a 1 s reconnection window: a drop, not the turn timer, decides.
    for (auto type : {quick, c4_quick, rps_quick}) {
      type.id.replace(type.id.find("-quick"), 6, "-away");
      type.turn_time = std::chrono::seconds(30);
      config.rooms.push_back(type);
    }
    config.rooms.push_back(series);
    auto open_ended = series;  // games_per_session = 0: game after game until a seat leaves between games
    open_ended.id = "series-open";
    open_ended.games_per_session = 0;
    config.rooms.push_back(open_ended);
    config.checkpoint_every_moves = 4;
    config.messages_per_second = 100'000;  // the series test moves as fast as the loopback allows
    config.message_burst = 100'000;
  }

  // Both players join `type` by quick-match and receive the proposal; returns it (as seen by seat 0).
  asio::awaitable<v1::SessionProposal> seat_both(Player& a, Player& b, const std::string& type) {
    const auto joined_a = co_await a.link->call(join_type(type));
    EXPECT_EQ(joined_a.joined().seat(), 0u);
    const auto joined_b = co_await b.link->call(join_type(type));
    EXPECT_EQ(joined_b.joined().seat(), 1u);
    EXPECT_EQ(joined_a.joined().room_id(), joined_b.joined().room_id());
    const auto proposal_a = co_await a.expect(v1::ServerMessage::kSessionProposal);
    const auto proposal_b = co_await b.expect(v1::ServerMessage::kSessionProposal);
    EXPECT_EQ(proposal_a.session_proposal().request_json(), proposal_b.session_proposal().request_json());
    co_return proposal_a.session_proposal();
  }

  // Seats, signs and waits until both have the opening GameState. Returns the room id.
  asio::awaitable<std::string> open_game(Player& a, Player& b, const std::string& type) {
    const auto proposal = co_await seat_both(a, b, type);
    co_await a.send(sign_message(proposal, *a.wallet, proposal.request_json()));
    co_await b.send(sign_message(proposal, *b.wallet, proposal.request_json()));
    for (Player* p : both(a, b)) {
      const auto opened = co_await p->expect(v1::ServerMessage::kSessionOpened);
      EXPECT_EQ(opened.session_opened().app_session_id(), proposal.summary().app_session_id());
      const auto state = co_await p->expect(v1::ServerMessage::kGameState);
      EXPECT_EQ(state.game_state().room_state(), v1::ROOM_STATE_PLAYING);
    }
    co_return proposal.room_id();
  }

  // Plays `moves`; both players see every MoveApplied with consecutive seqs. Returns the last seq.
  asio::awaitable<std::uint64_t> play(std::array<Player*, 2> seats, const std::string& room, const Moves& moves,
                                      std::uint64_t seq = 0) {
    for (const auto& [seat, move] : moves) {
      const auto id = co_await seats[seat]->send(move_message(room, move, seq + 1));
      ++seq;
      for (unsigned s = 0; s < 2; ++s) {
        const auto applied = co_await seats[s]->expect(v1::ServerMessage::kMoveApplied);
        EXPECT_EQ(applied.move_applied().seq(), seq);
        EXPECT_EQ(applied.move_applied().seat(), seat);
        EXPECT_EQ(applied.request_id(), s == seat ? id : 0u);
      }
    }
    co_return seq;
  }

  // Both players see GameOver with `outcome` and then SessionClosed; returns the closing allocations.
  asio::awaitable<v1::SessionClosed> finish(std::array<Player*, 2> seats, v1::Outcome outcome) {
    v1::SessionClosed closed;
    for (auto* p : seats) {
      const auto over = co_await p->expect(v1::ServerMessage::kGameOver);
      EXPECT_EQ(over.game_over().outcome(), outcome);
      closed = (co_await p->expect(v1::ServerMessage::kSessionClosed)).session_closed();
    }
    co_return closed;
  }

  // The devnode's balances after a one-game room with stake 1 and 1% rake, from 10 each.
  asio::awaitable<void> expect_balances(Player& a, Player& b, const std::string& a_balance,
                                        const std::string& b_balance, const std::string& umpire_balance) {
    EXPECT_EQ(co_await balance(a.wallet), dec(a_balance));
    EXPECT_EQ(co_await balance(b.wallet), dec(b_balance));
    EXPECT_EQ(co_await balance(umpire_wallet), dec(umpire_balance));
    EXPECT_TRUE(co_await audit_balanced());
  }

  asio::awaitable<void> play_and_settle(const std::string& type, Moves moves, v1::Outcome outcome,
                                        const std::string& a_after, const std::string& b_after) {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto room = co_await open_game(*a, *b, type);
    EXPECT_EQ(co_await balance(a->wallet), dec("9"));  // the stake is locked in the app session
    co_await play(both(*a, *b), room, moves);
    const auto closed = co_await finish(both(*a, *b), outcome);
    EXPECT_EQ(closed.allocations_size(), 3);
    co_await expect_balances(*a, *b, a_after, b_after, "0.02");
  }
};

const Moves kTicTacToeWin = {{0, "0"}, {1, "3"}, {0, "1"}, {1, "4"}, {0, "2"}};
const Moves kTicTacToeDraw = {{0, "0"}, {1, "1"}, {0, "2"}, {1, "4"}, {0, "3"},
                              {1, "5"}, {0, "7"}, {1, "6"}, {0, "8"}};

Moves connect_four_draw() {
  const int columns[] = {0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 2, 3, 2, 3, 2, 3, 3, 2, 3,
                         2, 3, 2, 4, 5, 4, 5, 4, 5, 5, 4, 5, 4, 5, 4, 6, 6, 6, 6, 6, 6};
  Moves moves;
  unsigned seat = 0;
  for (int column : columns) {
    moves.push_back({seat, std::to_string(column)});
    seat = 1 - seat;
  }
  return moves;
}

Moves rps_rounds(const std::vector<std::pair<std::string, std::string>>& rounds) {
  Moves moves;
  for (const auto& [first, second] : rounds) {
    moves.push_back({0, first});
    moves.push_back({1, second});
  }
  return moves;
}
const Moves kPaperBeatsRock = rps_rounds({{"paper", "rock"}});

TEST_F(GameFlow, TicTacToeWinPaysThePotLessTheRake) {
  run(play_and_settle("ttt", kTicTacToeWin, v1::OUTCOME_WIN, "10.98", "9"));
}

TEST_F(GameFlow, TheCloseIsNotPrecededByACheckpointOfItsOwn) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto room = co_await open_game(*a, *b, "ttt");
    co_await play(both(*a, *b), room, kTicTacToeWin);
    const auto closed = co_await finish(both(*a, *b), v1::OUTCOME_WIN);
    const auto session = co_await app_session(closed.app_session_id());
    EXPECT_TRUE(session.has_value());
    if (!session) co_return;
    EXPECT_EQ(session->status, "closed");
    // Version 1 at the create, 2 at the checkpoint after move 4 (every 4 moves here), 3 at the close, which
    // carries the final allocations itself: a checkpoint just before it would make it 4.
    EXPECT_EQ(session->version, 3u);
  }());
}

TEST_F(GameFlow, TicTacToeDrawReturnsTheStakesLessTheRake) {
  run(play_and_settle("ttt", kTicTacToeDraw, v1::OUTCOME_DRAW, "9.99", "9.99"));
}

TEST_F(GameFlow, ConnectFourWin) {
  run(play_and_settle("c4", {{0, "0"}, {1, "1"}, {0, "0"}, {1, "1"}, {0, "0"}, {1, "1"}, {0, "0"}}, v1::OUTCOME_WIN,
                      "10.98", "9"));
}

TEST_F(GameFlow, ConnectFourDraw) { run(play_and_settle("c4", connect_four_draw(), v1::OUTCOME_DRAW, "9.99", "9.99")); }

TEST_F(GameFlow, RockPaperScissorsWinAndHiddenMoves) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto room = co_await open_game(*a, *b, "rps");
    // Seat 0's move is hidden from seat 1 until seat 1 has moved.
    co_await a->send(move_message(room, "rock", 1));
    const auto own = co_await a->expect(v1::ServerMessage::kMoveApplied);
    EXPECT_EQ(own.move_applied().move(), "rock");
    const auto seen = co_await b->expect(v1::ServerMessage::kMoveApplied);
    EXPECT_EQ(seen.move_applied().move(), "");
    co_await b->send(move_message(room, "scissors", 2));
    co_await a->expect(v1::ServerMessage::kMoveApplied);
    co_await b->expect(v1::ServerMessage::kMoveApplied);
    co_await play(both(*a, *b), room, kPaperBeatsRock, 2);
    co_await finish(both(*a, *b), v1::OUTCOME_WIN);
    co_await expect_balances(*a, *b, "10.98", "9", "0.02");
  }());
}

TEST_F(GameFlow, RockPaperScissorsNineDrawnRoundsDraw) {
  std::vector<std::pair<std::string, std::string>> rounds(9, {"rock", "rock"});
  run(play_and_settle("rps", rps_rounds(rounds), v1::OUTCOME_DRAW, "9.99", "9.99"));
}

TEST_F(GameFlow, TurnTimeoutForfeitsForEveryGame) {
  run([this]() -> asio::awaitable<void> {
    for (const auto& [type, first] : quick_games_and_first_moves()) {
      auto a = co_await new_player();
      auto b = co_await new_player();
      const auto room = co_await open_game(*a, *b, type);
      co_await play(both(*a, *b), room, one_move(0, first));
      // Seat 1 lets its turn run out (1 s): seat 0 wins by forfeit.
      for (auto* p : both(*a, *b)) {
        const auto over = co_await p->expect(v1::ServerMessage::kGameOver);
        EXPECT_EQ(over.game_over().outcome(), v1::OUTCOME_FORFEIT) << type;
        EXPECT_EQ(over.game_over().forfeiting_seat(), 1u) << type;
        EXPECT_EQ(over.game_over().winner_seat(), 0u) << type;
        co_await p->expect(v1::ServerMessage::kSessionClosed);
      }
      EXPECT_EQ(co_await balance(a->wallet), dec("10.98")) << type;
      EXPECT_EQ(co_await balance(b->wallet), dec("9")) << type;
    }
    EXPECT_EQ(co_await balance(umpire_wallet), dec("0.06"));
    EXPECT_TRUE(co_await audit_balanced());
  }());
}

TEST_F(GameFlow, DisconnectPastTheWindowForfeitsForEveryGame) {
  run([this]() -> asio::awaitable<void> {
    for (const auto& type : away_room_types()) {
      auto a = co_await new_player();
      auto b = co_await new_player();
      co_await open_game(*a, *b, type);
      // Seat 0 (whose turn it is) drops and does not come back within 1 s.
      a->link->socket().abort();
      const auto away = co_await b->expect(v1::ServerMessage::kServerNotice);
      EXPECT_EQ(away.server_notice().kind(), v1::NOTICE_KIND_OPPONENT_AWAY);
      const auto over = co_await b->expect(v1::ServerMessage::kGameOver);
      EXPECT_EQ(over.game_over().outcome(), v1::OUTCOME_FORFEIT) << type;
      EXPECT_EQ(over.game_over().forfeiting_seat(), 0u) << type;
      co_await b->expect(v1::ServerMessage::kSessionClosed);
      EXPECT_EQ(co_await balance(a->wallet), dec("9")) << type;
      EXPECT_EQ(co_await balance(b->wallet), dec("10.98")) << type;
      // Coming back now is too late.
      co_await a->connect(server->player_url());
      v1::ClientMessage resume;
      resume.mutable_resume()->set_room_id(over.game_over().room_id());
      co_await a->send(resume);
      const auto refused = co_await a->expect(v1::ServerMessage::kError);
      EXPECT_EQ(refused.error().code(), v1::RECONNECT_WINDOW_PASSED);
    }
    EXPECT_EQ(co_await balance(umpire_wallet), dec("0.06"));
    EXPECT_TRUE(co_await audit_balanced());
  }());
}

TEST_F(GameFlow, ReconnectWithinTheWindowResumesWithTheFullState) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto room = co_await open_game(*a, *b, "ttt");
    auto seq = co_await play(both(*a, *b), room, kCentreThenCorner);
    b->link->socket().abort();
    co_await a->expect(v1::ServerMessage::kServerNotice);
    const auto login = co_await b->connect(server->player_url());
    EXPECT_EQ(login.seated_room_ids_size(), 1);  // LoginOk names the room to resume
    if (login.seated_room_ids_size() == 1) EXPECT_EQ(login.seated_room_ids(0), room);
    v1::ClientMessage resume;
    resume.mutable_resume()->set_room_id(room);
    const auto state = co_await b->link->call(resume);
    EXPECT_EQ(state.game_state().seq(), seq);
    EXPECT_EQ(state.game_state().state(), "O...X....|0");
    EXPECT_EQ(state.game_state().your_seat(), 1u);
    EXPECT_EQ(state.game_state().app_session_id().size(), 66u);
    const auto back = co_await a->expect(v1::ServerMessage::kServerNotice);
    EXPECT_EQ(back.server_notice().kind(), v1::NOTICE_KIND_OPPONENT_BACK);
    seq = co_await play(both(*a, *b), room, kAfterResume, seq);
    co_await finish(both(*a, *b), v1::OUTCOME_WIN);
    co_await expect_balances(*a, *b, "10.98", "9", "0.02");
  }());
}

// ---- restarts: the journal brings the game back ---------------------------------------------------------------

TEST_F(GameFlow, RestartMidGameResumesFromTheJournalAndPaysByTheRules) {
  std::unique_ptr<Player> a, b;
  std::string room;
  std::uint64_t seq = 0;
  run([&]() -> asio::awaitable<void> {
    a = co_await new_player();
    b = co_await new_player();
    room = co_await open_game(*a, *b, "ttt");
    seq = co_await play(both(*a, *b), room, kCentreThenCorner);
  }());
  // Every connection goes with the old server; the new one recovers the room from the journal.
  restart();
  run([&]() -> asio::awaitable<void> {
    for (Player* p : both(*a, *b)) {
      const auto login = co_await p->connect(server->player_url());
      EXPECT_EQ(login.seated_room_ids_size(), 1);  // LoginOk names the recovered room
      v1::ClientMessage resume;
      resume.mutable_resume()->set_room_id(room);
      const auto state = co_await p->link->call(resume);
      EXPECT_EQ(state.game_state().room_state(), v1::ROOM_STATE_PLAYING);
      EXPECT_EQ(state.game_state().seq(), seq);
      EXPECT_EQ(state.game_state().state(), "O...X....|0");  // both journaled moves replayed
      EXPECT_EQ(state.game_state().balances_size(), 3);
    }
    EXPECT_EQ(co_await balance(a->wallet), dec("9"));  // still locked in the same app session
    co_await play(both(*a, *b), room, kAfterResume, seq);
    const auto closed = co_await finish(both(*a, *b), v1::OUTCOME_WIN);
    EXPECT_EQ(closed.allocations(0).amount(), "1.98");
    co_await expect_balances(*a, *b, "10.98", "9", "0.02");
  }());
}

TEST_F(GameFlow, RestartThatNeitherPlayerComesBackFromIsADraw) {
  // The recovered room gives both seats the same reconnection window (1 s here). Neither comes back: nobody stayed
  // to win, so the stakes go back less the rake, instead of seat 1 winning because seat 0 is numbered first.
  std::unique_ptr<Player> a, b;
  std::string room;
  run([&]() -> asio::awaitable<void> {
    a = co_await new_player();
    b = co_await new_player();
    room = co_await open_game(*a, *b, "ttt-away");
    co_await play(both(*a, *b), room, kCentreThenCorner);
  }());
  restart();
  run([&]() -> asio::awaitable<void> {
    asio::steady_timer pause(co_await asio::this_coro::executor);
    for (int i = 0; i < 100; ++i) {  // the window, then the close: about 1 s
      const auto still_locked = co_await balance(a->wallet);
      if (still_locked != dec("9")) break;
      pause.expires_after(100ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    co_await expect_balances(*a, *b, "9.99", "9.99", "0.02");
    for (Player* p : both(*a, *b)) {
      co_await p->connect(server->player_url());
      v1::ClientMessage resume;
      resume.mutable_resume()->set_room_id(room);
      co_await p->send(resume);
      const auto refused = co_await p->expect(v1::ServerMessage::kError);
      EXPECT_EQ(refused.error().code(), v1::RECONNECT_WINDOW_PASSED);
    }
  }());
}

TEST_F(GameFlow, RestartDuringTheProposalEndsItWithNothingLocked) {
  std::unique_ptr<Player> a, b;
  std::string room;
  run([&]() -> asio::awaitable<void> {
    a = co_await new_player();
    b = co_await new_player();
    const auto proposal = co_await seat_both(*a, *b, "ttt");
    room = proposal.room_id();
    co_await a->send(sign_message(proposal, *a->wallet, proposal.request_json()));  // b never signs
  }());
  restart();
  run([&]() -> asio::awaitable<void> {
    const auto login = co_await a->connect(server->player_url());
    EXPECT_EQ(login.seated_room_ids_size(), 0);
    v1::ClientMessage resume;
    resume.mutable_resume()->set_room_id(room);
    co_await a->send(resume);
    const auto refused = co_await a->expect(v1::ServerMessage::kError);
    EXPECT_EQ(refused.error().code(), v1::UNKNOWN_ROOM);
    co_await b->connect(server->player_url());
    co_await expect_balances(*a, *b, "10", "10", "0");
  }());
}

// ---- proposals that go wrong: nothing is locked -------------------------------------------------------------

asio::awaitable<void> expect_aborted(Player& p, v1::ErrorCode reason) {
  const auto aborted = co_await p.expect(v1::ServerMessage::kRoomAborted);
  EXPECT_EQ(aborted.room_aborted().reason(), reason);
  EXPECT_TRUE(aborted.room_aborted().nothing_locked());
}

TEST_F(GameFlow, DecliningAbortsWithNothingLocked) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto proposal = co_await seat_both(*a, *b, "ttt");
    co_await a->send(sign_message(proposal, *a->wallet, proposal.request_json()));
    v1::ClientMessage decline;
    decline.mutable_decline_proposal()->set_room_id(proposal.room_id());
    co_await b->send(decline);
    co_await expect_aborted(*a, v1::PROPOSAL_DECLINED);
    co_await expect_aborted(*b, v1::PROPOSAL_DECLINED);
    co_await expect_balances(*a, *b, "10", "10", "0");
  }());
}

TEST_F(GameFlow, NotSigningInTimeAbortsWithNothingLocked) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto proposal = co_await seat_both(*a, *b, "ttt-quick");  // 5 s to sign
    co_await a->send(sign_message(proposal, *a->wallet, proposal.request_json()));
    co_await expect_aborted(*a, v1::PROPOSAL_EXPIRED);
    co_await expect_aborted(*b, v1::PROPOSAL_EXPIRED);
    co_await expect_balances(*a, *b, "10", "10", "0");
  }());
}

TEST_F(GameFlow, SigningOtherBytesAbortsWithNothingLocked) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto proposal = co_await seat_both(*a, *b, "ttt");
    co_await a->send(sign_message(proposal, *a->wallet, proposal.request_json()));
    std::string tampered = proposal.request_json();
    tampered.replace(tampered.find("\"amount\":\"1\""), 12, "\"amount\":\"0\"");
    co_await b->send(sign_message(proposal, *b->wallet, tampered));
    const auto error = co_await b->expect(v1::ServerMessage::kError);
    EXPECT_EQ(error.error().code(), v1::BAD_PROPOSAL_SIGNATURE);
    co_await expect_aborted(*a, v1::BAD_PROPOSAL_SIGNATURE);
    co_await expect_aborted(*b, v1::BAD_PROPOSAL_SIGNATURE);
    co_await expect_balances(*a, *b, "10", "10", "0");
  }());
}

TEST_F(GameFlow, SigningWithAnotherKeyAbortsWithNothingLocked) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto proposal = co_await seat_both(*a, *b, "ttt");
    const crypto::KeySigner stranger(crypto::PrivateKey::generate());
    co_await a->send(sign_message(proposal, stranger, proposal.request_json()));
    const auto error = co_await a->expect(v1::ServerMessage::kError);
    EXPECT_EQ(error.error().code(), v1::BAD_PROPOSAL_SIGNATURE);
    co_await expect_aborted(*a, v1::BAD_PROPOSAL_SIGNATURE);
    co_await expect_aborted(*b, v1::BAD_PROPOSAL_SIGNATURE);
    co_await expect_balances(*a, *b, "10", "10", "0");
  }());
}

TEST_F(GameFlow, InsufficientFundsAbortsWithNothingLocked) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player("0.5");  // cannot cover the stake of 1
    const auto proposal = co_await seat_both(*a, *b, "ttt");
    co_await a->send(sign_message(proposal, *a->wallet, proposal.request_json()));
    co_await b->send(sign_message(proposal, *b->wallet, proposal.request_json()));
    co_await expect_aborted(*a, v1::INSUFFICIENT_FUNDS);
    co_await expect_aborted(*b, v1::INSUFFICIENT_FUNDS);
    co_await expect_balances(*a, *b, "10", "0.5", "0");
  }());
}

// The journal cannot record the create intent (another process holds its write lock past the 5 s busy timeout):
// the session is never created, so no stake is locked where no journal could close it, the room says why, and
// /readyz says the journal is not writable until a commit succeeds again.
class GameFlowWithAdmin : public GameFlow {
 protected:
  void configure(cli::ServeConfig& config) override {
    GameFlow::configure(config);
    config.admin_listen = cli::HostPort{"127.0.0.1", 0};
  }
  std::string readyz() { return http_get(server->admin_endpoint()->port(), "/readyz"); }
};

TEST_F(GameFlowWithAdmin, AJournalThatCannotRecordTheCreateAbortsWithNothingLocked) {
  EXPECT_NE(readyz().find(" 200 "), std::string::npos) << readyz();
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open((state_dir / "journal.db").c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  run([this, holder]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto proposal = co_await seat_both(*a, *b, "ttt");
    co_await a->send(sign_message(proposal, *a->wallet, proposal.request_json()));
    co_await b->send(sign_message(proposal, *b->wallet, proposal.request_json()));
    co_await expect_aborted(*a, v1::JOURNAL_UNAVAILABLE);
    co_await expect_aborted(*b, v1::JOURNAL_UNAVAILABLE);
    const auto page = readyz();
    EXPECT_NE(page.find(" 503 "), std::string::npos) << page;
    EXPECT_NE(page.find("the journal is not writable"), std::string::npos) << page;
    sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
    co_await expect_balances(*a, *b, "10", "10", "0");
    // The next game's records commit: ready again.
    const auto next = co_await seat_both(*a, *b, "ttt");
    EXPECT_FALSE(next.request_json().empty());
  }());
  sqlite3_close(holder);
  for (int i = 0; i < 50 && readyz().find(" 200 ") == std::string::npos; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_NE(readyz().find(" 200 "), std::string::npos) << readyz();
}

// A journaled room that cannot be rebuilt (here a move record that does not apply to its board: a damaged file)
// does not stop the start-up or the other rooms. It is counted and logged, left unfinished in the journal (tried
// again at the next start), and its open session is the operator's (`umpire sessions close ID --refund`).
TEST_F(GameFlowWithAdmin, AnUnrecoverableRoomIsReportedAndTheOthersResume) {
  std::unique_ptr<Player> a, b, c, d;
  std::string damaged, healthy;
  std::uint64_t healthy_seq = 0;
  run([&]() -> asio::awaitable<void> {
    a = co_await new_player();
    b = co_await new_player();
    damaged = co_await open_game(*a, *b, "ttt");
    co_await play(both(*a, *b), damaged, kCentreThenCorner);
    c = co_await new_player();
    d = co_await new_player();
    healthy = co_await open_game(*c, *d, "ttt");
    healthy_seq = co_await play(both(*c, *d), healthy, kCentreThenCorner);
  }());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((state_dir / "journal.db").c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  const std::string insert = "INSERT INTO records(room_id, kind, payload, at_unix_ms) VALUES ('" + damaged +
                             "', 'move', '{\"seq\":3,\"seat\":0,\"move\":\"4\",\"game\":1}', 0)";
  ASSERT_EQ(sqlite3_exec(db, insert.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  restart();
  const auto page = metrics_page(server->admin_endpoint()->port());
  EXPECT_EQ(sample(page, "umpire_recovery_failures_total"), 1);
  run([&]() -> asio::awaitable<void> {
    const auto login = co_await a->connect(server->player_url());
    EXPECT_EQ(login.seated_room_ids_size(), 0) << "the damaged room is not offered for resuming";
    EXPECT_EQ(co_await balance(a->wallet), dec("9")) << "its stake stays locked for the operator, not paid wrongly";
    for (Player* p : both(*c, *d)) {
      const auto back = co_await p->connect(server->player_url());
      EXPECT_EQ(back.seated_room_ids_size(), 1);
      v1::ClientMessage resume;
      resume.mutable_resume()->set_room_id(healthy);
      const auto state = co_await p->link->call(resume);
      EXPECT_EQ(state.game_state().seq(), healthy_seq);
    }
    co_await play(both(*c, *d), healthy, kAfterResume, healthy_seq);
    co_await finish(both(*c, *d), v1::OUTCOME_WIN);
  }());
  // Still unfinished in the journal: the next start tries it again, and counts it again.
  restart();
  EXPECT_EQ(sample(metrics_page(server->admin_endpoint()->port()), "umpire_recovery_failures_total"), 1);
}

// A GameState asked for while a game's end is still being made durable (here: the journal is slow, another
// process holds its write lock) shows the balances as they stood before the game: the result is nobody's until the
// GameOver goes out. It used to show the payout already applied to a game still marked as playing.
TEST_F(GameFlowWithAdmin, AGameStateBeforeTheGameOverShowsTheBalancesBeforeTheResult) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto room = co_await open_game(*a, *b, "ttt");
    const Moves all_but_last(kTicTacToeWin.begin(), kTicTacToeWin.end() - 1);
    const auto seq = co_await play(both(*a, *b), room, all_but_last);
    sqlite3* holder = nullptr;
    EXPECT_EQ(sqlite3_open((state_dir / "journal.db").c_str(), &holder), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    // The winning move: its record waits out the lock (5 s) and fails, so it is relayed loudly; the game_over
    // record then waits in its turn, and meanwhile b asks for the state.
    co_await a->send(move_message(room, kTicTacToeWin.back().second, seq + 1));
    co_await b->expect(v1::ServerMessage::kMoveApplied);
    v1::ClientMessage get;
    get.mutable_get_game_state()->set_room_id(room);
    const auto state = (co_await b->link->call(get)).game_state();
    sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(holder);
    EXPECT_EQ(state.room_state(), v1::ROOM_STATE_PLAYING);
    EXPECT_EQ(state.balances_size(), 3);
    for (const auto& balance : state.balances()) {
      EXPECT_EQ(balance.amount(), balance.participant() == umpire_wallet->address().checksum() ? "0" : "1")
          << balance.participant();
    }
    for (auto* p : both(*a, *b)) {
      const auto over = (co_await p->expect(v1::ServerMessage::kGameOver)).game_over();
      EXPECT_EQ(over.outcome(), v1::OUTCOME_WIN);
    }
    co_await b->expect(v1::ServerMessage::kSessionClosed);
    co_await expect_balances(*a, *b, "10.98", "9", "0.02");
  }());
}

// ---- bad moves: an error to the sender only; the game goes on -------------------------------------------------

TEST_F(GameFlow, BadMovesGetAnErrorToTheSenderOnlyAndTheGameGoesOn) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player();
    auto b = co_await new_player();
    const auto room = co_await open_game(*a, *b, "ttt");
    auto refused = [&](Player& p, v1::ClientMessage message, v1::ErrorCode code) -> asio::awaitable<void> {
      try {
        co_await p.link->call(std::move(message));
        ADD_FAILURE() << "accepted a bad move; expected " << v1::ErrorCode_Name(code);
      } catch (const client::ServerError& error) {
        EXPECT_EQ(error.code, code);
      }
    };
    co_await refused(*b, move_message(room, "4", 1), v1::NOT_YOUR_TURN);  // out of turn
    co_await refused(*a, move_message(room, "9", 1), v1::MALFORMED_MOVE);  // off the board: not a cell
    co_await refused(*a, move_message(room, "e4", 1), v1::MALFORMED_MOVE);
    co_await refused(*a, move_message(room, std::string(200, '1'), 1), v1::MALFORMED_MOVE);  // oversized move
    co_await play(both(*a, *b), room, one_move(0, "4"));
    co_await refused(*a, move_message(room, "4", 1), v1::STALE_SEQUENCE);   // replayed
    co_await refused(*b, move_message(room, "4", 2), v1::ILLEGAL_MOVE);     // taken cell
    v1::ClientMessage spectate;
    spectate.mutable_spectate()->set_room_id(room);
    auto watcher = co_await new_player("");
    co_await watcher->link->call(spectate);
    co_await refused(*watcher, move_message(room, "0", 2), v1::NOT_SEATED);
    // An oversized frame closes only the sender's connection; it resumes and the game goes on.
    co_await b->link->socket().write(std::string(17 * 1024, 'x'));  // the limit is 16 KiB
    const auto too_large = co_await b->expect(v1::ServerMessage::kError);
    EXPECT_EQ(too_large.error().code(), v1::FRAME_TOO_LARGE);
    co_await b->connect(server->player_url());
    v1::ClientMessage resume;
    resume.mutable_resume()->set_room_id(room);
    co_await b->link->call(resume);
    // The other player saw none of these errors: its next messages are the opponent's away/back notices and moves.
    const auto seq = co_await play(both(*a, *b), room, kAfterBadMoves, 1);
    EXPECT_EQ(seq, 9u);
    for (const auto& message : a->skipped) EXPECT_FALSE(message.has_error()) << message.DebugString();
    co_await finish(both(*a, *b), v1::OUTCOME_WIN);
    co_await expect_balances(*a, *b, "10.98", "9", "0.02");
  }());
}

// ---- a series table ---------------------------------------------------------------------------------------------

TEST_F(GameFlow, SeriesTablePlaysAHundredGamesInOneSession) {
  run(
      [this]() -> asio::awaitable<void> {
        auto a = co_await new_player("20");
        auto b = co_await new_player("20");
        const auto room = co_await open_game(*a, *b, "series");
        // Seat 0 wins games 1, 4, 7, …; seat 1 wins 2, 5, 8, …; 3, 6, 9, … are draws. Each game wagers 0.5 a seat
        // with 1% rake on the 1.0 pot: a win moves 0.49 to the winner, a draw costs each seat 0.005.
        std::uint64_t seq = 0;
        std::string app_session;
        for (int game = 1; game <= 100; ++game) {
          const int kind = (game - 1) % 3;
          if (game > 1) {
            for (auto* p : both(*a, *b)) co_await p->expect(v1::ServerMessage::kGameState);
          }
          const Moves moves = kind == 0   ? kTicTacToeWin
                              : kind == 1 ? kTicTacToeSeatOneWins
                                          : kTicTacToeDraw;
          seq = co_await play(both(*a, *b), room, moves, seq);
          for (auto* p : both(*a, *b)) {
            const auto over = co_await p->expect(v1::ServerMessage::kGameOver);
            EXPECT_EQ(over.game_over().game_number(), static_cast<unsigned>(game));
            EXPECT_EQ(over.game_over().series_continues(), game < 100);
            const auto progress = co_await p->expect(v1::ServerMessage::kSeriesProgress);
            EXPECT_EQ(progress.series_progress().games_played(), static_cast<unsigned>(game));
          }
        }
        // 34 wins for seat 0, 33 for seat 1, 33 draws: seat 0 = 10 + 34×0.49 − 33×0.5 − 33×0.005 = 9.995;
        // seat 1 = 10 + 33×0.49 − 34×0.5 − 33×0.005 = 9.005; Umpire = 67×0.01 + 33×0.01 = 1.
        const auto closed = (co_await a->expect(v1::ServerMessage::kSessionClosed)).session_closed();
        EXPECT_EQ(closed.allocations(0).amount(), "9.995");
        EXPECT_EQ(closed.allocations(1).amount(), "9.005");
        EXPECT_EQ(closed.allocations(2).amount(), "1");
        EXPECT_EQ(co_await balance(a->wallet), dec("19.995"));
        // The allocations were checkpointed after each game (and every 4 moves): at least 99 submissions.
        const auto checkpoints = std::count_if(a->skipped.begin(), a->skipped.end(),
                                               [](const auto& m) { return m.has_state_checkpointed(); });
        EXPECT_GE(checkpoints, 99);
        EXPECT_EQ(co_await balance(b->wallet), dec("19.005"));
        EXPECT_EQ(co_await balance(umpire_wallet), dec("1"));
        EXPECT_TRUE(co_await audit_balanced());
      }(),
      std::chrono::seconds(240));
}

TEST_F(GameFlow, OpenEndedSeriesGoesOnUntilASeatLeavesBetweenGames) {
  run([this]() -> asio::awaitable<void> {
    auto a = co_await new_player("20");
    auto b = co_await new_player("20");
    const auto room = co_await open_game(*a, *b, "series-open");
    std::uint64_t seq = 0;
    const std::array<Moves, 2> games = {kTicTacToeWin, kTicTacToeDraw};
    for (unsigned game = 1; game <= games.size(); ++game) {
      if (game > 1) {
        for (auto* p : both(*a, *b)) co_await p->expect(v1::ServerMessage::kGameState);
      }
      seq = co_await play(both(*a, *b), room, games[game - 1], seq);
      for (auto* p : both(*a, *b)) {
        const auto over = co_await p->expect(v1::ServerMessage::kGameOver);
        EXPECT_TRUE(over.game_over().series_continues()) << "no game limit: the series goes on";
        const auto progress = co_await p->expect(v1::ServerMessage::kSeriesProgress);
        EXPECT_EQ(progress.series_progress().games_played(), game);
        EXPECT_EQ(progress.series_progress().games_total(), 0u);
      }
    }
    for (auto* p : both(*a, *b)) co_await p->expect(v1::ServerMessage::kGameState);  // game 3 is set up
    // Leaving before game 3's first move ends the series: no forfeit, the balances as they stand are paid.
    v1::ClientMessage leave;
    leave.mutable_leave_room()->set_room_id(room);
    co_await a->link->call(leave);
    // Game 1: seat 0 wins 0.49 (0.5 wagered a seat, 1% of the 1.0 pot raked); game 2, a draw: 0.005 each.
    const auto closed = (co_await b->expect(v1::ServerMessage::kSessionClosed)).session_closed();
    EXPECT_EQ(closed.allocations_size(), 3);
    if (closed.allocations_size() == 3) {
      EXPECT_EQ(closed.allocations(0).amount(), "10.485");
      EXPECT_EQ(closed.allocations(1).amount(), "9.495");
      EXPECT_EQ(closed.allocations(2).amount(), "0.02");
    }
    EXPECT_EQ(co_await balance(a->wallet), dec("20.485"));
    EXPECT_EQ(co_await balance(b->wallet), dec("19.495"));
    EXPECT_EQ(co_await balance(umpire_wallet), dec("0.02"));
  }());
}

// Both event loops are sampled for lag by default, and `loop_lag_sample_ms = 0` turns the sampling off entirely
// (no probe, no series), as deploy/umpire.toml says.
TEST_F(GameFlow, BothLoopsAreSampledForLagByDefault) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  const auto sampled = [this](const std::string& loop) {
    const std::string text = server->metrics().render();
    const std::string series = "umpire_event_loop_lag_seconds_count{loop=\"" + loop + "\"} ";
    const auto at = text.find(series);
    return at != std::string::npos && text.compare(at + series.size(), 2, "0\n") != 0;
  };
  while (!(sampled("players") && sampled("clearnode")) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(sampled("players"));
  EXPECT_TRUE(sampled("clearnode"));
}

class GameFlowWithoutLoopLag : public GameFlow {
 protected:
  void configure(cli::ServeConfig& config) override {
    GameFlow::configure(config);
    config.loop_lag_sample = std::chrono::milliseconds(0);
  }
};

TEST_F(GameFlowWithoutLoopLag, NoLoopIsSampled) {
  std::this_thread::sleep_for(100ms);  // ten default periods
  EXPECT_EQ(server->metrics().render().find("umpire_event_loop_lag_seconds"), std::string::npos);
}

}  // namespace
}  // namespace umpire::testing
