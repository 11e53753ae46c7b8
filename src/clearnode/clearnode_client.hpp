// clearnode/clearnode_client.hpp — Umpire's production client for the ClearNode v0.5 RPC. Owns one link at a
// time (NodeLink), its reconnection with backoff, authentication (EIP-712 then JWT), pipelined calls matched by
// request id, broker-signature checks, notifications, per-app-session ordering of submit/close, and resolution of
// outcomes lost to a dropped link. All state lives on one strand; public calls hop onto it and back.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "clearnode/app_session_types.hpp"
#include "clearnode/clearnode_error.hpp"
#include "clearnode/node_link.hpp"
#include "clearnode/rpc_frame.hpp"
#include "crypto/eth_messages.hpp"
#include "crypto/signer.hpp"

namespace umpire::clearnode {

enum class LogLevel { debug, info, warning, error };
// Receives one line per event. Lines never contain a private key and show JWTs redacted.
using LogSink = std::function<void(LogLevel, std::string_view)>;

struct ClientOptions {
  std::string url;                               // ws://host:port/ws or wss://host/ws
  std::optional<std::filesystem::path> ca_file;  // extra trusted CA for wss:// (added to the system store)

  // Authentication. The wallet signs only the EIP-712 auth policy when a session key is used.
  std::shared_ptr<const crypto::Signer> wallet;       // required
  std::shared_ptr<const crypto::Signer> session_key;  // null: a fresh key is generated for each full auth
  std::string application = "clearnode";  // session-key binding; must equal definitions' application (or "clearnode")
  std::string scope = "app.create";
  std::vector<crypto::AuthAllowance> allowances;  // spending caps of the session key; [] allows nothing
  std::chrono::seconds session_key_lifetime{std::chrono::hours(24)};
  // Pin the broker. If empty, the broker named by get_config on the first connect is trusted and every later
  // connection must name the same one.
  std::optional<std::string> expected_broker_address;

  // Time limits.
  std::chrono::milliseconds call_timeout{10'000};       // default deadline of one call
  std::chrono::milliseconds handshake_timeout{10'000};  // TCP + TLS + WebSocket upgrade
  std::chrono::milliseconds ping_interval{25'000};      // app-level ping (ingress may cut idle sockets)
  std::chrono::milliseconds ping_timeout{10'000};       // unanswered ping: the link is dropped and re-made
  std::chrono::milliseconds max_prepared_age{30'000};   // older prepared private requests are refused (node: 60 s)
  std::chrono::milliseconds outcome_resolution_timeout{60'000};  // to learn a write's fate after a dropped link
  std::chrono::milliseconds reconnect_initial_delay{250};
  std::chrono::milliseconds reconnect_max_delay{30'000};

  // Memory bounds.
  std::size_t max_in_flight = 1024;        // requests written and not yet answered, per link
  std::size_t max_waiting_calls = 16384;   // calls waiting for a slot beyond that; more fail as `overloaded`
  std::size_t max_frame_bytes = 8u << 20;  // larger incoming frames drop the link

  // Wall clock for request timestamps and ages, in Unix ms. Null: the system clock. Tests inject a fake.
  std::function<std::uint64_t()> now_ms;
  LogSink log;
};

struct CallOptions {
  std::optional<std::chrono::milliseconds> timeout;  // default: ClientOptions::call_timeout
};

// A request built once, to be shown to players, signed by them and submitted with submit_prepared().
struct PreparedRequest {
  std::uint64_t request_id = 0;
  std::string method;   // create_app_session, submit_app_state or close_app_session
  std::string payload;  // the exact `req` text; every signature covers keccak256(payload)
  std::uint64_t timestamp_ms = 0;
  std::string app_session_id;            // known beforehand, for create too
  std::optional<std::uint64_t> version;  // NitroRPC/0.4 submit: the version asked for
  nlohmann::json params;                 // decoded params (for display and re-preparation)

  crypto::Hash32 digest() const;  // keccak256(payload): what players sign (raw ECDSA, no prefix)
};

struct Notification {
  std::string method;  // assets, channels, bu, asu, tr, cu, …
  nlohmann::json params;
  std::uint64_t timestamp_ms = 0;
};
// Called on the client's strand: keep it short and never block.
using NotificationHandler = std::function<void(const Notification&)>;

struct ClientStats {
  std::uint64_t frames_received = 0;
  std::uint64_t malformed_frames = 0;      // not a valid `res` envelope: dropped
  std::uint64_t bad_signature_frames = 0;  // not signed by the broker: dropped
  std::uint64_t unmatched_responses = 0;   // id not in flight (late after a timeout, or bogus): dropped
  std::uint64_t notifications = 0;         // delivered to subscribers
  std::uint64_t notifications_unread = 0;  // arrived while nobody subscribed: dropped undecoded and unverified
  std::uint64_t connects = 0;
  std::uint64_t full_auths = 0;
  std::uint64_t jwt_auths = 0;
  std::uint64_t resolved_outcomes = 0;  // writes whose fate was learned by reading state after a drop
  bool link_ready = false;              // connected and authenticated now (readiness probes)
};

class ClearNodeClient;

// Unsubscribes when destroyed.
class Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&& other) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();
  void reset();

 private:
  friend class ClearNodeClient;
  Subscription(std::weak_ptr<ClearNodeClient> client, std::uint64_t id) : client_(std::move(client)), id_(id) {}
  std::weak_ptr<ClearNodeClient> client_;
  std::uint64_t id_ = 0;
};

class ClearNodeClient : public std::enable_shared_from_this<ClearNodeClient> {
 public:
  // Throws ClearNodeError(invalid_argument) for a bad URL, a missing wallet or an unreadable CA file.
  // `executor_owner`, if given, is what keeps the executor's execution context alive (e.g. a shared io_context):
  // it is let go only after the client is destroyed, whoever holds the client last, its own coroutines included
  // (the client's strand reaches into that context when it is destroyed).
  static std::shared_ptr<ClearNodeClient> create(asio::any_io_executor executor, ClientOptions options,
                                                 std::shared_ptr<void> executor_owner = nullptr);
  ~ClearNodeClient();

  // Starts connecting in the background. Calls made before the link is up wait for it (within their deadline).
  void start();
  // Fails everything in flight (shut_down), closes the link and ends the background work. Idempotent.
  asio::awaitable<void> stop();
  // Returns once connected and authenticated; throws ClearNodeError(timeout) otherwise.
  asio::awaitable<void> wait_ready(std::chrono::milliseconds timeout);

  // --- App sessions, signed by Umpire's session key alone (its wallet must carry the quorum / funding).
  asio::awaitable<AppSessionResult> create_app_session(CreateAppSessionParams params, CallOptions call = {});
  asio::awaitable<AppSessionResult> submit_app_state(SubmitAppStateParams params, CallOptions call = {});
  asio::awaitable<AppSessionResult> close_app_session(CloseAppSessionParams params, CallOptions call = {});

  // --- Multi-signature: prepare the exact bytes, collect players' signatures elsewhere, then submit.
  PreparedRequest prepare_create_app_session(const CreateAppSessionParams& params);
  PreparedRequest prepare_submit_app_state(const SubmitAppStateParams& params);
  PreparedRequest prepare_close_app_session(const CloseAppSessionParams& params);
  // Adds Umpire's own signature (session key) when `add_own_signature`, and sends. Refused with stale_request if
  // older than max_prepared_age. submit/close wait behind earlier ones for the same app session.
  asio::awaitable<AppSessionResult> submit_prepared(PreparedRequest prepared, std::vector<crypto::Signature> signatures,
                                                    bool add_own_signature = true, CallOptions call = {});

  // --- Reads.
  asio::awaitable<std::vector<AppSessionInfo>> get_app_sessions(AppSessionsFilter filter = {}, CallOptions call = {});
  asio::awaitable<AppDefinition> get_app_definition(std::string app_session_id, CallOptions call = {});
  // The session's current info, found by paging get_app_sessions of its first participant; nullopt if unknown.
  asio::awaitable<std::optional<AppSessionInfo>> find_app_session(std::string app_session_id, CallOptions call = {});
  asio::awaitable<std::vector<LedgerBalance>> get_ledger_balances(std::optional<std::string> account_id = {},
                                                                  CallOptions call = {});
  asio::awaitable<NodeConfig> get_config(CallOptions call = {});
  asio::awaitable<std::vector<AssetInfo>> get_assets(std::optional<std::uint64_t> chain_id = {}, CallOptions call = {});
  asio::awaitable<void> ping(CallOptions call = {});

  // --- Anything else (e.g. a devnode's funding method). Returns the reply params; remote errors throw.
  // `sign` adds Umpire's session-key signature over the request bytes.
  asio::awaitable<nlohmann::json> call(std::string method, nlohmann::json params, bool sign = false,
                                       CallOptions call = {});

  Subscription subscribe(NotificationHandler handler);
  ClientStats stats() const;
  // The broker address in use (after the first connect), EIP-55.
  std::optional<std::string> broker_address() const;

 private:
  struct Pending;
  struct OutboxEntry;
  struct SessionLane;
  struct LaneTicket;
  class Signal;
  struct Reply {
    std::string method;
    nlohmann::json params;
  };
  struct Outgoing {
    std::uint64_t id = 0;
    std::string method;
    std::string frame;
    std::optional<std::uint64_t> private_timestamp_ms;  // set for private methods: checked for age before writing
  };
  enum class LinkState { down, handshaking, ready };
  using Clock = std::chrono::steady_clock;

  ClearNodeClient(asio::any_io_executor executor, ClientOptions options);

  // Background work, all on strand_.
  asio::awaitable<void> run_links(std::shared_ptr<ClearNodeClient> self);
  asio::awaitable<void> read_loop(std::shared_ptr<ClearNodeClient> self, std::shared_ptr<NodeLink> link,
                                  std::uint64_t epoch);
  asio::awaitable<void> write_loop(std::shared_ptr<ClearNodeClient> self, std::shared_ptr<NodeLink> link,
                                   std::uint64_t epoch);
  asio::awaitable<void> handshake(std::uint64_t epoch);
  asio::awaitable<void> authenticate(std::uint64_t epoch);
  asio::awaitable<void> keep_alive(std::uint64_t epoch);
  asio::awaitable<void> stop_on_strand();
  asio::awaitable<void> wait_until_ready(Clock::time_point deadline, std::string_view what);
  void drop_link(const std::string& reason, ErrorKind kind = ErrorKind::disconnected);
  void handle_frame(std::string_view text);
  bool signed_by(const ParsedFrame& frame, const crypto::Address& expected);  // caches the broker's key
  void deliver(Notification notification);

  // One request/reply. `handshake_epoch` set: part of connecting that link (bypasses the ready gate).
  asio::awaitable<Reply> exchange(Outgoing request, Clock::time_point deadline,
                                  std::optional<std::uint64_t> handshake_epoch = std::nullopt);
  asio::awaitable<nlohmann::json> simple_call(std::string method, nlohmann::json params, bool is_private, bool sign,
                                              Clock::time_point deadline);
  Outgoing make_outgoing(std::uint64_t id, std::string method, std::string payload, std::vector<std::string> sigs,
                         bool is_private) const;

  // Writes with ordering and outcome resolution.
  asio::awaitable<AppSessionResult> execute_write(PreparedRequest prepared, std::vector<std::string> signatures,
                                                  bool add_own_signature, bool may_reprepare,
                                                  Clock::time_point deadline);
  asio::awaitable<AppSessionResult> send_write(PreparedRequest& prepared, const std::vector<std::string>& signatures,
                                               bool add_own_signature, bool may_reprepare,
                                               std::optional<std::uint64_t> expected_version,
                                               Clock::time_point deadline);
  asio::awaitable<std::optional<AppSessionResult>> resolve_write(const PreparedRequest& prepared,
                                                                 std::optional<std::uint64_t> expected_version,
                                                                 Clock::time_point deadline);
  asio::awaitable<std::optional<AppSessionInfo>> find_session_on_strand(std::string app_session_id,
                                                                        Clock::time_point deadline);
  PreparedRequest prepare(std::string method, nlohmann::json params, std::string app_session_id,
                          std::optional<std::uint64_t> version);
  PreparedRequest reprepare(const PreparedRequest& old);
  std::uint64_t now_ms() const;
  std::uint64_t next_id() { return next_request_id_.fetch_add(1); }
  Clock::time_point deadline_of(const CallOptions& call) const;
  void log(LogLevel level, const std::string& line) const;
  std::string sign_payload_hex(std::string_view payload) const;

  template <class T>
  asio::awaitable<T> on_strand(asio::awaitable<T> op);

  // --- Immutable after construction.
  ClientOptions options_;
  NodeEndpoint endpoint_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // null for ws://
  asio::strand<asio::any_io_executor> strand_;
  std::atomic<std::uint64_t> next_request_id_{1};

  // --- Strand-only state.
  bool started_ = false;
  bool stopping_ = false;
  bool run_finished_ = true;
  LinkState state_ = LinkState::down;
  std::shared_ptr<NodeLink> link_;
  std::uint64_t link_epoch_ = 0;  // bumped on every new link and every drop
  std::string last_link_error_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Pending>> pending_;  // in flight on the current link
  std::deque<Outgoing> outbox_;                                          // waiting for the writer
  std::size_t waiting_for_slot_ = 0;
  std::unique_ptr<Signal> state_changed_;                 // link state changes, stop
  std::unique_ptr<Signal> outbox_ready_;                  // writer wake-up
  std::unique_ptr<Signal> slot_freed_;                    // in-flight slot released
  std::optional<crypto::Address> broker_;                 // verified broker (from pin or first get_config)
  struct BrokerKey {
    crypto::Address address;
    crypto::PublicKey key;
  };
  std::optional<BrokerKey> broker_key_;  // the public key behind broker_, learned from the first frame it signed
  std::optional<std::uint64_t> config_request_id_;        // the handshake get_config in flight
  std::vector<std::string> early_frames_;                 // id-0 frames before the broker was known (bounded)
  std::shared_ptr<const crypto::Signer> session_signer_;  // current session key (given or generated)
  std::uint64_t session_key_expires_at_s_ = 0;
  std::optional<std::string> jwt_;
  std::uint64_t jwt_expires_at_s_ = 0;
  std::map<std::string, std::shared_ptr<SessionLane>> lanes_;  // per app session: submit/close ordering
  std::uint64_t lane_sequence_ = 0;
  std::mt19937_64 jitter_rng_;

  // --- Shared with other threads.
  mutable std::mutex subscribers_mutex_;  // never held while calling a handler or doing I/O
  std::map<std::uint64_t, std::shared_ptr<NotificationHandler>> subscribers_;
  std::uint64_t next_subscriber_id_ = 1;
  mutable std::mutex broker_text_mutex_;
  std::optional<std::string> broker_text_;
  struct AtomicStats {
    std::atomic<std::uint64_t> frames_received{0}, malformed_frames{0}, bad_signature_frames{0}, unmatched_responses{0},
        notifications{0}, notifications_unread{0}, connects{0}, full_auths{0}, jwt_auths{0}, resolved_outcomes{0};
    std::atomic<bool> link_ready{false};  // mirrors state_ == ready for other threads
  } stats_;
  void set_link_state(LinkState state) {
    state_ = state;
    stats_.link_ready = state == LinkState::ready;
  }

  friend class Subscription;
  void unsubscribe(std::uint64_t id);
  bool has_subscribers() const;
};

// "eyJhbGciOi…(312 chars)": enough to correlate in logs, useless to an attacker.
std::string redact_token(std::string_view token);
// The `exp` claim of a JWT (seconds), or nullopt if it cannot be read. Does not verify the token.
std::optional<std::uint64_t> jwt_expiry(std::string_view token);

}  // namespace umpire::clearnode
