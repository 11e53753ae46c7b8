// bots/bot.cpp — see the header. Messages are built by plain helper functions rather than inside the coroutines
// (GCC 12 mis-compiles some braced initialisers in coroutine bodies).
#include "bots/bot.hpp"

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "rooms/bot.hpp"

namespace umpire::bots {
namespace {

using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

std::uint64_t micros_since(Clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

// SplitMix64 finalizer: spreads (seed, bot, game, seq) into an independent-looking move seed.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

v1::ClientMessage join_message(const std::string& room_type) {
  v1::ClientMessage message;
  message.mutable_join_room()->set_room_type(room_type);
  return message;
}

v1::ClientMessage leave_message(const std::string& room_id) {
  v1::ClientMessage message;
  message.mutable_leave_room()->set_room_id(room_id);
  return message;
}

v1::ClientMessage resume_message(const std::string& room_id) {
  v1::ClientMessage message;
  message.mutable_resume()->set_room_id(room_id);
  return message;
}

v1::ClientMessage state_message(const std::string& room_id) {
  v1::ClientMessage message;
  message.mutable_get_game_state()->set_room_id(room_id);
  return message;
}

v1::ClientMessage move_message(const std::string& room_id, const std::string& move, std::uint64_t expected_seq) {
  v1::ClientMessage message;
  auto* body = message.mutable_move();
  body->set_room_id(room_id);
  body->set_move(move);
  body->set_expected_seq(expected_seq);
  return message;
}

// Allocations in participant order from a list of protocol Allocations (absent participants hold zero). False if
// an amount does not parse.
bool allocations_from(const std::vector<std::string>& participants,
                      const google::protobuf::RepeatedPtrField<v1::Allocation>& list, Allocations& out) {
  out.participants = participants;
  out.amounts.assign(participants.size(), wire::Decimal());
  for (const auto& allocation : list) {
    const auto amount = wire::Decimal::parse(allocation.amount());
    if (!amount) return false;
    const auto it = std::find(participants.begin(), participants.end(), allocation.participant());
    if (it != participants.end()) out.amounts[static_cast<std::size_t>(it - participants.begin())] = *amount;
  }
  return true;
}

// A GameOver's allocations as one canonical line, so that two seats' copies compare by value.
std::string canonical(const google::protobuf::RepeatedPtrField<v1::Allocation>& list) {
  std::vector<std::string> items;
  for (const auto& allocation : list) {
    const auto amount = wire::Decimal::parse(allocation.amount());
    items.push_back(allocation.participant() + ":" + allocation.asset() + ":" +
                    (amount ? amount->to_string() : "?" + allocation.amount()));
  }
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& item : items) out += item + ";";
  return out;
}

// Whether the game's rules, applied to the final state, agree with the outcome the referee announced.
std::optional<std::string> check_outcome(const rooms::Game& game, const v1::GameOver& over) {
  std::unique_ptr<rooms::GameState> final_state;
  try {
    final_state = game.parse(over.final_state());
  } catch (const rooms::ParseError&) {
    return "final_state \"" + over.final_state() + "\" is not a state of " + std::string(game.name());
  }
  const auto outcome = final_state->outcome();
  switch (over.outcome()) {
    case v1::OUTCOME_WIN:
      if (outcome.kind != rooms::Outcome::Kind::win || !over.has_winner_seat() || outcome.winner != over.winner_seat()) {
        return "announced a win for seat " + std::to_string(over.winner_seat()) + " but the final state " +
               over.final_state() + " says otherwise";
      }
      return std::nullopt;
    case v1::OUTCOME_DRAW:
      if (outcome.kind != rooms::Outcome::Kind::draw) {
        return "announced a draw but the final state " + over.final_state() + " is not a draw";
      }
      return std::nullopt;
    case v1::OUTCOME_FORFEIT:
      if (outcome.kind != rooms::Outcome::Kind::ongoing) {
        return "announced a forfeit of a game the rules had decided: " + over.final_state();
      }
      return std::nullopt;
    default:
      return "GameOver without an outcome";
  }
}

}  // namespace

Bot::Bot(RunContext& run, unsigned index, std::shared_ptr<crypto::KeySigner> wallet, asio::any_io_executor executor)
    : run_(run),
      index_(index),
      wallet_(std::move(wallet)),
      expectation_(client::expectation_for(wallet_->address(), run.room, run.server_address)),
      strand_(asio::make_strand(executor)),
      inbox_(strand_, 256),
      timer_(strand_),
      tokens_(run.behaviour.message_burst),
      tokens_at_(Clock::now()) {}

void Bot::wake() {
  asio::post(strand_, [self = shared_from_this()] {
    Inbound nudge;
    nudge.kind = Inbound::Kind::wake;
    self->inbox_.try_send(boost::system::error_code(), std::move(nudge));  // a full inbox wakes the bot anyway
  });
}

void Bot::count_error(const std::string& kind) {
  ++errors_[kind];
  run_.counters.errors.fetch_add(1, std::memory_order_relaxed);
}

// ---- the loop ---------------------------------------------------------------------------------------------------

asio::awaitable<void> Bot::run() {
  auto self = shared_from_this();
  try {
    if (co_await connect()) {
      while (!run_.aborting.load() && !stop_) {
        if (!room_) {
          if (run_.finishing.load() || !run_.budget.claim_seat()) break;
          co_await join();
        }
        auto [error, inbound] = co_await inbox_.async_receive(as_tuple_awaitable);
        if (error) break;
        if (inbound.kind == Inbound::Kind::wake) {
          co_await on_wake();
        } else if (inbound.connection != connection_) {
          continue;  // left over from a connection already replaced
        } else if (inbound.kind == Inbound::Kind::lost) {
          if (!co_await reconnect()) break;
        } else {
          co_await handle(inbound.message);
        }
      }
    }
  } catch (const std::exception&) {
    count_error("bot_failure");
  }
  co_await disconnect();
}

// ---- connection -------------------------------------------------------------------------------------------------

asio::awaitable<std::optional<v1::LoginOk>> Bot::connect() {
  std::chrono::milliseconds backoff{50};
  for (unsigned attempt = 0; attempt <= run_.behaviour.reconnect_attempts; ++attempt) {
    if (run_.aborting.load()) co_return std::nullopt;
    // Thousands of bots start at once: keep the handshakes in flight bounded so the listener's backlog holds.
    while (run_.counters.connecting.fetch_add(1) >= RunContext::kMaxConcurrentConnects) {
      run_.counters.connecting.fetch_sub(1);
      co_await sleep(std::chrono::milliseconds(2 + index_ % 7));
    }
    std::string failure;
    try {
      auto connection = co_await client::PlayerClient::connect(run_.behaviour.url);
      const v1::LoginOk login = co_await connection->login(*wallet_);
      run_.counters.connecting.fetch_sub(1);
      if (connection->hello().server_address() != run_.server_address) {
        count_error("server_address_changed");
        co_return std::nullopt;
      }
      client_ = std::move(connection);
      ++connection_;
      asio::co_spawn(strand_, read_loop(shared_from_this(), client_, connection_), asio::detached);
      co_return login;
    } catch (const client::ServerError& error) {
      failure = "login:" + v1::ErrorCode_Name(error.code);
    } catch (const std::exception&) {
      failure = "connect";
    }
    run_.counters.connecting.fetch_sub(1);
    if (attempt == run_.behaviour.reconnect_attempts) count_error(failure + "_failed");
    co_await sleep(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
  co_return std::nullopt;
}

asio::awaitable<void> Bot::read_loop(std::shared_ptr<Bot> self, std::shared_ptr<client::PlayerClient> client,
                                     std::uint64_t connection) {
  (void)self;  // keeps the bot (and its inbox) alive while this reader runs
  for (;;) {
    Inbound inbound;
    inbound.connection = connection;
    try {
      inbound.message = co_await client->next();
    } catch (const std::exception&) {
      inbound.kind = Inbound::Kind::lost;
    }
    const bool lost = inbound.kind == Inbound::Kind::lost;
    auto [error] = co_await inbox_.async_send(boost::system::error_code(), std::move(inbound), as_tuple_awaitable);
    if (error || lost) co_return;
  }
}

asio::awaitable<bool> Bot::reconnect() {
  client_.reset();
  if (run_.aborting.load()) co_return false;
  const bool expected = !room_ && run_.finishing.load();
  if (!expected) count_error("disconnected");
  run_.counters.reconnects.fetch_add(1, std::memory_order_relaxed);
  if (room_) {
    room_->pending.reset();
    room_->allocations_known = false;  // a GameOver may have been sent to the dead connection
  }
  const auto login = co_await connect();
  if (!login) co_return false;
  if (!room_) co_return true;
  if (room_->room_id.empty()) {  // dropped while joining: the server may have seated us
    if (login->seated_room_ids_size() == 0) {
      run_.budget.return_seat();
      room_.reset();
      co_return true;
    }
    room_->room_id = login->seated_room_ids(0);
  }
  room_->resume_request = co_await send(resume_message(room_->room_id));
  co_return true;
}

asio::awaitable<void> Bot::disconnect() {
  if (client_) {
    auto client = std::move(client_);
    try {
      co_await client->socket().close();
    } catch (const std::exception&) {
    }
  }
  inbox_.close();  // a reader still blocked on sending ends now
}

asio::awaitable<std::uint64_t> Bot::send(v1::ClientMessage message, bool paced) {
  const std::uint64_t id = ++last_request_id_;
  message.set_request_id(id);
  if (!client_) co_return id;
  if (!paced) co_await pace();
  auto client = client_;
  if (!client) co_return id;
  try {
    co_await client->send(std::move(message));
  } catch (const std::exception&) {
    // The reader sees the same dead socket and reports the drop; the request is re-made after the resume.
  }
  co_return id;
}

asio::awaitable<void> Bot::pace() {
  const double rate = run_.behaviour.messages_per_second;
  if (rate <= 0) co_return;
  const auto now = Clock::now();
  tokens_ = std::min<double>(run_.behaviour.message_burst,
                             tokens_ + rate * std::chrono::duration<double>(now - tokens_at_).count());
  tokens_at_ = now;
  if (tokens_ < 1) {
    const auto wait = std::chrono::duration<double>((1 - tokens_) / rate);
    co_await sleep(std::chrono::duration_cast<Clock::duration>(wait));
    tokens_ = 1;
    tokens_at_ = Clock::now();
  }
  tokens_ -= 1;
}

asio::awaitable<void> Bot::sleep(Clock::duration duration) {
  timer_.expires_after(duration);
  co_await timer_.async_wait(as_tuple_awaitable);
}

// ---- room life ----------------------------------------------------------------------------------------------------

asio::awaitable<void> Bot::join() {
  room_.emplace();
  room_->join_request = co_await send(join_message(run_.room.id()));
}

asio::awaitable<void> Bot::leave() {
  if (!room_ || room_->leaving || room_->room_id.empty()) co_return;
  room_->leaving = true;
  room_->leave_request = co_await send(leave_message(room_->room_id));
}

asio::awaitable<void> Bot::request_state() {
  if (room_ && !room_->room_id.empty()) co_await send(state_message(room_->room_id));
}

bool Bot::should_leave_to_finish() const {
  // Only a seat still waiting for an opponent leaves (free: nothing was proposed). Once the room is full its
  // proposal is on its way, and leaving would abort it, so that game is played out like any other in progress.
  return run_.finishing.load() && room_ && !room_->room_id.empty() && !room_->leaving && !room_->session_open &&
         !room_->proposal_pending && room_->seats_taken < run_.room.seats();
}

asio::awaitable<void> Bot::on_wake() {
  if (should_leave_to_finish()) co_await leave();
}

asio::awaitable<void> Bot::handle(const v1::ServerMessage& message) {
  const std::uint64_t id = message.request_id();
  switch (message.body_case()) {
    case v1::ServerMessage::kJoined: on_joined(id, message.joined()); break;
    case v1::ServerMessage::kSessionProposal: co_await on_proposal(message.session_proposal()); break;
    case v1::ServerMessage::kSessionOpened: on_opened(message.session_opened()); break;
    case v1::ServerMessage::kGameState: co_await on_game_state(id, message.game_state()); break;
    case v1::ServerMessage::kMoveApplied: co_await on_move_applied(id, message.move_applied()); break;
    case v1::ServerMessage::kGameOver: co_await on_game_over(message.game_over()); break;
    case v1::ServerMessage::kSessionClosed: on_session_closed(message.session_closed()); break;
    case v1::ServerMessage::kRoomAborted: on_room_aborted(message.room_aborted()); break;
    case v1::ServerMessage::kRoomUpdate:
      if (in_room(message.room_update().room_id())) room_->seats_taken = message.room_update().players_size();
      break;
    case v1::ServerMessage::kLeft: on_left(id); break;
    case v1::ServerMessage::kError: co_await on_error(id, message.error()); break;
    default: break;  // RoomUpdate, StateCheckpointed, SeriesProgress, ServerNotice, Pong: nothing to do
  }
  // A seat that joined after the run began finishing gives its seat back at once.
  if (should_leave_to_finish()) co_await leave();
}

void Bot::on_joined(std::uint64_t request_id, const v1::Joined& joined) {
  if (!room_ || request_id != room_->join_request) return;
  if (room_->room_id.empty()) room_->room_id = joined.room_id();
  if (!joined.spectator()) room_->seat = joined.seat();
  room_->seats_taken = std::max<std::size_t>(room_->seats_taken, static_cast<std::size_t>(joined.players_size()));
}

asio::awaitable<void> Bot::on_proposal(const v1::SessionProposal& proposal) {
  if (!room_ || room_->leaving) co_return;
  if (room_->room_id.empty()) room_->room_id = proposal.room_id();  // it overtook our Joined
  if (room_->room_id != proposal.room_id()) co_return;
  room_->proposal_received = Clock::now();
  if (const auto refusal = client::check_proposal(proposal, expectation_)) {
    count_error("proposal_refused:" + std::string(client::to_string(refusal->fault)));
    co_await send(client::make_decline_proposal(proposal, *refusal));
    co_return;
  }
  // The check proved the summary equal to the bytes: the session opens with these allocations.
  std::vector<std::string> participants(proposal.summary().participants().begin(),
                                        proposal.summary().participants().end());
  room_->allocations_known = allocations_from(participants, proposal.summary().allocations(), room_->allocations);
  const auto mine = std::find(participants.begin(), participants.end(), expectation_.own_address.checksum());
  room_->seat = static_cast<unsigned>(mine - participants.begin());
  room_->proposal_pending = true;
  co_await send(client::make_sign_proposal(*wallet_, proposal));
}

void Bot::on_opened(const v1::SessionOpened& opened) {
  if (!in_room(opened.room_id())) return;
  if (room_->proposal_pending) run_.session_open_us.record(micros_since(room_->proposal_received));
  room_->proposal_pending = false;
  room_->session_open = true;
}

asio::awaitable<void> Bot::on_game_state(std::uint64_t request_id, const v1::GameState& state) {
  if (!in_room(state.room_id())) co_return;
  if (request_id != 0 && request_id == room_->resume_request) room_->resume_request = 0;
  if (state.has_your_seat()) room_->seat = state.your_seat();
  if (!state.app_session_id().empty()) room_->session_open = true;
  if (!room_->allocations_known && state.balances_size() > 0 && !room_->allocations.participants.empty()) {
    room_->allocations_known = allocations_from(room_->allocations.participants, state.balances(), room_->allocations);
  }
  room_->game_number = state.game_number();
  room_->last_seq = state.seq();
  room_->to_move.assign(state.to_move().begin(), state.to_move().end());
  if (state.room_state() != v1::ROOM_STATE_PLAYING) {
    room_->mirror.reset();
    co_return;
  }
  try {
    room_->mirror = run_.game.parse(state.state());
    room_->mirror_exact = true;
  } catch (const rooms::ParseError&) {
    // Another seat's secret move shows as '?': start from a fresh board; choose_move copes with the guess.
    room_->mirror = run_.game.create(0);
    room_->mirror_exact = false;
  }
  co_await maybe_move();
}

asio::awaitable<void> Bot::on_move_applied(std::uint64_t request_id, const v1::MoveApplied& applied) {
  if (!in_room(applied.room_id())) co_return;
  if (applied.game_number() != 0 && applied.game_number() != room_->game_number) {
    room_->game_number = applied.game_number();  // a new game of the series, before its GameState
    room_->mirror = run_.game.create(0);
    room_->mirror_exact = true;
  }
  room_->last_seq = applied.seq();
  room_->to_move.assign(applied.to_move().begin(), applied.to_move().end());
  std::string move = applied.move();
  if (room_->pending && request_id == room_->pending->request_id) {
    run_.move_rtt_us.record(micros_since(room_->pending->sent));
    run_.counters.moves.fetch_add(1, std::memory_order_relaxed);
    if (move.empty()) move = room_->pending->move;
    room_->pending.reset();
  }
  if (room_->mirror) {
    if (move.empty()) {  // another seat's secret move: stand in any legal move so the mirror's turn order holds
      const auto options = room_->mirror->legal_moves(applied.seat());
      if (!options.empty()) move = options.front();
      room_->mirror_exact = false;
    }
    const auto result = room_->mirror->apply(applied.seat(), move);
    if (result.rejection && room_->mirror_exact) {
      // The server relayed a move our copy of the same rules refuses.
      count_error("mirror_desync");
      co_await request_state();
    } else if (result.rejection) {
      room_->mirror = run_.game.create(0);  // the guesses led astray; a fresh board still has legal moves
    }
  }
  co_await maybe_move();
}

std::optional<std::string> Bot::choose_move() {
  const unsigned seat = *room_->seat;
  const std::uint64_t seed =
      mix(run_.behaviour.seed ^ mix(index_ * 0x1000193ULL + room_->game_number) ^ mix(room_->last_seq + (moves_made_ << 20)));
  if (auto move = rooms::pick_bot_move(*room_->mirror, seat, seed)) return move;
  // The mirror holds guessed secret moves and may think the game is over when it is not: any opening move of a
  // simultaneous game is legal again in a new round.
  return rooms::pick_bot_move(*run_.game.create(0), seat, seed);
}

asio::awaitable<void> Bot::maybe_move() {
  if (!room_ || !room_->session_open || room_->leaving || room_->pending || !room_->seat || !room_->mirror) co_return;
  const unsigned seat = *room_->seat;
  if (std::find(room_->to_move.begin(), room_->to_move.end(), seat) == room_->to_move.end()) co_return;
  if (run_.behaviour.think.count() > 0) {
    co_await sleep(think_time(run_.behaviour.think,
                              mix(run_.behaviour.seed ^ mix(index_ * 0x9E3779B97F4A7C15ULL + moves_made_))));
    if (!room_ || !room_->mirror || run_.aborting.load()) co_return;
  }
  const auto move = choose_move();
  if (!move) {
    count_error("no_legal_move");
    co_return;
  }
  ++moves_made_;
  co_await pace();  // before the clock starts: the RTT measures the server, not our own pacing
  if (!room_ || !room_->mirror) co_return;
  PendingMove pending;
  pending.move = *move;
  pending.sent = Clock::now();
  pending.request_id = last_request_id_ + 1;  // what send() numbers it; set first so that no echo can outrun it
  room_->pending = pending;
  co_await send(move_message(room_->room_id, *move, room_->last_seq + 1), true);
}

asio::awaitable<void> Bot::on_game_over(const v1::GameOver& over) {
  if (!in_room(over.room_id())) co_return;
  room_->pending.reset();
  room_->to_move.clear();
  room_->mirror.reset();

  GameOverReport report;
  report.room_id = over.room_id();
  report.game_number = over.game_number();
  report.outcome = over.outcome();
  report.allocations = canonical(over.allocations());
  report.rake = wire::Decimal::parse(over.rake()).value_or(wire::Decimal());
  report.wrong_payout = check_outcome(run_.game, over);
  if (!report.wrong_payout && room_->allocations_known) {
    Allocations expected_after;
    report.wrong_payout = check_game_over(run_.rules, room_->allocations, over, expected_after);
    report.payout_checked = true;
  }
  asio::post(run_.book_strand, [&book = run_.book, report = std::move(report)] { book.game_over(report); });

  // The session's allocations as paid: the next game (or the close) is checked against these.
  room_->allocations_known = allocations_from(room_->allocations.participants, over.allocations(), room_->allocations) &&
                             !room_->allocations.participants.empty();
  // Series: seat 0 decides for the table whether another game fits the budget; leaving now, before anyone moves
  // in the next game, ends the session without a forfeit.
  if (over.series_continues() && room_->seat == 0u) {
    if (run_.finishing.load() || !run_.budget.claim_game()) co_await leave();
  }
}

void Bot::on_session_closed(const v1::SessionClosed& closed) {
  if (!in_room(closed.room_id())) return;
  SessionClosedReport report;
  report.room_id = closed.room_id();
  if (room_->allocations_known) {
    report.payout_checked = true;
    if (auto wrong = compare_allocations(room_->allocations, closed.allocations(), run_.rules.asset)) {
      report.wrong_payout = "the close differs from the last game's allocations: " + *wrong;
    }
  }
  asio::post(run_.book_strand, [&book = run_.book, report = std::move(report)] { book.session_closed(report); });
  room_.reset();
}

void Bot::on_room_aborted(const v1::RoomAborted& aborted) {
  if (!in_room(aborted.room_id())) return;
  // A bot that left while finishing aborts its partner's proposal: expected, not an error.
  const bool caused_by_finishing = run_.finishing.load() && aborted.reason() == v1::PROPOSAL_DECLINED;
  std::string kind = caused_by_finishing ? "" : "room_aborted:" + v1::ErrorCode_Name(aborted.reason());
  if (!aborted.nothing_locked()) kind = "room_aborted_with_funds_locked";
  asio::post(run_.book_strand, [&book = run_.book, room_id = aborted.room_id(), kind] { book.room_aborted(room_id, kind); });
  run_.budget.return_seat();  // nothing was played: the seat claim goes back
  room_.reset();
}

void Bot::on_left(std::uint64_t request_id) {
  if (!room_ || request_id == 0 || request_id != room_->leave_request) return;
  // Left before the session opened: the seat claim was not used. Left a series table: its games were counted.
  if (!room_->session_open) run_.budget.return_seat();
  room_.reset();
}

asio::awaitable<void> Bot::on_error(std::uint64_t request_id, const v1::Error& error) {
  const std::string name = v1::ErrorCode_Name(error.code());
  if (room_ && request_id != 0) {
    if (room_->pending && request_id == room_->pending->request_id) {
      room_->pending.reset();
      if (error.code() == v1::STALE_SEQUENCE) {
        // Crossed with another seat's move (simultaneous games): resend once that move has been seen.
        run_.counters.stale_retries.fetch_add(1, std::memory_order_relaxed);
        const auto next = error.context().find("next_seq");
        std::uint64_t next_seq = room_->last_seq + 1;
        if (next != error.context().end()) {
          try {
            next_seq = std::stoull(next->second);
          } catch (const std::exception&) {
          }
        }
        if (next_seq <= room_->last_seq + 1) co_await maybe_move();
        co_return;
      }
      count_error("move:" + name);
      co_await request_state();
      co_return;
    }
    if (request_id == room_->join_request && room_->room_id.empty()) {
      count_error("join:" + name);
      room_.reset();
      run_.budget.return_seat();
      if (error.code() == v1::UNKNOWN_ROOM_TYPE || error.code() == v1::DRAINING) stop_ = true;
      else co_await sleep(std::chrono::milliseconds(100));
      co_return;
    }
    if (request_id == room_->resume_request) {
      count_error("resume:" + name);  // the seat is gone (forfeited or closed); its partner reports the game
      room_.reset();
      co_return;
    }
    if (request_id == room_->leave_request) {
      if (error.code() != v1::GAME_NOT_RUNNING) count_error("leave:" + name);
      room_->leaving = false;  // e.g. refused while the session opens: play the game out instead
      co_return;
    }
  }
  count_error(name);
}

std::chrono::microseconds think_time(std::chrono::milliseconds mean, std::uint64_t draw) {
  const auto mean_us = static_cast<std::uint64_t>(std::chrono::microseconds(mean).count());
  return std::chrono::microseconds(mean_us / 2 + draw % (mean_us + 1));
}

}  // namespace umpire::bots
