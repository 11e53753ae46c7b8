// bots/bot.hpp — one load-test player: its own wallet, one connection (re-made when dropped), and a loop that
// quick-matches into the run's room type, checks and signs the proposal, plays legal moves on a local mirror of
// the game, reports every game's result to the run's book, and joins again until the budget is spent.
//
// Concurrency: a bot lives on its own strand. A reader coroutine turns frames into inbox entries; the bot's loop is
// the only writer, so the client library's one-reader-one-writer contract holds. wake() (from any thread) pushes a
// nudge into the inbox so that a bot blocked on the network re-reads the run's finishing/aborting flags.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bots/payout_check.hpp"
#include "bots/run_context.hpp"
#include "client/player_client.hpp"
#include "client/proposal_check.hpp"
#include "crypto/signer.hpp"
#include "rooms/game.hpp"

namespace umpire::bots {

// One think before a move: uniform from mean/2 to 3·mean/2 by `draw` (any 64-bit value), so the mean is `mean` and
// rooms that started together drift apart (see BotBehaviour::think).
std::chrono::microseconds think_time(std::chrono::milliseconds mean, std::uint64_t draw);

class Bot : public std::enable_shared_from_this<Bot> {
 public:
  Bot(RunContext& run, unsigned index, std::shared_ptr<crypto::KeySigner> wallet, asio::any_io_executor executor);

  // Plays until the budget is spent or the run finishes or aborts. co_spawn it on executor().
  asio::awaitable<void> run();
  // Thread-safe: makes the bot re-read the run's flags soon.
  void wake();

  asio::any_io_executor executor() const { return strand_; }
  const std::shared_ptr<crypto::KeySigner>& wallet() const { return wallet_; }
  // Problems by kind; read after run() has finished.
  const std::map<std::string, std::uint64_t>& errors() const { return errors_; }

 private:
  struct Inbound {
    enum class Kind { message, wake, lost };
    Kind kind = Kind::message;
    std::uint64_t connection = 0;  // which connection it came from (entries of a dropped one are skipped)
    v1::ServerMessage message;
  };
  using Inbox = asio::experimental::channel<void(boost::system::error_code, Inbound)>;

  struct PendingMove {
    std::uint64_t request_id = 0;
    std::string move;
    std::chrono::steady_clock::time_point sent;
  };

  // The bot's seat in one room, from JoinRoom until the room ends for it.
  struct Seat {
    std::string room_id;              // empty until Joined (or the proposal) names it
    std::uint64_t join_request = 0;
    std::uint64_t leave_request = 0;
    std::uint64_t resume_request = 0;
    std::optional<unsigned> seat;
    bool leaving = false;
    std::size_t seats_taken = 0;      // from Joined and RoomUpdate: a full room's proposal is already on its way
    bool proposal_pending = false;    // a proposal was signed; SessionOpened not yet seen
    std::chrono::steady_clock::time_point proposal_received;
    bool session_open = false;
    Allocations allocations;          // the session's allocations after the last game (seats…, Umpire)
    bool allocations_known = false;   // false after a reconnect until a GameState brings them
    std::uint32_t game_number = 0;
    std::uint64_t last_seq = 0;
    std::vector<std::uint32_t> to_move;
    std::unique_ptr<rooms::GameState> mirror;  // this bot's copy of the game; hidden moves are guessed
    bool mirror_exact = false;        // no guessed (hidden) move in the mirror: a refused relay is a desync
    std::optional<PendingMove> pending;
  };

  // Connection.
  asio::awaitable<std::optional<v1::LoginOk>> connect();
  asio::awaitable<bool> reconnect();
  asio::awaitable<void> read_loop(std::shared_ptr<Bot> self, std::shared_ptr<client::PlayerClient> client,
                                  std::uint64_t connection);
  asio::awaitable<void> disconnect();
  // Numbers the message (the id is last_request_id_ when this returns) and writes it, paced unless `paced` says
  // the caller already waited for a token.
  asio::awaitable<std::uint64_t> send(v1::ClientMessage message, bool paced = false);
  asio::awaitable<void> pace();
  asio::awaitable<void> sleep(std::chrono::steady_clock::duration duration);

  // Room life.
  asio::awaitable<void> join();
  asio::awaitable<void> leave();
  asio::awaitable<void> request_state();
  asio::awaitable<void> handle(const v1::ServerMessage& message);
  bool should_leave_to_finish() const;
  asio::awaitable<void> on_wake();
  void on_joined(std::uint64_t request_id, const v1::Joined& joined);
  asio::awaitable<void> on_proposal(const v1::SessionProposal& proposal);
  void on_opened(const v1::SessionOpened& opened);
  asio::awaitable<void> on_game_state(std::uint64_t request_id, const v1::GameState& state);
  asio::awaitable<void> on_move_applied(std::uint64_t request_id, const v1::MoveApplied& applied);
  asio::awaitable<void> on_game_over(const v1::GameOver& over);
  void on_session_closed(const v1::SessionClosed& closed);
  void on_room_aborted(const v1::RoomAborted& aborted);
  void on_left(std::uint64_t request_id);
  asio::awaitable<void> on_error(std::uint64_t request_id, const v1::Error& error);
  asio::awaitable<void> maybe_move();
  std::optional<std::string> choose_move();

  bool in_room(const std::string& room_id) const { return room_ && !room_id.empty() && room_->room_id == room_id; }
  void count_error(const std::string& kind);

  RunContext& run_;
  const unsigned index_;
  const std::shared_ptr<crypto::KeySigner> wallet_;
  const client::ProposalExpectation expectation_;
  asio::strand<asio::any_io_executor> strand_;
  Inbox inbox_;
  asio::steady_timer timer_;

  std::shared_ptr<client::PlayerClient> client_;  // null while disconnected
  std::uint64_t connection_ = 0;                  // bumped per connection
  std::uint64_t last_request_id_ = 0;
  std::optional<Seat> room_;
  bool stop_ = false;  // a fatal answer (unknown room type, draining): this bot plays no more
  std::uint64_t moves_made_ = 0;

  // Client-side pacing: a token bucket kept under the gateway's per-connection message rate.
  double tokens_ = 0;
  std::chrono::steady_clock::time_point tokens_at_;

  std::map<std::string, std::uint64_t> errors_;
};

}  // namespace umpire::bots
