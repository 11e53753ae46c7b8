// referee/room_manager.cpp — see the header. In order: the Room, metrics, construction, the PlayerService entry
// points, message handlers, room life (proposal → opening → play → payout → close, or abort), checkpoints, timers,
// journal, messages and lookups.
#include "referee/room_manager.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "crypto/eth_messages.hpp"
#include "crypto/signature.hpp"
#include "referee/move_record.hpp"

namespace umpire::referee {

using clearnode::ClearNodeError;
using clearnode::ErrorKind;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// One table: its seats, its app session and its game. Lives on the manager's strand.
struct RoomManager::Room {
  struct Seat {
    crypto::Address address;
    std::string address_text;                     // EIP-55, as in the definition
    Link link;                                    // the connection holding the seat; null while away
    std::uint64_t away_deadline_ms = 0;           // set while away from an opened room: forfeit at this time
    std::optional<crypto::Signature> signature;   // on the current proposal
    Units balance = 0;                            // this seat's allocation in the app session
    unsigned wins = 0;
  };

  explicit Room(asio::any_io_executor executor) : timer(std::move(executor)) {}

  std::string id;
  std::shared_ptr<const RoomType> type;
  v1::RoomState state = v1::ROOM_STATE_WAITING;
  std::vector<Seat> seats;
  std::map<std::uint64_t, Link> spectators;  // by connection id

  // The proposal: the exact create request, its signatures (in the seats) and the message shown to the players.
  std::optional<clearnode::PreparedRequest> proposal;
  v1::ServerMessage proposal_message;
  unsigned attempt = 0;
  std::uint64_t proposal_deadline_ms = 0;

  // The app session.
  std::string app_session_id;
  std::uint64_t version = 0;  // the last version submitted (1 after create)
  bool version_uncertain = false;
  bool resyncing = false;
  Units umpire_balance = 0;
  // While a game's end is being made durable (game_over_pending): the balances before its result, which a
  // GameState shows until the GameOver goes out, so that nobody sees a game still running with its payout applied.
  std::optional<std::pair<std::vector<Units>, Units>> balances_before_result;

  // The game.
  std::unique_ptr<rooms::GameState> game;
  std::uint64_t seq = 0;
  std::uint64_t seq_at_game_start = 0;
  unsigned game_number = 0;
  unsigned draws = 0;
  bool outcome_pending = false;  // the last move decided the game; its GameOver follows the relay
  bool game_over_pending = false;  // the game's end is being journaled; GameOver follows once it is durable
  std::vector<unsigned> awaited;
  std::uint64_t turn_deadline_ms = 0;
  unsigned moves_since_checkpoint = 0;
  std::uint64_t last_checkpoint_ms = 0;
  // Routine checkpoints (every N moves, every T seconds) are coalesced: while one is at the node, the next waits
  // and then carries the newest state. Otherwise a node slower than the moves gets a queue that only grows, the
  // queued requests time out, and each failure adds a resync (measured: bench/run at 1,000 rooms).
  unsigned checkpoints_in_flight = 0;
  bool routine_checkpoint_waiting = false;

  asio::steady_timer timer;
  std::uint64_t timer_at_ms = 0;  // 0: not armed
  std::uint64_t timer_generation = 0;
  bool forgotten = false;
};

// ---- metrics ---------------------------------------------------------------------------------------------------

struct RoomManager::Metrics {
  explicit Metrics(ops::Registry* shared)
      : own(shared ? nullptr : std::make_unique<ops::Registry>()),
        registry(shared ? *shared : *own),
        moves_relayed(registry.counter("umpire_moves_relayed_total", "Moves accepted and relayed to the room")),
        moves_rejected(registry.counter("umpire_moves_rejected_total", "Moves refused with an error to the sender")),
        relay_latency(registry.histogram("umpire_move_relay_seconds",
                                         "From a move's arrival to its relay (validation, journal, fan-out)")),
        journal_commit(registry.histogram("umpire_journal_commit_seconds",
                                          "From a journal append to its durable commit (group commit)")),
        reconnects(registry.counter("umpire_reconnects_total", "Seats resumed by a new connection")),
        players_connected(registry.gauge("umpire_players_connected", "Logged-in player connections")),
        sessions_opened(registry.counter("umpire_sessions_opened_total", "App sessions created on the ClearNode")),
        sessions_closed(registry.counter("umpire_sessions_closed_total", "App sessions closed and paid out")),
        checkpoints(registry.counter("umpire_checkpoints_total", "submit_app_state calls that succeeded")),
        checkpoint_failures(registry.counter("umpire_checkpoint_failures_total", "submit_app_state calls that failed")),
        journal_failures(registry.counter("umpire_journal_failures_total", "Journal appends that failed")) {
    for (auto state : {v1::ROOM_STATE_WAITING, v1::ROOM_STATE_PROPOSING, v1::ROOM_STATE_OPENING,
                       v1::ROOM_STATE_PLAYING, v1::ROOM_STATE_CLOSING}) {
      rooms[state] = &registry.gauge("umpire_rooms", "Rooms by state", {{"state", std::string(to_string(state))}});
    }
    for (const char* outcome : {"win", "draw", "forfeit"}) {
      games_finished[outcome] =
          &registry.counter("umpire_games_finished_total", "Games finished, by outcome", {{"outcome", outcome}});
    }
    for (const char* method : {"create_app_session", "submit_app_state", "close_app_session", "get_app_sessions"}) {
      clearnode_latency[method] = &registry.histogram("umpire_clearnode_request_seconds",
                                                      "ClearNode request round trips, by method", {{"method", method}});
    }
  }

  void aborted(v1::ErrorCode reason) {
    registry.counter("umpire_rooms_aborted_total", "Rooms ended before any funds were locked, by reason",
                     {{"reason", v1::ErrorCode_Name(reason)}})
        .increment();
  }
  void clearnode_error(ErrorKind kind) {
    registry.counter("umpire_clearnode_errors_total", "ClearNode calls that failed, by kind",
                     {{"kind", std::string(clearnode::to_string(kind))}})
        .increment();
  }
  void observe_clearnode(const char* method, Clock::time_point started) {
    clearnode_latency.at(method)->observe_nanoseconds(
        static_cast<std::uint64_t>(std::chrono::nanoseconds(Clock::now() - started).count()));
  }

  std::unique_ptr<ops::Registry> own;
  ops::Registry& registry;
  ops::Counter& moves_relayed;
  ops::Counter& moves_rejected;
  ops::Histogram& relay_latency;
  ops::Histogram& journal_commit;
  ops::Counter& reconnects;
  ops::Gauge& players_connected;
  ops::Counter& sessions_opened;
  ops::Counter& sessions_closed;
  ops::Counter& checkpoints;
  ops::Counter& checkpoint_failures;
  ops::Counter& journal_failures;
  std::map<v1::RoomState, ops::Gauge*> rooms;
  std::map<std::string, ops::Counter*> games_finished;
  std::map<std::string, ops::Histogram*> clearnode_latency;
};

// ---- helpers ---------------------------------------------------------------------------------------------------

namespace {

v1::ServerMessage answer(std::uint64_t request_id) {
  v1::ServerMessage message;
  message.set_request_id(request_id);
  return message;
}

std::shared_ptr<const std::string> frame_of(const v1::ServerMessage& message) {
  return std::make_shared<const std::string>(message.SerializeAsString());
}

std::string hex64(std::uint64_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = kHex[value & 15];
  return out;
}

bool may_be_applied(ErrorKind kind) {
  // The request may have reached the node: only reading the node's state can tell.
  return kind == ErrorKind::timeout || kind == ErrorKind::disconnected || kind == ErrorKind::shut_down ||
         kind == ErrorKind::protocol_violation;
}

bool contains(std::string_view text, std::string_view needle) { return text.find(needle) != std::string_view::npos; }

}  // namespace

// The seat that wins when `loser` forfeits a two-seat game; none for larger tables (the referee then draws).
std::optional<unsigned> other_seat(const RoomManager::Room& room, unsigned loser) {
  if (room.seats.size() != 2) return std::nullopt;
  return loser == 0 ? 1u : 0u;
}

std::string_view to_string(v1::RoomState state) {
  switch (state) {
    case v1::ROOM_STATE_WAITING: return "waiting";
    case v1::ROOM_STATE_PROPOSING: return "proposing";
    case v1::ROOM_STATE_OPENING: return "opening";
    case v1::ROOM_STATE_PLAYING: return "playing";
    case v1::ROOM_STATE_CLOSING: return "closing";
    case v1::ROOM_STATE_CLOSED: return "closed";
    case v1::ROOM_STATE_ABORTED: return "aborted";
    default: return "unspecified";
  }
}

// ---- construction ----------------------------------------------------------------------------------------------

std::shared_ptr<RoomManager> RoomManager::create(asio::any_io_executor executor, RefereeOptions options,
                                                 std::shared_ptr<SessionPort> sessions, journal::Journal* journal,
                                                 ops::Registry* metrics) {
  if (!sessions) throw std::invalid_argument("the referee needs a SessionPort");
  for (const auto& type : options.room_types) type.validate();
  return std::shared_ptr<RoomManager>(
      new RoomManager(std::move(executor), std::move(options), std::move(sessions), journal, metrics));
}

RoomManager::RoomManager(asio::any_io_executor executor, RefereeOptions options,
                         std::shared_ptr<SessionPort> sessions, journal::Journal* journal, ops::Registry* metrics)
    : options_(std::move(options)),
      umpire_text_(options_.umpire_address.checksum()),
      sessions_(std::move(sessions)),
      journal_(journal),
      strand_(asio::make_strand(std::move(executor))),
      metrics_(std::make_unique<Metrics>(metrics)) {
  random64_ = options_.random64;
  if (!random64_) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    random64_ = [engine] { return (*engine)(); };
  }
  room_prefix_ = "r" + hex64(random64_(), 6) + "-";
  for (const auto& type : options_.room_types) types_[type.id] = std::make_shared<const RoomType>(type);
}

RoomManager::~RoomManager() = default;

// ---- PlayerService ---------------------------------------------------------------------------------------------

std::vector<std::string> RoomManager::on_login(const Link& link) {
  metrics_->players_connected.add(1);
  std::lock_guard lock(seated_mutex_);
  const auto it = seated_.find(link->address().checksum());
  if (it == seated_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void RoomManager::on_message(const Link& link, const v1::ClientMessage& message) {
  asio::post(strand_, [self = shared_from_this(), link, message] { self->dispatch(link, message); });
}

void RoomManager::on_disconnect(const Link& link) {
  metrics_->players_connected.add(-1);
  asio::post(strand_, [self = shared_from_this(), link] { self->handle_disconnect(link); });
}

void RoomManager::dispatch(const Link& link, const v1::ClientMessage& message) {
  if (shut_down_) return;
  const auto id = message.request_id();
  try {
    switch (message.body_case()) {
      case v1::ClientMessage::kListRooms: return handle_list_rooms(link, id);
      case v1::ClientMessage::kJoinRoom: return handle_join(link, id, message.join_room());
      case v1::ClientMessage::kLeaveRoom: return handle_leave(link, id, message.leave_room());
      case v1::ClientMessage::kSpectate: return handle_spectate(link, id, message.spectate());
      case v1::ClientMessage::kSignProposal: return handle_sign(link, id, message.sign_proposal());
      case v1::ClientMessage::kDeclineProposal: return handle_decline(link, id, message.decline_proposal());
      case v1::ClientMessage::kMove: return handle_move(link, id, message.move());
      case v1::ClientMessage::kGetGameState: return handle_get_state(link, id, message.get_game_state());
      case v1::ClientMessage::kResume: return handle_resume(link, id, message.resume());
      default: return send_error(link, id, v1::MALFORMED_FRAME, "this message is not accepted after login");
    }
  } catch (const std::exception& failure) {
    log(LogLevel::error, std::string("event=internal_error what=\"") + failure.what() + "\"");
    send_error(link, id, v1::INTERNAL, "internal error");
  }
}

// ---- message handlers --------------------------------------------------------------------------------------------

void RoomManager::handle_list_rooms(const Link& link, std::uint64_t request_id) {
  auto reply = answer(request_id);
  auto* catalog = reply.mutable_room_catalog();
  if (!draining_) {
    for (const auto& [id, type] : types_) {
      auto entry = type->to_proto();
      const auto waiting = waiting_by_type_.find(id);
      entry.set_open_rooms(waiting == waiting_by_type_.end() ? 0 : static_cast<std::uint32_t>(waiting->second.size()));
      *catalog->add_room_types() = std::move(entry);
    }
  }
  link->send(reply);
}

void RoomManager::handle_join(const Link& link, std::uint64_t request_id, const v1::JoinRoom& join) {
  if (draining_) return send_error(link, request_id, v1::DRAINING, "the server is draining: no new games");
  RoomPtr room;
  if (join.target_case() == v1::JoinRoom::kRoomId) {
    room = find_room(join.room_id());
    if (!room) return send_error(link, request_id, v1::UNKNOWN_ROOM, "no such room", join.room_id());
    if (seat_of(*room, link->address())) {
      return send_error(link, request_id, v1::ALREADY_SEATED, "you already sit in this room", room->id);
    }
    if (room->state != v1::ROOM_STATE_WAITING || room->seats.size() >= room->type->seats) {
      return send_error(link, request_id, v1::ROOM_FULL, "every seat of this room is taken", room->id);
    }
  } else if (join.target_case() == v1::JoinRoom::kRoomType) {
    const auto type = types_.find(join.room_type());
    if (type == types_.end()) {
      return send_error(link, request_id, v1::UNKNOWN_ROOM_TYPE, "no room type \"" + join.room_type() + "\"");
    }
    auto& candidates = waiting_by_type_[type->first];
    for (const auto& id : candidates) {
      const auto candidate = find_room(id);
      if (candidate && candidate->type == type->second && !seat_of(*candidate, link->address())) {
        room = candidate;
        break;
      }
    }
    if (!room) {
      if (candidates.size() >= type->second->max_open_rooms) {
        return send_error(link, request_id, v1::ROOM_FULL, "every table of this type is taken; try again soon");
      }
      room = open_room(type->second);
    }
  } else {
    return send_error(link, request_id, v1::MALFORMED_FRAME, "JoinRoom needs a room_id or a room_type");
  }
  seat_player(room, link, request_id);
}

void RoomManager::handle_leave(const Link& link, std::uint64_t request_id, const v1::LeaveRoom& leave) {
  const auto room = find_room(leave.room_id());
  if (!room) return send_error(link, request_id, v1::UNKNOWN_ROOM, "no such room", leave.room_id());
  auto left = answer(request_id);
  left.mutable_left()->set_room_id(room->id);
  if (room->spectators.erase(link->connection_id()) > 0) {
    spectating_[link->connection_id()].erase(room->id);
    return link->send(left);
  }
  const auto seat = seat_of(*room, link->address());
  if (!seat) return send_error(link, request_id, v1::NOT_SEATED, "you do not sit in this room", room->id);
  if (room->state == v1::ROOM_STATE_OPENING) {
    return send_error(link, request_id, v1::GAME_NOT_RUNNING,
                      "the app session is being opened; leaving once it is open forfeits the game", room->id);
  }
  link->send(left);
  switch (room->state) {
    case v1::ROOM_STATE_WAITING: return free_seat(room, *seat);
    case v1::ROOM_STATE_PROPOSING:
      return abort_room(room, v1::PROPOSAL_DECLINED, "seat " + std::to_string(*seat) + " left during the proposal");
    case v1::ROOM_STATE_PLAYING: {
      if (room->outcome_pending || room->game_over_pending) return;
      const bool between_games = room->type->is_series() && room->game_number > 1 &&
                                 room->seq == room->seq_at_game_start;
      log(LogLevel::info, "event=player_left room=" + room->id + " seat=" + std::to_string(*seat) +
                              (between_games ? " between_games=true" : " forfeit=true"));
      if (between_games) return close_session(room);
      return finish_game(room, other_seat(*room, static_cast<unsigned>(*seat)), static_cast<unsigned>(*seat), false);
    }
    default: return;  // closing: the payout is already decided
  }
}

void RoomManager::handle_spectate(const Link& link, std::uint64_t request_id, const v1::Spectate& spectate) {
  const auto room = find_room(spectate.room_id());
  if (!room) return send_error(link, request_id, v1::UNKNOWN_ROOM, "no such room", spectate.room_id());
  room->spectators[link->connection_id()] = link;
  spectating_[link->connection_id()].insert(room->id);
  auto joined = answer(request_id);
  auto* body = joined.mutable_joined();
  body->set_room_id(room->id);
  body->set_room_type(room->type->id);
  body->set_spectator(true);
  fill_players(*room, body->mutable_players());
  link->send(joined);
  link->send(game_state_message(*room, std::nullopt, 0));
}

void RoomManager::handle_sign(const Link& link, std::uint64_t request_id, const v1::SignProposal& sign) {
  const auto room = find_room(sign.room_id());
  if (!room) return send_error(link, request_id, v1::UNKNOWN_ROOM, "no such room", sign.room_id());
  const auto seat = seat_of(*room, link->address());
  if (!seat) return send_error(link, request_id, v1::NOT_SEATED, "you do not sit in this room", room->id);
  if (room->state != v1::ROOM_STATE_PROPOSING || !room->proposal) {
    return send_error(link, request_id, v1::NO_PROPOSAL, "nothing to sign in this room now", room->id);
  }
  if (sign.app_session_id() != room->proposal->app_session_id) {
    return send_error(link, request_id, v1::PROPOSAL_EXPIRED, "this signature is for an earlier proposal", room->id);
  }
  auto& holder = room->seats[*seat];
  std::optional<crypto::Address> signer;
  std::optional<crypto::Signature> signature;
  try {
    signature = crypto::Signature::parse(sign.signature());
    signer = crypto::try_recover_address(room->proposal->digest(), *signature);
  } catch (const std::exception&) {
    signer.reset();
  }
  if (!signer || *signer != holder.address) {
    send_error(link, request_id, v1::BAD_PROPOSAL_SIGNATURE,
               "the signature does not recover to your address over the proposal's request_json", room->id);
    return abort_room(room, v1::BAD_PROPOSAL_SIGNATURE,
                      "seat " + std::to_string(*seat) + " signed other bytes or with another key");
  }
  holder.signature = signature;
  const bool everyone = std::all_of(room->seats.begin(), room->seats.end(),
                                    [](const auto& s) { return s.signature.has_value(); });
  if (everyone) all_signed(room);
}

void RoomManager::handle_decline(const Link& link, std::uint64_t request_id, const v1::DeclineProposal& decline) {
  const auto room = find_room(decline.room_id());
  if (!room) return send_error(link, request_id, v1::UNKNOWN_ROOM, "no such room", decline.room_id());
  const auto seat = seat_of(*room, link->address());
  if (!seat) return send_error(link, request_id, v1::NOT_SEATED, "you do not sit in this room", room->id);
  if (room->state != v1::ROOM_STATE_PROPOSING) {
    return send_error(link, request_id, v1::NO_PROPOSAL, "nothing to decline in this room now", room->id);
  }
  std::string reason = decline.reason().substr(0, 200);
  abort_room(room, v1::PROPOSAL_DECLINED, "seat " + std::to_string(*seat) + " declined: " + reason);
}

void RoomManager::handle_move(const Link& link, std::uint64_t request_id, const v1::Move& move) {
  const auto received = Clock::now();
  auto reject = [&](v1::ErrorCode code, const std::string& text, const std::string& room_id) {
    metrics_->moves_rejected.increment();
    send_error(link, request_id, code, text, room_id);
  };
  const auto room = find_room(move.room_id());
  if (!room) return reject(v1::UNKNOWN_ROOM, "no such room", move.room_id());
  const auto seat_index = seat_of(*room, link->address());
  if (!seat_index) return reject(v1::NOT_SEATED, "spectators and strangers cannot move", room->id);
  auto& seat = room->seats[*seat_index];
  if (!seat.link || seat.link->connection_id() != link->connection_id()) {
    return reject(v1::NOT_SEATED, "another connection holds this seat (send Resume to take it back)", room->id);
  }
  if (room->state != v1::ROOM_STATE_PLAYING || !room->game || room->outcome_pending || room->game_over_pending) {
    return reject(v1::GAME_NOT_RUNNING, "the room is not playing", room->id);
  }
  if (move.expected_seq() != room->seq + 1) {
    metrics_->moves_rejected.increment();
    auto error = gateway::make_error(request_id, v1::STALE_SEQUENCE, "expected_seq is not the next sequence number");
    (*error.mutable_error()->mutable_context())["room_id"] = room->id;
    (*error.mutable_error()->mutable_context())["next_seq"] = std::to_string(room->seq + 1);
    return link->send(error);
  }
  if (move.move().size() > options_.max_move_bytes) return reject(v1::MALFORMED_MOVE, "move text too long", room->id);
  const auto mover = static_cast<unsigned>(*seat_index);
  const auto result = room->game->apply(mover, move.move());
  if (result.rejection) {
    switch (*result.rejection) {
      case rooms::MoveRejection::not_your_turn: return reject(v1::NOT_YOUR_TURN, "not your turn", room->id);
      case rooms::MoveRejection::illegal: return reject(v1::ILLEGAL_MOVE, "not allowed here", room->id);
      case rooms::MoveRejection::game_over: return reject(v1::GAME_NOT_RUNNING, "the game is over", room->id);
      case rooms::MoveRejection::malformed: return reject(v1::MALFORMED_MOVE, "not a move of this game", room->id);
    }
  }

  // Applied. The turn timer restarts when a seat enters to_move; seats of an unfinished simultaneous round keep
  // the round's deadline.
  const auto seq = ++room->seq;
  const auto now = now_ms();
  auto to_move = room->game->to_move();
  const bool same_round = !to_move.empty() && std::all_of(to_move.begin(), to_move.end(), [&](unsigned s) {
    return std::find(room->awaited.begin(), room->awaited.end(), s) != room->awaited.end();
  });
  if (!same_round) room->turn_deadline_ms = to_move.empty() ? 0 : now + room->type->turn_ms;
  room->awaited = to_move;
  const auto outcome = room->game->outcome();
  room->outcome_pending = outcome.kind != rooms::Outcome::Kind::ongoing;

  v1::ServerMessage relay;
  auto* applied = relay.mutable_move_applied();
  applied->set_room_id(room->id);
  applied->set_seq(seq);
  applied->set_seat(mover);
  applied->set_move(result.hidden ? "" : move.move());
  for (auto s : to_move) applied->add_to_move(s);
  applied->set_turn_deadline_ms(room->turn_deadline_ms);
  applied->set_game_number(room->game_number);
  auto own_copy = relay;
  own_copy.set_request_id(request_id);
  own_copy.mutable_move_applied()->set_move(move.move());

  auto record = move_record_json(seq, mover, move.move(), room->game_number);
  journal_then(room, "move", std::move(record), [this, room, relay = std::move(relay), own_copy = std::move(own_copy),
                                                 mover, received, outcome] {
    if (room->forgotten) return;
    const auto others = frame_of(relay);
    for (std::size_t i = 0; i < room->seats.size(); ++i) {
      const auto& target = room->seats[i].link;
      if (!target) continue;
      if (i == mover) {
        target->send(own_copy);
      } else {
        target->send_serialized(others);
      }
    }
    for (const auto& [id, spectator] : room->spectators) spectator->send_serialized(others);
    metrics_->moves_relayed.increment();
    metrics_->relay_latency.observe_nanoseconds(
        static_cast<std::uint64_t>(std::chrono::nanoseconds(Clock::now() - received).count()));
    if (outcome.kind != rooms::Outcome::Kind::ongoing) {
      room->outcome_pending = false;
      return finish_game(room, outcome.winner, std::nullopt, true);
    }
    ++room->moves_since_checkpoint;
    if (options_.checkpoint_every_moves && room->moves_since_checkpoint >= options_.checkpoint_every_moves) {
      checkpoint(room, true, true);
    }
    arm_timer(room);
  });
}

void RoomManager::handle_get_state(const Link& link, std::uint64_t request_id, const v1::GetGameState& get) {
  const auto room = find_room(get.room_id());
  if (!room) return send_error(link, request_id, v1::UNKNOWN_ROOM, "no such room", get.room_id());
  const auto seat = seat_of(*room, link->address());
  link->send(game_state_message(*room, seat ? std::optional<unsigned>(static_cast<unsigned>(*seat)) : std::nullopt,
                                request_id));
}

void RoomManager::handle_resume(const Link& link, std::uint64_t request_id, const v1::Resume& resume) {
  const auto room = find_room(resume.room_id());
  if (!room) {
    const auto tomb = tombstones_.find(resume.room_id());
    if (tomb != tombstones_.end() && tomb->second.forfeited_away.count(link->address().checksum())) {
      return send_error(link, request_id, v1::RECONNECT_WINDOW_PASSED,
                        "you came back after the reconnection window: the seat has forfeited", resume.room_id());
    }
    return send_error(link, request_id, v1::UNKNOWN_ROOM, "no such room (or it is closed)", resume.room_id());
  }
  const auto index = seat_of(*room, link->address());
  if (!index) return send_error(link, request_id, v1::NOT_SEATED, "you do not sit in this room", room->id);
  auto& seat = room->seats[*index];
  const bool was_away = !seat.link || seat.away_deadline_ms != 0;
  seat.link = link;
  seat.away_deadline_ms = 0;
  metrics_->reconnects.increment();
  link->send(game_state_message(*room, static_cast<unsigned>(*index), request_id));
  if (room->state == v1::ROOM_STATE_PROPOSING && !seat.signature) link->send(room->proposal_message);
  if (was_away) {
    v1::ServerMessage notice;
    auto* body = notice.mutable_server_notice();
    body->set_kind(v1::NOTICE_KIND_OPPONENT_BACK);
    body->set_room_id(room->id);
    body->set_message("seat " + std::to_string(*index) + " is back");
    const auto frame = frame_of(notice);
    for (std::size_t i = 0; i < room->seats.size(); ++i) {
      if (i != *index && room->seats[i].link) room->seats[i].link->send_serialized(frame);
    }
  }
  arm_timer(room);
}

void RoomManager::handle_disconnect(const Link& link) {
  if (shut_down_) return;
  const auto watched = spectating_.find(link->connection_id());
  if (watched != spectating_.end()) {
    for (const auto& id : watched->second) {
      if (const auto room = find_room(id)) room->spectators.erase(link->connection_id());
    }
    spectating_.erase(watched);
  }
  std::vector<std::string> room_ids;
  {
    std::lock_guard lock(seated_mutex_);
    const auto it = seated_.find(link->address().checksum());
    if (it != seated_.end()) room_ids.assign(it->second.begin(), it->second.end());
  }
  for (const auto& id : room_ids) {
    const auto room = find_room(id);
    if (!room) continue;
    const auto index = seat_of(*room, link->address());
    if (!index) continue;
    auto& seat = room->seats[*index];
    if (!seat.link || seat.link->connection_id() != link->connection_id()) continue;  // a newer link holds it
    seat.link.reset();
    if (room->state == v1::ROOM_STATE_WAITING) {
      free_seat(room, *index);
      continue;
    }
    if (room->state != v1::ROOM_STATE_PLAYING) continue;  // proposing: the deadline decides; closing: paid anyway
    seat.away_deadline_ms = now_ms() + room->type->reconnect_ms;
    v1::ServerMessage notice;
    auto* body = notice.mutable_server_notice();
    body->set_kind(v1::NOTICE_KIND_OPPONENT_AWAY);
    body->set_room_id(room->id);
    body->set_message("seat " + std::to_string(*index) + " dropped; it may return within " +
                      std::to_string(room->type->reconnect_ms / 1000) + " s");
    broadcast(*room, notice);
    log(LogLevel::info, "event=player_away room=" + room->id + " seat=" + std::to_string(*index));
    arm_timer(room);
  }
}

// ---- room life ---------------------------------------------------------------------------------------------------

RoomManager::RoomPtr RoomManager::open_room(std::shared_ptr<const RoomType> type) {
  auto room = std::make_shared<Room>(strand_);
  room->id = room_prefix_ + std::to_string(++room_counter_);
  room->type = std::move(type);
  rooms_.emplace(room->id, room);
  waiting_by_type_[room->type->id].push_back(room->id);
  metrics_->rooms[v1::ROOM_STATE_WAITING]->add(1);
  return room;
}

void RoomManager::seat_player(const RoomPtr& room, const Link& link, std::uint64_t request_id) {
  Room::Seat seat;
  seat.address = link->address();
  seat.address_text = link->address().checksum();
  seat.link = link;
  room->seats.push_back(std::move(seat));
  index_seat(room->seats.back().address_text, room->id, true);

  auto joined = answer(request_id);
  auto* body = joined.mutable_joined();
  body->set_room_id(room->id);
  body->set_room_type(room->type->id);
  body->set_seat(static_cast<std::uint32_t>(room->seats.size() - 1));
  fill_players(*room, body->mutable_players());
  link->send(joined);

  if (room->seats.size() < room->type->seats) return broadcast_room_update(*room);
  auto& waiting = waiting_by_type_[room->type->id];
  waiting.erase(std::remove(waiting.begin(), waiting.end(), room->id), waiting.end());
  start_proposal(room);
}

void RoomManager::free_seat(const RoomPtr& room, std::size_t seat) {
  index_seat(room->seats[seat].address_text, room->id, false);
  room->seats.erase(room->seats.begin() + static_cast<std::ptrdiff_t>(seat));
  if (room->seats.empty() && room->spectators.empty()) return forget_room(room);
  broadcast_room_update(*room);
}

void RoomManager::start_proposal(const RoomPtr& room) {
  const auto& type = *room->type;
  clearnode::CreateAppSessionParams params;
  params.definition.application = options_.application;
  params.definition.protocol = std::string(clearnode::kProtocol04);
  for (const auto& seat : room->seats) {
    params.definition.participants.push_back(seat.address_text);
    params.definition.weights.push_back(0);
    params.allocations.push_back({seat.address_text, type.asset, wire::Decimal::from_units(type.stake, type.decimals)});
  }
  const auto& umpire = umpire_text_;
  params.definition.participants.push_back(umpire);
  params.definition.weights.push_back(100);
  params.definition.quorum = 100;
  params.definition.challenge = 0;
  params.definition.nonce = next_nonce();
  params.allocations.push_back({umpire, type.asset, wire::Decimal{}});
  params.session_data = json{{"game", std::string(type.game->name())}, {"state", type.game->create(0)->serialize()}}.dump();

  try {
    room->proposal = sessions_->prepare_create(params);
  } catch (const std::exception& failure) {
    return abort_room(room, v1::INTERNAL, std::string("cannot prepare the app session: ") + failure.what());
  }
  ++room->attempt;
  for (auto& seat : room->seats) seat.signature.reset();
  room->proposal_deadline_ms = now_ms() + type.proposal_ms;

  room->proposal_message.Clear();
  auto* proposal = room->proposal_message.mutable_session_proposal();
  proposal->set_room_id(room->id);
  proposal->set_request_json(room->proposal->payload);
  proposal->set_deadline_ms(room->proposal_deadline_ms);
  proposal->set_attempt(room->attempt);
  auto* summary = proposal->mutable_summary();
  summary->set_app_session_id(room->proposal->app_session_id);
  for (std::size_t i = 0; i < params.definition.participants.size(); ++i) {
    summary->add_participants(params.definition.participants[i]);
    summary->add_weights(static_cast<std::uint32_t>(params.definition.weights[i]));
  }
  summary->set_quorum(100);
  summary->set_asset(type.asset);
  for (const auto& allocation : params.allocations) {
    auto* out = summary->add_allocations();
    out->set_participant(allocation.participant);
    out->set_asset(allocation.asset);
    out->set_amount(allocation.amount.to_string());
  }
  summary->set_nonce(params.definition.nonce);
  summary->set_protocol(params.definition.protocol);
  summary->set_application(params.definition.application);

  set_state(room, v1::ROOM_STATE_PROPOSING);
  json record = {{"type", type.id},       {"attempt", room->attempt}, {"app_session_id", room->proposal->app_session_id},
                 {"nonce", params.definition.nonce}, {"request", room->proposal->payload}, {"rules", rules_record(type)}};
  journal_then(room, "proposal", record.dump(), [] {});
  broadcast_room_update(*room);
  broadcast(*room, room->proposal_message);
  log(LogLevel::info, "event=proposal room=" + room->id + " type=" + type.id + " app_session=" +
                          room->proposal->app_session_id + " attempt=" + std::to_string(room->attempt));
  arm_timer(room);
}

void RoomManager::all_signed(const RoomPtr& room) {
  set_state(room, v1::ROOM_STATE_OPENING);
  broadcast_room_update(*room);
  json record = {{"app_session_id", room->proposal->app_session_id}};
  // Intent before action: the id is journaled before the request can reach the node.
  journal_then(
      room, "create_intent", record.dump(),
      [this, room] {
        if (room->forgotten) return;
        asio::co_spawn(strand_, open_session(room), asio::detached);
      },
      [this, room](const std::string& error) {
        // Never create a session the journal does not know: after a crash nobody could close it.
        if (room->forgotten) return;
        abort_room(room, v1::JOURNAL_UNAVAILABLE, "the server could not record the app session durably (" + error +
                                                      "); nothing was locked");
      });
}

asio::awaitable<void> RoomManager::open_session(RoomPtr room) {
  std::vector<crypto::Signature> signatures;
  for (const auto& seat : room->seats) signatures.push_back(*seat.signature);
  const auto started = Clock::now();
  try {
    const auto result = co_await sessions_->submit_create(*room->proposal, std::move(signatures));
    metrics_->observe_clearnode("create_app_session", started);
    if (room->forgotten || shut_down_) co_return;
    session_opened(room, result.version);
    co_return;
  } catch (const ClearNodeError& failure) {
    metrics_->observe_clearnode("create_app_session", started);
    metrics_->clearnode_error(failure.kind());
    if (room->forgotten || shut_down_) co_return;
    log(LogLevel::warning, "event=create_failed room=" + room->id + " kind=" +
                               std::string(clearnode::to_string(failure.kind())) + " error=\"" + failure.what() + "\"");
    if (!may_be_applied(failure.kind())) {
      const bool funds = failure.kind() == ErrorKind::remote_error &&
                         (contains(failure.what(), "insufficient") || contains(failure.what(), "balance"));
      const auto reason = funds ? v1::INSUFFICIENT_FUNDS
                          : failure.kind() == ErrorKind::stale_request ? v1::PROPOSAL_EXPIRED
                                                                       : v1::CLEARNODE_UNAVAILABLE;
      abort_room(room, reason, std::string("the ClearNode refused the app session: ") + failure.what());
      co_return;
    }
  }
  // The create may or may not have happened: its precomputed id tells.
  const bool opened = co_await resolve_unknown_create(room);
  if (!opened && !room->forgotten && !shut_down_) {
    abort_room(room, v1::CLEARNODE_UNAVAILABLE, "the ClearNode did not create the app session");
  }
}

asio::awaitable<bool> RoomManager::resolve_unknown_create(RoomPtr room) {
  asio::steady_timer pause(strand_);
  std::chrono::milliseconds delay{500};
  for (;;) {
    if (room->forgotten || shut_down_) co_return false;
    try {
      const auto info = co_await sessions_->find(room->proposal->app_session_id);
      if (room->forgotten || shut_down_) co_return false;
      if (info) {
        session_opened(room, info->version);
        co_return true;
      }
      co_return false;  // the node does not know the id: it was never created, and now cannot be (stale)
    } catch (const ClearNodeError& failure) {
      metrics_->clearnode_error(failure.kind());
      log(LogLevel::warning, "event=create_unresolved room=" + room->id + " error=\"" + failure.what() + "\"");
    }
    pause.expires_after(delay);
    co_await pause.async_wait(asio::use_awaitable);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(30));
  }
}

void RoomManager::session_opened(const RoomPtr& room, std::uint64_t version) {
  room->app_session_id = room->proposal->app_session_id;
  // The proposal's request bytes, its copy in the message shown to the players and the seats' signatures are done
  // with (journaled, sent, accepted): a room may now sit open for hours, so their few KiB go back (idle memory).
  room->proposal.reset();
  room->proposal_message = v1::ServerMessage();
  for (auto& seat : room->seats) seat.signature.reset();
  room->version = version;
  for (auto& seat : room->seats) seat.balance = room->type->stake;
  room->umpire_balance = 0;
  metrics_->sessions_opened.increment();
  journal_then(room, "opened", json{{"app_session_id", room->app_session_id}, {"version", version}}.dump(), [] {});
  set_state(room, v1::ROOM_STATE_PLAYING);
  broadcast_room_update(*room);
  v1::ServerMessage opened;
  opened.mutable_session_opened()->set_room_id(room->id);
  opened.mutable_session_opened()->set_app_session_id(room->app_session_id);
  broadcast(*room, opened);
  log(LogLevel::info, "event=session_opened room=" + room->id + " app_session=" + room->app_session_id);
  // A seat that dropped while the session was opening gets its reconnection window from now.
  for (auto& seat : room->seats) {
    if (!seat.link) seat.away_deadline_ms = now_ms() + room->type->reconnect_ms;
  }
  start_game(room);
}

void RoomManager::start_game(const RoomPtr& room) {
  const auto seed = random64_();
  room->game = room->type->game->create(seed);
  ++room->game_number;
  room->seq_at_game_start = room->seq;
  room->outcome_pending = false;
  room->awaited = room->game->to_move();
  room->turn_deadline_ms = now_ms() + room->type->turn_ms;
  room->moves_since_checkpoint = 0;
  room->last_checkpoint_ms = now_ms();
  journal_then(room, "game_start",
               json{{"game", room->game_number}, {"seed", seed}, {"seq", room->seq}}.dump(), [] {});
  for (std::size_t i = 0; i < room->seats.size(); ++i) {
    if (room->seats[i].link) room->seats[i].link->send(game_state_message(*room, static_cast<unsigned>(i), 0));
  }
  if (!room->spectators.empty()) {
    const auto frame = frame_of(game_state_message(*room, std::nullopt, 0));
    for (const auto& [id, spectator] : room->spectators) spectator->send_serialized(frame);
  }
  arm_timer(room);
}

RoomManager::GameSettlement RoomManager::apply_game_result(Room& room, std::optional<unsigned> winner) {
  const auto& type = *room.type;
  const GameResult result{winner ? std::optional<std::size_t>(*winner) : std::nullopt};
  std::vector<Units> balances;
  for (const auto& seat : room.seats) balances.push_back(seat.balance);
  const Units rake_before = room.umpire_balance;
  if (type.is_series()) {
    balances = apply_series_game(balances, type.wager, result, type.rake_bps, room.umpire_balance);
  } else {
    const auto settlement = settle_game(std::vector<Units>(balances.size(), type.stake), result, type.rake_bps);
    balances = settlement.seats;
    room.umpire_balance += settlement.rake;
  }
  for (std::size_t i = 0; i < balances.size(); ++i) room.seats[i].balance = balances[i];
  if (winner) {
    ++room.seats[*winner].wins;
  } else {
    ++room.draws;
  }
  return {room.umpire_balance - rake_before, series_can_continue(balances, type.wager)};
}

bool RoomManager::series_continues(const Room& room, bool series_may_continue, bool balances_cover_wager) const {
  const auto& type = *room.type;
  return type.is_series() && series_may_continue &&
         (type.games_per_session == 0 || room.game_number < type.games_per_session) && balances_cover_wager;
}

void RoomManager::finish_game(const RoomPtr& room, std::optional<unsigned> winner,
                              std::optional<unsigned> forfeiting, bool series_may_continue) {
  if (room->state != v1::ROOM_STATE_PLAYING || room->game_over_pending) return;
  std::vector<Units> seat_balances;
  for (const auto& seat : room->seats) seat_balances.push_back(seat.balance);
  room->balances_before_result.emplace(std::move(seat_balances), room->umpire_balance);
  const auto settlement = apply_game_result(*room, winner);
  const bool continues = series_continues(*room, series_may_continue, settlement.balances_cover_wager);
  const char* outcome_name = forfeiting ? "forfeit" : winner ? "win" : "draw";
  // No move, timer or leave acts on the game while its end is being made durable.
  room->game_over_pending = true;
  room->turn_deadline_ms = 0;

  json record = {{"game", room->game_number}, {"outcome", outcome_name}, {"seq", room->seq}, {"continues", continues}};
  if (winner) record["winner"] = *winner;
  if (forfeiting) record["forfeiting"] = *forfeiting;
  // Durable before anyone is told: a restart must never resume a game its players were told had ended.
  journal_then(room, "game_over", record.dump(), [this, room, winner, forfeiting, continues, outcome_name,
                                                  rake = settlement.rake] {
    if (room->forgotten) return;
    room->game_over_pending = false;
    room->balances_before_result.reset();
    announce_game_over(*room, winner, forfeiting, continues, rake);
    metrics_->games_finished[outcome_name]->increment();
    log(LogLevel::info, "event=game_over room=" + room->id + " game=" + std::to_string(room->game_number) +
                            " outcome=" + outcome_name + (winner ? " winner=" + std::to_string(*winner) : ""));
    if (!continues) return close_session(room);
    checkpoint(room, true);  // the allocations moved: the per-game checkpoint of a series table
    start_game(room);
  });
}

void RoomManager::announce_game_over(const Room& room, std::optional<unsigned> winner,
                                     std::optional<unsigned> forfeiting, bool continues, Units rake) {
  const auto& type = *room.type;
  v1::ServerMessage over;
  auto* body = over.mutable_game_over();
  body->set_room_id(room.id);
  body->set_outcome(forfeiting ? v1::OUTCOME_FORFEIT : winner ? v1::OUTCOME_WIN : v1::OUTCOME_DRAW);
  if (winner) body->set_winner_seat(*winner);
  if (forfeiting) body->set_forfeiting_seat(*forfeiting);
  fill_allocations(room, body->mutable_allocations());
  body->set_rake(format_units(rake, type.decimals));
  body->set_game_number(room.game_number);
  body->set_series_continues(continues);
  body->set_final_state(room.game->public_view(std::nullopt));
  broadcast(room, over);
  if (!type.is_series()) return;
  v1::ServerMessage progress;
  auto* p = progress.mutable_series_progress();
  p->set_room_id(room.id);
  p->set_games_played(room.game_number);
  p->set_games_total(type.games_per_session);
  for (const auto& seat : room.seats) p->add_wins_by_seat(seat.wins);
  p->set_draws(room.draws);
  fill_allocations(room, p->mutable_balances());
  p->set_series_over(!continues);
  broadcast(room, progress);
}

void RoomManager::close_session(const RoomPtr& room) {
  if (room->state != v1::ROOM_STATE_PLAYING) return;
  set_state(room, v1::ROOM_STATE_CLOSING);
  room->turn_deadline_ms = 0;
  for (auto& seat : room->seats) seat.away_deadline_ms = 0;
  broadcast_room_update(*room);
  // No checkpoint first: the close carries the final allocations and session data itself, so one would cost a
  // signature, a reply to verify and two frames per game and make nothing more durable. (It also raced the close
  // at the node.)
  clearnode::CloseAppSessionParams params;
  params.app_session_id = room->app_session_id;
  params.allocations = allocations(*room);
  params.session_data = session_data(*room);
  json record = {{"app_session_id", room->app_session_id}, {"allocations", json::array()},
                 {"session_data", params.session_data.value_or("")}};
  for (const auto& a : params.allocations) {
    record["allocations"].push_back({{"participant", a.participant}, {"asset", a.asset}, {"amount", a.amount.to_string()}});
  }
  // Intent before action: a restart re-sends exactly these allocations, never others.
  journal_then(room, "close_intent", record.dump(), [this, room, params = std::move(params)]() mutable {
    if (room->forgotten) return;
    asio::co_spawn(strand_, close_until_done(room, std::move(params)), asio::detached);
  });
}

asio::awaitable<void> RoomManager::close_until_done(RoomPtr room, clearnode::CloseAppSessionParams params) {
  asio::steady_timer pause(strand_);
  std::chrono::milliseconds delay{250};
  for (;;) {
    if (room->forgotten || shut_down_) co_return;
    const auto started = Clock::now();
    try {
      co_await sessions_->close(params);
      metrics_->observe_clearnode("close_app_session", started);
      if (room->forgotten || shut_down_) co_return;
      session_closed(room);
      co_return;
    } catch (const ClearNodeError& failure) {
      metrics_->observe_clearnode("close_app_session", started);
      metrics_->clearnode_error(failure.kind());
      log(LogLevel::warning, "event=close_failed room=" + room->id + " kind=" +
                                 std::string(clearnode::to_string(failure.kind())) + " error=\"" + failure.what() +
                                 "\"");
    }
    // It may have been applied (a lost answer) or refused: the node's view of the session decides.
    try {
      const auto info = co_await sessions_->find(room->app_session_id);
      if (room->forgotten || shut_down_) co_return;
      if (info && info->status == "closed") {
        session_closed(room);
        co_return;
      }
    } catch (const ClearNodeError& failure) {
      metrics_->clearnode_error(failure.kind());
    }
    pause.expires_after(delay);
    co_await pause.async_wait(asio::use_awaitable);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(30));
  }
}

void RoomManager::session_closed(const RoomPtr& room) {
  set_state(room, v1::ROOM_STATE_CLOSED);
  metrics_->sessions_closed.increment();
  ++totals_.sessions_closed;
  v1::ServerMessage closed;
  auto* body = closed.mutable_session_closed();
  body->set_room_id(room->id);
  body->set_app_session_id(room->app_session_id);
  fill_allocations(*room, body->mutable_allocations());
  broadcast(*room, closed);
  broadcast_room_update(*room);
  log(LogLevel::info, "event=session_closed room=" + room->id + " app_session=" + room->app_session_id);
  journal_then(room, std::string(journal::kRoomFinishedKind), json{{"end", "closed"}}.dump(), [] {});
  forget_room(room);
}

void RoomManager::abort_room(const RoomPtr& room, v1::ErrorCode reason, const std::string& why) {
  if (room->forgotten) return;
  set_state(room, v1::ROOM_STATE_ABORTED);
  metrics_->aborted(reason);
  ++totals_.rooms_aborted;
  v1::ServerMessage aborted;
  auto* body = aborted.mutable_room_aborted();
  body->set_room_id(room->id);
  body->set_reason(reason);
  body->set_message(why);
  body->set_nothing_locked(true);
  broadcast(*room, aborted);
  broadcast_room_update(*room);
  log(LogLevel::info, "event=room_aborted room=" + room->id + " reason=" + v1::ErrorCode_Name(reason) + " why=\"" +
                          why + "\"");
  if (room->proposal) {
    journal_then(room, std::string(journal::kRoomFinishedKind),
                 json{{"end", "aborted"}, {"reason", v1::ErrorCode_Name(reason)}}.dump(), [] {});
  }
  forget_room(room);
}

void RoomManager::forget_room(const RoomPtr& room) {
  if (room->forgotten) return;
  room->forgotten = true;
  if (room->state != v1::ROOM_STATE_CLOSED && room->state != v1::ROOM_STATE_ABORTED) {
    metrics_->rooms[room->state]->add(-1);
  }
  room->timer.cancel();
  for (const auto& seat : room->seats) index_seat(seat.address_text, room->id, false);
  for (const auto& [id, spectator] : room->spectators) {
    const auto it = spectating_.find(id);
    if (it != spectating_.end()) it->second.erase(room->id);
  }
  auto& waiting = waiting_by_type_[room->type->id];
  waiting.erase(std::remove(waiting.begin(), waiting.end(), room->id), waiting.end());
  rooms_.erase(room->id);
  room->seats.clear();
  room->spectators.clear();

  // Prune expired tombstones now and then (cheap: only on room ends).
  const auto now = now_ms();
  for (auto it = tombstones_.begin(); it != tombstones_.end();) {
    it = it->second.expires_ms <= now ? tombstones_.erase(it) : std::next(it);
  }
}

void RoomManager::set_state(const RoomPtr& room, v1::RoomState state) {
  if (room->state == state) return;
  const auto counted = [](v1::RoomState s) { return s != v1::ROOM_STATE_CLOSED && s != v1::ROOM_STATE_ABORTED; };
  if (counted(room->state)) metrics_->rooms[room->state]->add(-1);
  if (counted(state)) metrics_->rooms[state]->add(1);
  room->state = state;
}

// ---- checkpoints -------------------------------------------------------------------------------------------------

void RoomManager::checkpoint(const RoomPtr& room, bool announce, bool routine) {
  if (room->app_session_id.empty()) return;
  room->moves_since_checkpoint = 0;
  room->last_checkpoint_ms = now_ms();
  if (routine && room->checkpoints_in_flight > 0) {
    room->routine_checkpoint_waiting = true;
    return;
  }
  if (room->version_uncertain && room->resyncing) return;  // the close carries the final state anyway
  clearnode::SubmitAppStateParams params;
  params.app_session_id = room->app_session_id;
  params.allocations = allocations(*room);
  params.session_data = session_data(*room);
  params.intent = clearnode::Intent::operate;
  params.version = room->version_uncertain ? 0 : ++room->version;  // 0: learn the version from the node first
  asio::co_spawn(strand_, submit_checkpoint(room, std::move(params), announce), asio::detached);
}

asio::awaitable<void> RoomManager::submit_checkpoint(RoomPtr room, clearnode::SubmitAppStateParams params,
                                                     bool announce) {
  ++room->checkpoints_in_flight;
  co_await submit_checkpoint_once(room, std::move(params), announce);
  --room->checkpoints_in_flight;
  if (room->checkpoints_in_flight == 0 && std::exchange(room->routine_checkpoint_waiting, false) &&
      room->state == v1::ROOM_STATE_PLAYING && !room->forgotten && !shut_down_) {
    checkpoint(room, true, true);
  }
}

asio::awaitable<void> RoomManager::submit_checkpoint_once(RoomPtr room, clearnode::SubmitAppStateParams params,
                                                          bool announce) {
  try {
    if (*params.version == 0) {
      room->resyncing = true;
      const auto info = co_await sessions_->find(room->app_session_id);
      room->resyncing = false;
      if (!info || info->status != "open") co_return;
      room->version = info->version + 1;
      room->version_uncertain = false;
      params.version = room->version;
    }
    const auto started = Clock::now();
    const auto result = co_await sessions_->submit_state(params);
    metrics_->observe_clearnode("submit_app_state", started);
    metrics_->checkpoints.increment();
    if (room->forgotten && room->state != v1::ROOM_STATE_CLOSED) co_return;
    journal_then(room, "checkpoint", json{{"version", result.version}}.dump(), [] {});
    if (announce && room->state != v1::ROOM_STATE_CLOSED) {
      v1::ServerMessage message;
      message.mutable_state_checkpointed()->set_room_id(room->id);
      message.mutable_state_checkpointed()->set_version(result.version);
      broadcast(*room, message);
    }
  } catch (const ClearNodeError& failure) {
    room->resyncing = false;
    metrics_->checkpoint_failures.increment();
    metrics_->clearnode_error(failure.kind());
    if (shut_down_) co_return;
    room->version_uncertain = true;
    log(LogLevel::warning, "event=checkpoint_failed room=" + room->id + " kind=" +
                               std::string(clearnode::to_string(failure.kind())) + " error=\"" + failure.what() + "\"");
  }
}

// ---- timers ------------------------------------------------------------------------------------------------------

void RoomManager::arm_timer(const RoomPtr& room) {
  if (room->forgotten || shut_down_) return;
  std::uint64_t wake = UINT64_MAX;
  if (room->state == v1::ROOM_STATE_PROPOSING) wake = room->proposal_deadline_ms;
  if (room->state == v1::ROOM_STATE_PLAYING && !room->outcome_pending && !room->game_over_pending) {
    if (room->turn_deadline_ms) wake = std::min(wake, room->turn_deadline_ms);
    for (const auto& seat : room->seats) {
      if (seat.away_deadline_ms) wake = std::min(wake, seat.away_deadline_ms);
    }
    if (options_.checkpoint_every_ms && room->moves_since_checkpoint > 0) {
      wake = std::min(wake, room->last_checkpoint_ms + options_.checkpoint_every_ms);
    }
  }
  if (wake == UINT64_MAX) return;
  if (room->timer_at_ms != 0 && room->timer_at_ms <= wake) return;  // an earlier wake-up re-arms anyway
  room->timer_at_ms = wake;
  const auto generation = ++room->timer_generation;
  const auto now = now_ms();
  room->timer.expires_after(std::chrono::milliseconds(wake > now ? wake - now : 0));
  room->timer.async_wait(asio::bind_executor(
      strand_, [self = shared_from_this(), room, generation](const boost::system::error_code& error) {
        if (error || room->timer_generation != generation) return;
        room->timer_at_ms = 0;
        self->on_timer(room);
      }));
}

void RoomManager::on_timer(const RoomPtr& room) {
  if (room->forgotten || shut_down_) return;
  const auto now = now_ms();
  if (room->state == v1::ROOM_STATE_PROPOSING && now >= room->proposal_deadline_ms) {
    std::string late;
    for (std::size_t i = 0; i < room->seats.size(); ++i) {
      if (!room->seats[i].signature) late += (late.empty() ? "" : ",") + std::to_string(i);
    }
    return abort_room(room, v1::PROPOSAL_EXPIRED, "seat(s) " + late + " did not sign before the deadline");
  }
  if (room->state == v1::ROOM_STATE_PLAYING && !room->outcome_pending && !room->game_over_pending) {
    // Every seat whose window has passed by now. One: it forfeits. More than one (both players gone after a restart,
    // whose recovery gives every seat the same window, or a wake-up that came late): nobody stayed to win, so the
    // game is a draw rather than a loss for whichever seat happens to be numbered first.
    std::vector<unsigned> gone;
    for (std::size_t i = 0; i < room->seats.size(); ++i) {
      const auto& seat = room->seats[i];
      if (seat.away_deadline_ms && now >= seat.away_deadline_ms) gone.push_back(static_cast<unsigned>(i));
    }
    if (!gone.empty()) {
      auto& tomb = tombstones_[room->id];
      tomb.expires_ms = now + options_.tombstone_ms;
      std::string seats_text;
      for (const auto i : gone) {
        tomb.forfeited_away.insert(room->seats[i].address_text);
        seats_text += (seats_text.empty() ? "" : ",") + std::to_string(i);
      }
      log(LogLevel::info, "event=reconnect_window_passed room=" + room->id + " seats=" + seats_text);
      if (gone.size() == 1) return finish_game(room, other_seat(*room, gone.front()), gone.front(), false);
      return finish_game(room, std::nullopt, std::nullopt, false);
    }
    if (room->turn_deadline_ms) {
      if (const auto timeout = rooms::timeout_at(*room->game, room->type->seats, room->turn_deadline_ms, now)) {
        log(LogLevel::info, "event=turn_timeout room=" + room->id);
        const bool one_late = timeout->forfeiting.size() == 1;
        return finish_game(room, timeout->outcome.winner,
                           one_late ? std::optional<unsigned>(timeout->forfeiting.front()) : std::nullopt, true);
      }
    }
    if (options_.checkpoint_every_ms && room->moves_since_checkpoint > 0 &&
        now >= room->last_checkpoint_ms + options_.checkpoint_every_ms) {
      checkpoint(room, true, true);
    }
  }
  arm_timer(room);
}

// ---- journal -----------------------------------------------------------------------------------------------------

void RoomManager::journal_then(const RoomPtr& room, std::string kind, std::string payload,
                               std::function<void()> then, std::function<void(const std::string&)> on_failure) {
  if (!journal_) return then();
  const auto started = Clock::now();
  journal::Record record;
  record.room_id = room->id;
  record.kind = std::move(kind);
  record.payload = std::move(payload);
  record.at_unix_ms = static_cast<std::int64_t>(now_ms());
  journal::Journal::Completion done = [self = shared_from_this(), then = std::move(then),
                                       on_failure = std::move(on_failure),
                                       started](std::optional<std::string> error, std::uint64_t) mutable {
    self->metrics_->journal_commit.observe_nanoseconds(
        static_cast<std::uint64_t>(std::chrono::nanoseconds(Clock::now() - started).count()));
    bool post_drain = false;
    {
      std::lock_guard lock(self->journal_inbox_mutex_);
      self->journal_inbox_.push_back({std::move(then), std::move(on_failure), std::move(error)});
      post_drain = !std::exchange(self->journal_drain_posted_, true);
    }
    if (post_drain) asio::post(self->strand_, [self] { self->drain_journal_inbox(); });
  };
  journal_outbox_.push_back({std::move(record), std::move(done)});
  if (!std::exchange(journal_outbox_flush_posted_, true)) {
    asio::post(strand_, [self = shared_from_this()] { self->flush_journal_outbox(); });
  }
}

void RoomManager::flush_journal_outbox() {
  journal_outbox_flush_posted_ = false;
  if (journal_ && !journal_outbox_.empty()) journal_->append_all(std::exchange(journal_outbox_, {}));
}

// On the strand: the completions that arrived since the last drain, in commit order, at most kJournalDrainChunk per
// turn so that a large group commit does not hold the event loop for one long turn.
void RoomManager::drain_journal_inbox() {
  constexpr std::size_t kJournalDrainChunk = 128;
  std::vector<JournalDone> done;
  bool more = false;
  {
    std::lock_guard lock(journal_inbox_mutex_);
    if (journal_inbox_.size() <= kJournalDrainChunk) {
      done.swap(journal_inbox_);
      journal_drain_posted_ = false;
    } else {
      const auto split = journal_inbox_.begin() + static_cast<std::ptrdiff_t>(kJournalDrainChunk);
      done.assign(std::make_move_iterator(journal_inbox_.begin()), std::make_move_iterator(split));
      journal_inbox_.erase(journal_inbox_.begin(), split);
      more = true;  // journal_drain_posted_ stays set: this drain posts the next
    }
  }
  if (more) asio::post(strand_, [self = shared_from_this()] { self->drain_journal_inbox(); });
  for (auto& item : done) {
    if (item.error) {
      metrics_->journal_failures.increment();
      log(LogLevel::error, "event=journal_failed error=\"" + *item.error + "\"");
      if (item.on_failure) {
        item.on_failure(*item.error);
        continue;
      }
      // A record whose loss costs only replay (a move): play goes on, loudly.
    }
    item.then();
  }
}

// ---- messages ----------------------------------------------------------------------------------------------------

v1::ServerMessage RoomManager::game_state_message(const Room& room, std::optional<unsigned> viewer,
                                                  std::uint64_t request_id) {
  auto message = answer(request_id);
  auto* state = message.mutable_game_state();
  state->set_room_id(room.id);
  state->set_room_type(room.type->id);
  state->set_room_state(room.state);
  state->set_game(std::string(room.type->game->name()));
  if (room.game) {
    state->set_state(room.game->public_view(viewer));
    for (auto s : room.game->to_move()) state->add_to_move(s);
  }
  state->set_seq(room.seq);
  state->set_turn_deadline_ms(room.turn_deadline_ms);
  fill_players(room, state->mutable_players());
  state->set_game_number(room.game_number);
  fill_allocations(room, state->mutable_balances(), room.game_over_pending);
  state->set_app_session_id(room.app_session_id);
  if (viewer) state->set_your_seat(*viewer);
  return message;
}

void RoomManager::fill_players(const Room& room, google::protobuf::RepeatedPtrField<v1::Player>* out) const {
  for (std::size_t i = 0; i < room.seats.size(); ++i) {
    auto* player = out->Add();
    player->set_seat(static_cast<std::uint32_t>(i));
    player->set_address(room.seats[i].address_text);
    player->set_connected(room.seats[i].link != nullptr);
  }
}

void RoomManager::fill_allocations(const Room& room, google::protobuf::RepeatedPtrField<v1::Allocation>* out,
                                   bool before_pending_result) const {
  for (const auto& allocation : allocations(room, before_pending_result)) {
    auto* item = out->Add();
    item->set_participant(allocation.participant);
    item->set_asset(allocation.asset);
    item->set_amount(allocation.amount.to_string());
  }
}

void RoomManager::broadcast(const Room& room, const v1::ServerMessage& message) {
  const auto frame = frame_of(message);
  for (const auto& seat : room.seats) {
    if (seat.link) seat.link->send_serialized(frame);
  }
  for (const auto& [id, spectator] : room.spectators) spectator->send_serialized(frame);
}

void RoomManager::broadcast_room_update(const Room& room) {
  v1::ServerMessage update;
  auto* body = update.mutable_room_update();
  body->set_room_id(room.id);
  body->set_state(room.state);
  fill_players(room, body->mutable_players());
  broadcast(room, update);
}

void RoomManager::send_error(const Link& link, std::uint64_t request_id, v1::ErrorCode code, const std::string& text,
                             const std::string& room_id) {
  auto error = gateway::make_error(request_id, code, text);
  if (!room_id.empty()) (*error.mutable_error()->mutable_context())["room_id"] = room_id;
  link->send(error);
}

void RoomManager::log(LogLevel level, const std::string& line) const {
  if (options_.log) options_.log(level, line);
}

// ---- lookups and small state -------------------------------------------------------------------------------------

RoomManager::RoomPtr RoomManager::find_room(const std::string& room_id) const {
  const auto it = rooms_.find(room_id);
  return it == rooms_.end() ? nullptr : it->second;
}

std::optional<std::size_t> RoomManager::seat_of(const Room& room, const crypto::Address& address) const {
  for (std::size_t i = 0; i < room.seats.size(); ++i) {
    if (room.seats[i].address == address) return i;
  }
  return std::nullopt;
}

void RoomManager::index_seat(const std::string& address, const std::string& room_id, bool seated) {
  std::lock_guard lock(seated_mutex_);
  if (seated) {
    seated_[address].insert(room_id);
    return;
  }
  const auto it = seated_.find(address);
  if (it == seated_.end()) return;
  it->second.erase(room_id);
  if (it->second.empty()) seated_.erase(it);
}

std::uint64_t RoomManager::now_ms() const {
  if (options_.now_ms) return options_.now_ms();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::uint64_t RoomManager::next_nonce() {
  // Unique across restarts without state: milliseconds × 1000 leaves room for 1000 proposals per millisecond and
  // stays below 2^53 (the node's JSON numbers are float64) for centuries.
  last_nonce_ = std::max(last_nonce_ + 1, now_ms() * 1000);
  return last_nonce_;
}

std::string RoomManager::session_data(const Room& room) const {
  json data = {{"game", std::string(room.type->game->name())}, {"game_number", room.game_number}, {"seq", room.seq}};
  if (room.game) data["state"] = room.game->serialize();
  return data.dump();
}

std::vector<clearnode::AppAllocation> RoomManager::allocations(const Room& room, bool before_pending_result) const {
  // Every participant, always: the node checks only totals, so an omitted holder would corrupt its books.
  const bool before = before_pending_result && room.balances_before_result;
  std::vector<clearnode::AppAllocation> out;
  const auto& type = *room.type;
  for (std::size_t i = 0; i < room.seats.size(); ++i) {
    const Units balance = before ? room.balances_before_result->first.at(i) : room.seats[i].balance;
    out.push_back({room.seats[i].address_text, type.asset, wire::Decimal::from_units(balance, type.decimals)});
  }
  out.push_back({umpire_text_, type.asset,
                 wire::Decimal::from_units(before ? room.balances_before_result->second : room.umpire_balance,
                                           type.decimals)});
  return out;
}

// ---- recovery ----------------------------------------------------------------------------------------------------

namespace {

// One room's journal folded into what recovery needs: the last proposal and what followed it.
struct JournaledRoom {
  json proposal;               // null: none
  bool create_intent = false;  // the last proposal's create was (or may have been) sent
  json close_intent;           // null: none
  struct Game {
    unsigned number = 0;
    std::uint64_t seed = 0;
    std::vector<std::pair<unsigned, std::string>> moves;
    json over;  // null: still being played
  };
  std::vector<Game> games;
  std::uint64_t seq = 0;
};

JournaledRoom fold_records(const std::vector<journal::Record>& records) {
  JournaledRoom room;
  for (const auto& record : records) {
    const auto payload = json::parse(record.payload, nullptr, false);
    if (!payload.is_object()) {
      throw std::runtime_error("journal record " + std::to_string(record.sequence) + " is not a JSON object");
    }
    if (record.kind == "proposal") {
      room.proposal = payload;
      room.create_intent = false;  // a new attempt: its create is not sent before its own intent is durable
    } else if (record.kind == "create_intent") {
      room.create_intent = room.proposal.is_object() &&
                           payload.value("app_session_id", "") == room.proposal.value("app_session_id", "");
    } else if (record.kind == "game_start") {
      JournaledRoom::Game game;
      game.number = payload.at("game").get<unsigned>();
      game.seed = payload.at("seed").get<std::uint64_t>();
      room.games.push_back(std::move(game));
      room.seq = payload.at("seq").get<std::uint64_t>();
    } else if (record.kind == "move") {
      if (room.games.empty() || room.games.back().number != payload.at("game").get<unsigned>()) {
        throw std::runtime_error("journal record " + std::to_string(record.sequence) + ": a move outside its game");
      }
      room.games.back().moves.emplace_back(payload.at("seat").get<unsigned>(), payload.at("move").get<std::string>());
      room.seq = payload.at("seq").get<std::uint64_t>();
    } else if (record.kind == "game_over") {
      if (room.games.empty()) {
        throw std::runtime_error("journal record " + std::to_string(record.sequence) + ": game_over without a game");
      }
      room.games.back().over = payload;
    } else if (record.kind == "close_intent") {
      room.close_intent = payload;
    }
  }
  return room;
}

// The players' addresses, in seat order, from the exact create request they signed (Umpire is last).
std::vector<std::string> seated_addresses(const json& proposal) {
  auto params = json::parse(proposal.at("request").get<std::string>()).at(2);
  if (params.is_array()) params = params.at(0);
  const auto& participants = params.at("definition").at("participants");
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < participants.size(); ++i) out.push_back(participants.at(i).get<std::string>());
  return out;
}

// The close exactly as journaled before it was first sent.
clearnode::CloseAppSessionParams close_params_from(const json& close_intent, const std::string& app_session_id) {
  clearnode::CloseAppSessionParams params;
  params.app_session_id = app_session_id;
  for (const auto& allocation : close_intent.at("allocations")) {
    const auto amount = wire::Decimal::parse(allocation.at("amount").get<std::string>());
    if (!amount) throw std::runtime_error("a journaled close amount is not a decimal");
    clearnode::AppAllocation out;
    out.participant = allocation.at("participant").get<std::string>();
    out.asset = allocation.at("asset").get<std::string>();
    out.amount = *amount;
    params.allocations.push_back(std::move(out));
  }
  if (const auto data = close_intent.value("session_data", ""); !data.empty()) params.session_data = data;
  return params;
}

std::optional<unsigned> optional_seat(const json& over, const char* key) {
  if (!over.contains(key)) return std::nullopt;
  return over.at(key).get<unsigned>();
}

}  // namespace

asio::awaitable<RecoveryReport> RoomManager::recover() {
  auto self = shared_from_this();
  // A named body, never a lambda temporary inside the co_await: GCC 12 destroys those twice (GCC PR 99576),
  // which released the captured `self` twice and freed the manager while the server still owned it.
  auto body = [self]() -> asio::awaitable<RecoveryReport> {
    RecoveryReport report;
    std::set<std::string> known;  // app sessions the journal accounts for
    if (self->journal_) {
      const auto unfinished = self->journal_->unfinished_room_records();  // named: no temporary across co_await
      for (const auto& room : unfinished) {
        const auto& room_id = room.room_id;
        const auto& records = room.records;
        for (const auto& record : records) {
          if (record.kind != "proposal") continue;
          const auto payload = json::parse(record.payload, nullptr, false);
          if (payload.is_object()) known.insert(payload.value("app_session_id", ""));
        }
        std::string failure;
        try {
          switch (co_await self->recover_room(room_id, records)) {
            case Recovered::resumed: ++report.resumed; break;
            case Recovered::closing: ++report.closing; break;
            case Recovered::aborted: ++report.aborted; break;
            case Recovered::already_closed: ++report.already_closed; break;
          }
        } catch (const ClearNodeError&) {
          throw;  // the node cannot be asked: start-up fails and is retried (systemd restarts us)
        } catch (const std::exception& error) {
          failure = error.what();
        }
        if (!failure.empty()) self->end_unrecoverable(room_id, failure);
      }
    }
    for (const auto& info : co_await self->sessions_->open_sessions()) {
      if (known.count(info.app_session_id)) continue;
      report.unknown_open_sessions.push_back(info.app_session_id);
      self->log(LogLevel::error, "event=unknown_open_session app_session=" + info.app_session_id +
                                     " action=\"left alone; `umpire sessions` lists and closes it\"");
    }
    self->metrics_->registry
        .gauge("umpire_unknown_open_sessions",
               "Open app sessions with Umpire as participant that the journal does not know (at start-up)")
        .set(static_cast<std::int64_t>(report.unknown_open_sessions.size()));
    co_return report;
  };
  RecoveryReport result = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return result;
}

void RoomManager::end_unrecoverable(const std::string& room_id, const std::string& why) {
  // Left unfinished in the journal, so it is tried again at the next start and stays visible; its session, if
  // open, is an operator's to close (`umpire sessions close ID --refund`).
  metrics_->registry.counter("umpire_recovery_failures_total", "Journaled rooms that could not be recovered").increment();
  log(LogLevel::error, "event=recovery_failed room=" + room_id + " error=\"" + why + "\"");
}

asio::awaitable<RoomManager::Recovered> RoomManager::recover_room(const std::string& room_id,
                                                                  const std::vector<journal::Record>& records) {
  const auto journaled = fold_records(records);
  auto room = std::make_shared<Room>(strand_);
  room->id = room_id;
  auto finished = [&](const char* end, const std::string& why) {
    json payload = json::object();
    payload["end"] = end;
    payload["why"] = why;
    journal_then(room, std::string(journal::kRoomFinishedKind), payload.dump(), [] {});
    log(LogLevel::info, "event=recovered room=" + room_id + " end=" + end + " why=\"" + why + "\"");
  };
  if (!journaled.proposal.is_object()) {
    finished("aborted", "nothing was proposed");
    co_return Recovered::aborted;
  }
  const auto app_session_id = journaled.proposal.at("app_session_id").get<std::string>();
  if (!journaled.create_intent) {
    // A create is sent only once its intent is durable: nothing reached the node, nothing is locked.
    finished("aborted", "restarted before the app session was created");
    co_return Recovered::aborted;
  }

  // The room as it was: its rules as journaled, its seats as signed.
  if (journaled.proposal.contains("rules") && options_.games) {
    room->type = std::make_shared<const RoomType>(room_type_from_rules(journaled.proposal.at("rules"), *options_.games));
  } else if (const auto type = types_.find(journaled.proposal.value("type", "")); type != types_.end()) {
    room->type = type->second;
  } else {
    throw std::invalid_argument("its room type \"" + journaled.proposal.value("type", "") + "\" is unknown");
  }
  for (const auto& address : seated_addresses(journaled.proposal)) {
    Room::Seat seat;
    seat.address = crypto::Address::parse(address);
    seat.address_text = address;
    seat.balance = room->type->stake;
    room->seats.push_back(std::move(seat));
  }
  if (room->seats.size() != room->type->seats) throw std::invalid_argument("its seats do not match its rules");
  room->app_session_id = app_session_id;
  room->attempt = journaled.proposal.value("attempt", 1u);

  // Balances: every finished game through the same payout rules that paid it.
  for (const auto& game : journaled.games) {
    if (!game.over.is_null()) apply_game_result(*room, optional_seat(game.over, "winner"));
  }
  room->game_number = static_cast<unsigned>(journaled.games.size());
  room->seq = journaled.seq;
  if (!journaled.games.empty()) {
    const auto& last = journaled.games.back();
    room->game = room->type->game->create(last.seed);
    for (const auto& [seat, move] : last.moves) {
      if (room->game->apply(seat, move).rejection) {
        throw std::runtime_error("journaled move \"" + move + "\" of seat " + std::to_string(seat) + " does not apply");
      }
    }
    room->seq_at_game_start = room->seq - last.moves.size();
    room->moves_since_checkpoint = static_cast<unsigned>(last.moves.size());
  }

  auto install = [&](v1::RoomState state) {
    rooms_.emplace(room->id, room);
    metrics_->rooms[v1::ROOM_STATE_WAITING]->add(1);  // set_state moves the room out of "waiting"
    set_state(room, state);
    const auto now = now_ms();
    for (auto& seat : room->seats) {
      index_seat(seat.address_text, room->id, true);
      if (state == v1::ROOM_STATE_PLAYING) seat.away_deadline_ms = now + room->type->reconnect_ms;
    }
  };

  if (journaled.close_intent.is_object()) {
    // Re-sent exactly as journaled, never with other allocations.
    auto params = close_params_from(journaled.close_intent, app_session_id);
    install(v1::ROOM_STATE_CLOSING);
    log(LogLevel::info, "event=recovered room=" + room->id + " app_session=" + app_session_id + " end=closing");
    asio::co_spawn(strand_, close_until_done(room, std::move(params)), asio::detached);
    co_return Recovered::closing;
  }

  const auto info = co_await sessions_->find(app_session_id);
  if (!info) {
    finished("aborted", "the ClearNode never created the app session");
    co_return Recovered::aborted;
  }
  if (info->status != "open") {
    log(LogLevel::warning, "event=recovered_closed_elsewhere room=" + room->id + " app_session=" + app_session_id +
                               " status=" + info->status);
    finished("closed", "the app session was closed without Umpire's journaled close");
    co_return Recovered::already_closed;
  }
  room->version = info->version;
  install(v1::ROOM_STATE_PLAYING);
  metrics_->sessions_opened.increment();
  log(LogLevel::info, "event=recovered room=" + room->id + " app_session=" + app_session_id +
                          " end=resumed game=" + std::to_string(room->game_number) + " seq=" + std::to_string(room->seq) +
                          " version=" + std::to_string(room->version));

  // Go on where the journal ends: a first game, the next game, the close, or the game in progress.
  if (!room->game) {
    start_game(room);
    co_return Recovered::resumed;
  }
  const auto& last = journaled.games.back();
  if (!last.over.is_null()) {
    const bool continues = last.over.value("continues", false);
    if (!continues) {
      close_session(room);
    } else {
      checkpoint(room, false);
      start_game(room);
    }
    co_return Recovered::resumed;
  }
  room->awaited = room->game->to_move();
  room->turn_deadline_ms = now_ms() + room->type->turn_ms;  // a fresh turn: the players were cut off too
  room->last_checkpoint_ms = now_ms();
  const auto outcome = room->game->outcome();
  if (outcome.kind != rooms::Outcome::Kind::ongoing) {
    // The deciding move was durable, its game_over was not: decide it again, the same way.
    finish_game(room, outcome.winner, std::nullopt, true);
  } else {
    arm_timer(room);
  }
  co_return Recovered::resumed;
}

// ---- operations --------------------------------------------------------------------------------------------------

asio::awaitable<void> RoomManager::start_draining() {
  auto self = shared_from_this();
  // named, not a temporary in the co_await: see recover()
  auto body = [self]() -> asio::awaitable<void> {
    self->draining_ = true;
    std::vector<RoomPtr> all;
    for (const auto& [id, room] : self->rooms_) all.push_back(room);
    for (const auto& room : all) {
      if (room->state == v1::ROOM_STATE_WAITING) {
        self->abort_room(room, v1::DRAINING, "the server is shutting down; no new games");
        continue;
      }
      v1::ServerMessage notice;
      notice.mutable_server_notice()->set_kind(v1::NOTICE_KIND_DRAINING);
      notice.mutable_server_notice()->set_room_id(room->id);
      notice.mutable_server_notice()->set_message("the server is draining: this game goes on; no new games");
      self->broadcast(*room, notice);
    }
    co_return;
  };
  co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<void> RoomManager::reload_catalog(std::vector<RoomType> room_types) {
  for (const auto& type : room_types) type.validate();
  auto self = shared_from_this();
  // named, not a temporary in the co_await: see recover()
  auto body = [self, room_types = std::move(room_types)]() -> asio::awaitable<void> {
    self->types_.clear();
    for (const auto& type : room_types) self->types_[type.id] = std::make_shared<const RoomType>(type);
    self->log(LogLevel::info, "event=catalog_reloaded room_types=" + std::to_string(room_types.size()));
    co_return;
  };
  co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<void> RoomManager::checkpoint_all() {
  auto self = shared_from_this();
  // named, not a temporary in the co_await: see recover()
  auto body = [self]() -> asio::awaitable<void> {
    // Shared by the workers below and this wait; everything runs on the strand.
    struct Batch {
      explicit Batch(asio::strand<asio::any_io_executor> strand) : all_done(strand) {}
      std::vector<RoomPtr> rooms;
      std::size_t next = 0;       // rooms[0, next) are taken by a worker
      std::size_t workers = 0;    // workers still running
      asio::steady_timer all_done;  // never expires; the last worker cancels it
    };
    auto batch = std::make_shared<Batch>(self->strand_);
    for (const auto& [id, room] : self->rooms_) {
      if (room->state == v1::ROOM_STATE_PLAYING && !room->app_session_id.empty()) batch->rooms.push_back(room);
    }
    auto worker = [self, batch]() -> asio::awaitable<void> {
      while (batch->next < batch->rooms.size()) {
        const auto room = batch->rooms[batch->next++];
        if (room->state == v1::ROOM_STATE_PLAYING && !room->forgotten) {
          clearnode::SubmitAppStateParams params;
          params.app_session_id = room->app_session_id;
          params.allocations = self->allocations(*room);
          params.session_data = self->session_data(*room);
          params.intent = clearnode::Intent::operate;
          params.version = room->version_uncertain ? 0 : ++room->version;
          co_await self->submit_checkpoint(room, std::move(params), false);
        }
      }
      if (--batch->workers == 0) batch->all_done.cancel();
    };
    // No deadline of its own: each submit is bounded by the client's call timeouts, and a submit still pending
    // when the server stops would be destroyed with the event loop, after the ClearNode client's strand service
    // (a use-after-free under ASan, seen with a 15 s bound here).
    batch->all_done.expires_at(asio::steady_timer::time_point::max());
    batch->workers = std::min(batch->rooms.size(), std::max<std::size_t>(self->options_.final_checkpoint_window, 1));
    for (std::size_t i = 0; i < batch->workers; ++i) asio::co_spawn(self->strand_, worker, asio::detached);
    // co_spawn dispatches: on this strand a worker runs at once, up to its first suspension, and may even finish.
    // Hence the count, not the cancel, decides whether to wait; nothing runs between the check and the wait.
    if (batch->workers > 0) co_await batch->all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    self->flush_journal_outbox();  // the flush below must find every record made on the strand already queued
    co_return;
  };
  co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  if (journal_) journal_->flush();
}

asio::awaitable<void> RoomManager::shutdown() {
  auto self = shared_from_this();
  // named, not a temporary in the co_await: see recover()
  auto body = [self]() -> asio::awaitable<void> {
    self->shut_down_ = true;
    self->flush_journal_outbox();  // the server flushes the journal next; records made before this go with it
    for (auto& [id, room] : self->rooms_) {
      room->timer.cancel();
      for (auto& seat : room->seats) seat.link.reset();
      room->spectators.clear();
    }
    self->spectating_.clear();
    co_return;
  };
  co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
}

asio::awaitable<RefereeCounts> RoomManager::counts() {
  auto self = shared_from_this();
  // named, not a temporary in the co_await: see recover()
  auto body = [self]() -> asio::awaitable<RefereeCounts> {
    RefereeCounts counts = self->totals_;
    for (const auto& [id, room] : self->rooms_) {
      ++counts.rooms_by_state[std::string(to_string(room->state))];
      if (room->state >= v1::ROOM_STATE_OPENING && room->state <= v1::ROOM_STATE_CLOSING) ++counts.active_games;
    }
    counts.games_finished = 0;
    for (const auto& [outcome, counter] : self->metrics_->games_finished) counts.games_finished += counter->value();
    co_return counts;
  };
  RefereeCounts result = co_await asio::co_spawn(strand_, std::move(body), asio::use_awaitable);
  co_return result;
}

}  // namespace umpire::referee
