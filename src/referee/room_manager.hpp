// referee/room_manager.hpp — Umpire's main job: the room manager and referee. It owns every room's life
// (waiting → proposing → opening → playing → closing → closed, or aborted with nothing locked), the app session
// behind each room (the players sign the exact create request; Umpire adds its signature, checkpoints and pays
// out), the moves (validated by the room's game, journaled, relayed with a sequence number), the timers (proposal
// deadline, turn timer, reconnection window) and the seats' connections (resume after a drop, spectators).
//
// Threading: all room state lives on one strand. A room's work is microseconds (validate, apply, serialize), so
// one strand is cheaper than a strand per room plus synchronisation of the cross-room indexes (quick-match,
// address → seats); ClearNode calls and journal commits are asynchronous and resume on the strand. The only state
// read off the strand is the address → rooms index, for LoginOk, under a small mutex.
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/player_service.hpp"
#include "journal/journal.hpp"
#include "ops/metrics.hpp"
#include "referee/room_type.hpp"
#include "referee/session_port.hpp"
#include "rooms/registry.hpp"

namespace umpire::referee {

namespace asio = boost::asio;

enum class LogLevel { debug, info, warning, error };
// One line per event, already formatted as key=value pairs; never contains a key or a token.
using EventLog = std::function<void(LogLevel, std::string_view)>;

struct RefereeOptions {
  crypto::Address umpire_address;      // the referee participant of every app session
  std::string application = "umpire";  // the definitions' `application` (must match the session key's)
  std::vector<RoomType> room_types;
  unsigned checkpoint_every_moves = 10;      // 0: only at the end of each game
  std::uint64_t checkpoint_every_ms = 30'000;  // 0: no time-based checkpoints
  std::size_t max_move_bytes = 64;           // a longer move text is MALFORMED_MOVE without reaching the game
  std::size_t final_checkpoint_window = 64;  // checkpoint_all's submits in flight at once
  std::uint64_t tombstone_ms = 300'000;      // how long a finished room still answers Resume meaningfully
  std::function<std::uint64_t()> now_ms;     // Unix ms; null: the system clock
  std::function<std::uint64_t()> random64;   // nonces, seeds, room ids; null: seeded from std::random_device
  // The games by name, for rooms recovered from the journal (their rules are journaled, their type may be gone
  // from the catalog). May be null when there is no journal.
  const rooms::GameRegistry* games = nullptr;
  EventLog log;
};

// What start-up recovery found in the journal and at the ClearNode.
struct RecoveryReport {
  std::size_t resumed = 0;          // open sessions whose rooms wait for their players again
  std::size_t closing = 0;          // closes journaled but not confirmed: re-sent with the journaled allocations
  std::size_t aborted = 0;          // proposals never created at the node: ended with nothing locked
  std::size_t already_closed = 0;   // journaled as open, found closed at the node
  std::vector<std::string> unknown_open_sessions;  // open, with Umpire as participant, unknown to the journal
};

struct RefereeCounts {
  std::map<std::string, std::size_t> rooms_by_state;  // waiting, proposing, …
  std::size_t active_games = 0;                       // rooms whose app session is open (opening…closing)
  std::uint64_t games_finished = 0;
  std::uint64_t sessions_closed = 0;
  std::uint64_t rooms_aborted = 0;
};

class RoomManager final : public gateway::PlayerService, public std::enable_shared_from_this<RoomManager> {
 public:
  // `journal` and `metrics` may be null (tests, the journal-off benchmark). Throws std::invalid_argument for an
  // invalid room type.
  static std::shared_ptr<RoomManager> create(asio::any_io_executor executor, RefereeOptions options,
                                             std::shared_ptr<SessionPort> sessions, journal::Journal* journal,
                                             ops::Registry* metrics);
  ~RoomManager() override;

  // gateway::PlayerService
  std::vector<std::string> on_login(const std::shared_ptr<gateway::PlayerLink>& link) override;
  void on_message(const std::shared_ptr<gateway::PlayerLink>& link, const v1::ClientMessage& message) override;
  void on_disconnect(const std::shared_ptr<gateway::PlayerLink>& link) override;

  // Start-up, before any player connects: rebuilds every unfinished room of the journal and reconciles it with the
  // ClearNode (resume, re-send a journaled close, or end a proposal that was never created), and reports open
  // sessions the journal does not know (left alone: `umpire sessions` is the operator's tool for those). Throws
  // clearnode::ClearNodeError if the node cannot be asked.
  asio::awaitable<RecoveryReport> recover();

  // Stops new joins (JoinRoom gets DRAINING, waiting rooms are aborted, players are told); games go on.
  asio::awaitable<void> start_draining();
  // Replaces the catalog (SIGHUP). Rooms of a removed or changed type finish under their old rules.
  asio::awaitable<void> reload_catalog(std::vector<RoomType> room_types);
  // Submits the current state of every playing room to the ClearNode and waits for the journal (end of a drain).
  // The submits run side by side (at most final_checkpoint_window at a time): with the ClearNode unreachable each
  // fails at its call timeout, and a stop must not take one timeout per room in turn. Rooms left unconfirmed lose
  // nothing: their moves are in the journal and the next start resumes them.
  asio::awaitable<void> checkpoint_all();
  // Cancels every timer and forgets every link; nothing is closed (the journal keeps what a restart needs).
  asio::awaitable<void> shutdown();
  asio::awaitable<RefereeCounts> counts();

  struct Room;  // defined in room_manager.cpp

 private:
  RoomManager(asio::any_io_executor executor, RefereeOptions options, std::shared_ptr<SessionPort> sessions,
              journal::Journal* journal, ops::Registry* metrics);

  using Link = std::shared_ptr<gateway::PlayerLink>;
  using RoomPtr = std::shared_ptr<Room>;

  // Message handlers, on the strand.
  void dispatch(const Link& link, const v1::ClientMessage& message);
  void handle_list_rooms(const Link& link, std::uint64_t request_id);
  void handle_join(const Link& link, std::uint64_t request_id, const v1::JoinRoom& join);
  void handle_leave(const Link& link, std::uint64_t request_id, const v1::LeaveRoom& leave);
  void handle_spectate(const Link& link, std::uint64_t request_id, const v1::Spectate& spectate);
  void handle_sign(const Link& link, std::uint64_t request_id, const v1::SignProposal& sign);
  void handle_decline(const Link& link, std::uint64_t request_id, const v1::DeclineProposal& decline);
  void handle_move(const Link& link, std::uint64_t request_id, const v1::Move& move);
  void handle_get_state(const Link& link, std::uint64_t request_id, const v1::GetGameState& get);
  void handle_resume(const Link& link, std::uint64_t request_id, const v1::Resume& resume);
  void handle_disconnect(const Link& link);

  // Room life.
  RoomPtr open_room(std::shared_ptr<const RoomType> type);
  void seat_player(const RoomPtr& room, const Link& link, std::uint64_t request_id);
  void free_seat(const RoomPtr& room, std::size_t seat);
  void start_proposal(const RoomPtr& room);
  void all_signed(const RoomPtr& room);
  asio::awaitable<void> open_session(RoomPtr room);
  asio::awaitable<bool> resolve_unknown_create(RoomPtr room);
  void session_opened(const RoomPtr& room, std::uint64_t version);
  void start_game(const RoomPtr& room);
  void finish_game(const RoomPtr& room, std::optional<unsigned> winner, std::optional<unsigned> forfeiting,
                   bool series_may_continue);
  struct GameSettlement {
    Units rake = 0;                    // what this game added to Umpire's allocation
    bool balances_cover_wager = true;  // every seat can cover another game's wager
  };
  // Moves the room's allocations by one game's result (the payout rules); shared by play and recovery.
  GameSettlement apply_game_result(Room& room, std::optional<unsigned> winner);
  bool series_continues(const Room& room, bool series_may_continue, bool balances_cover_wager) const;
  void announce_game_over(const Room& room, std::optional<unsigned> winner, std::optional<unsigned> forfeiting,
                          bool continues, Units rake);
  // Recovery of one room from its journal records; returns what became of it.
  enum class Recovered { resumed, closing, aborted, already_closed };
  asio::awaitable<Recovered> recover_room(const std::string& room_id, const std::vector<journal::Record>& records);
  void end_unrecoverable(const std::string& room_id, const std::string& why);
  void close_session(const RoomPtr& room);
  asio::awaitable<void> close_until_done(RoomPtr room, clearnode::CloseAppSessionParams params);
  void session_closed(const RoomPtr& room);
  void abort_room(const RoomPtr& room, v1::ErrorCode reason, const std::string& why);
  void forget_room(const RoomPtr& room);
  void set_state(const RoomPtr& room, v1::RoomState state);

  // Checkpoints, off the relay path.
  // `routine`: a checkpoint by count or time, which waits for one already in flight (see Room). Game ends and the
  // final state before a close are never coalesced.
  void checkpoint(const RoomPtr& room, bool announce, bool routine = false);
  asio::awaitable<void> submit_checkpoint(RoomPtr room, clearnode::SubmitAppStateParams params, bool announce);
  asio::awaitable<void> submit_checkpoint_once(RoomPtr room, clearnode::SubmitAppStateParams params, bool announce);

  // Timers.
  void arm_timer(const RoomPtr& room);
  void on_timer(const RoomPtr& room);

  // Appends a record and runs `then` on the strand once it is durable (at once without a journal). If the append
  // fails, `on_failure` runs
  // instead when given (records that must precede an action: the action is not taken); otherwise `then` still runs
  // and the failure is logged and counted (records whose loss costs only replay).
  void journal_then(const RoomPtr& room, std::string kind, std::string payload, std::function<void()> then,
                    std::function<void(const std::string&)> on_failure = nullptr);

  // Messages.
  v1::ServerMessage game_state_message(const Room& room, std::optional<unsigned> viewer, std::uint64_t request_id);
  void fill_players(const Room& room, google::protobuf::RepeatedPtrField<v1::Player>* out) const;
  // before_pending_result: while a game's end is being journaled, the balances before it (what GameState shows).
  void fill_allocations(const Room& room, google::protobuf::RepeatedPtrField<v1::Allocation>* out,
                        bool before_pending_result = false) const;
  void broadcast(const Room& room, const v1::ServerMessage& message);
  void broadcast_room_update(const Room& room);
  void send_error(const Link& link, std::uint64_t request_id, v1::ErrorCode code, const std::string& text,
                  const std::string& room_id = {});
  void log(LogLevel level, const std::string& line) const;

  // Lookups.
  RoomPtr find_room(const std::string& room_id) const;
  std::optional<std::size_t> seat_of(const Room& room, const crypto::Address& address) const;
  void index_seat(const std::string& address, const std::string& room_id, bool seated);

  std::uint64_t now_ms() const;
  std::uint64_t next_nonce();
  std::string session_data(const Room& room) const;
  std::vector<clearnode::AppAllocation> allocations(const Room& room, bool before_pending_result = false) const;

  RefereeOptions options_;
  std::string umpire_text_;  // options_.umpire_address checksummed once: it goes into every game state's balances
  std::shared_ptr<SessionPort> sessions_;
  journal::Journal* journal_;
  asio::strand<asio::any_io_executor> strand_;

  // Strand-only state.
  std::map<std::string, std::shared_ptr<const RoomType>> types_;
  std::unordered_map<std::string, RoomPtr> rooms_;
  std::map<std::string, std::vector<std::string>> waiting_by_type_;  // quick-match candidates, oldest first
  std::unordered_map<std::uint64_t, std::set<std::string>> spectating_;  // connection id → rooms
  struct Tombstone {
    std::set<std::string> forfeited_away;  // addresses that lost their seat to the reconnection window
    std::uint64_t expires_ms = 0;
  };
  std::unordered_map<std::string, Tombstone> tombstones_;
  bool draining_ = false;
  bool shut_down_ = false;
  std::uint64_t last_nonce_ = 0;
  std::uint64_t room_counter_ = 0;
  std::string room_prefix_;
  std::function<std::uint64_t()> random64_;
  RefereeCounts totals_;

  // Journal completions, filled on the journal's writer thread and run on the strand. One post per batch, not per
  // record: a post from another thread can wake the event loop (a system call and a context switch each), and a
  // group commit completes hundreds of moves at once.
  struct JournalDone {
    std::function<void()> then;
    std::function<void(const std::string&)> on_failure;
    std::optional<std::string> error;
  };
  std::mutex journal_inbox_mutex_;
  std::vector<JournalDone> journal_inbox_;
  bool journal_drain_posted_ = false;
  void drain_journal_inbox();

  // Records made on the strand, handed to the journal together by one flush posted behind the handlers already
  // queued: moves from many connections read in one pass of the event loop become one hand-off and one wake-up of
  // the writer, which shares the server's CPU (waking it per move preempted the loop and kept batches small).
  // Strand only. Flushed before anything that must see earlier records queued (journal flush, shutdown).
  std::vector<journal::Journal::Entry> journal_outbox_;
  bool journal_outbox_flush_posted_ = false;
  void flush_journal_outbox();

  // Read by on_login from connection strands.
  mutable std::mutex seated_mutex_;
  std::unordered_map<std::string, std::set<std::string>> seated_;  // address → room ids

  // Metrics (null-safe: pointers into the registry, or into private fallbacks).
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

std::string_view to_string(v1::RoomState state);

}  // namespace umpire::referee
