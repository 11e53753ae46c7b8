// clearnode/clearnode_client.cpp — see the header. Layout: small helpers; connection lifecycle (run_links,
// handshake, authenticate, keep_alive, drop_link); frame intake (read_loop, handle_frame); the request path
// (exchange, write_loop); writes with per-session ordering and outcome resolution; the public wrappers.
// Every member below runs on strand_, except prepare*/stats/subscribe/broker_address, which touch only atomics,
// immutable options or mutex-guarded maps.
#include "clearnode/clearnode_client.hpp"

#include <algorithm>

#include "crypto/keccak.hpp"

namespace umpire::clearnode {

using asio::use_awaitable;

namespace {

constexpr std::size_t kMaxEarlyFrames = 32;        // notifications that arrive before the broker is known
constexpr std::size_t kMaxSessionPages = 50;       // find_app_session: at most 50 × 100 sessions scanned
constexpr std::uint64_t kSessionsPageSize = 100;   // the node's maximum limit
constexpr std::uint64_t kRenewMarginSeconds = 60;  // renew a JWT or session key this long before it expires
constexpr int kMaxWriteAttempts = 5;

bool is_private_method(std::string_view method) {
  static constexpr std::string_view kPrivate[] = {"get_user_tag",       "get_ledger_balances", "get_rpc_history",
                                                  "get_session_keys",   "revoke_session_key",  "transfer",
                                                  "create_channel",     "resize_channel",      "close_channel",
                                                  "create_app_session", "submit_app_state",    "close_app_session"};
  return std::find(std::begin(kPrivate), std::end(kPrivate), method) != std::end(kPrivate);
}

// The method the node answers with (besides "error").
std::string expected_reply_method(std::string_view method) {
  if (method == "auth_request") return "auth_challenge";
  if (method == "ping") return "pong";
  return std::string(method);
}

std::string base64url_decode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-' || c == '+')
      v = 62;
    else if (c == '_' || c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return {};
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// One-member JSON object. Coroutine bodies build params through this because GCC 12 miscompiles braced
// initializer lists inside coroutines ("array used as initializer").
nlohmann::json single(const char* key, nlohmann::json value) {
  nlohmann::json out = nlohmann::json::object();
  out[key] = std::move(value);
  return out;
}

nlohmann::json auth_request_params(const crypto::AuthPolicy& policy) {
  auto allowances = nlohmann::json::array();
  for (const auto& a : policy.allowances) allowances.push_back({{"asset", a.asset}, {"amount", a.amount}});
  return {{"address", policy.wallet.checksum()}, {"session_key", policy.session_key.checksum()},
          {"application", policy.application},   {"allowances", allowances},
          {"expires_at", policy.expires_at},     {"scope", policy.scope}};
}

}  // namespace

std::string redact_token(std::string_view token) {
  return std::string(token.substr(0, 10)) + "…(" + std::to_string(token.size()) + " chars)";
}

std::optional<std::uint64_t> jwt_expiry(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto claims = nlohmann::json::parse(base64url_decode(token.substr(first + 1, second - first - 1)), nullptr,
                                            /*allow_exceptions=*/false);
  if (!claims.is_object() || !claims.contains("exp") || !claims["exp"].is_number()) return std::nullopt;
  const auto exp = claims["exp"].get<double>();
  if (exp <= 0) return std::nullopt;
  return static_cast<std::uint64_t>(exp);
}

crypto::Hash32 PreparedRequest::digest() const { return crypto::keccak256(payload); }

// A wake-up for coroutines on the strand: waiters sleep on their own timer until notified or their deadline.
// Callers re-check their condition after every wake-up, so a spurious or lost-race wake-up is harmless.
class ClearNodeClient::Signal {
 public:
  asio::awaitable<void> wait_until(Clock::time_point deadline) {
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    waiters_.push_back(&timer);
    co_await timer.async_wait(asio::as_tuple(use_awaitable));
    waiters_.remove(&timer);
  }
  void notify_all() {
    for (auto* timer : waiters_) timer->cancel();
  }
  void notify_one() {
    if (waiters_.empty()) return;
    auto* timer = waiters_.front();
    waiters_.pop_front();
    timer->cancel();
  }

 private:
  std::list<asio::steady_timer*> waiters_;
};

struct ClearNodeClient::Pending {
  explicit Pending(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;  // expires at the call's deadline; cancelled when an outcome arrives
  std::string method;
  bool written = false;  // handed to the socket: from here on a lost link means "outcome unknown"
  std::optional<Reply> reply;
  std::optional<ClearNodeError> failure;
};

struct ClearNodeClient::LaneTicket {
  explicit LaneTicket(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;
  std::optional<std::uint64_t> version;  // 0.4 submits: sent in version order
  std::optional<ClearNodeError> cancelled;
};

// The submit/close queue of one app session: at most one in flight, the rest wait in order.
struct ClearNodeClient::SessionLane {
  // A list, not a deque: every open app session has a lane, nearly always with nobody waiting, and an empty
  // std::deque still holds a 512-byte block and its map (about 0.6 KiB a room; jemalloc's heap profile at 1,000
  // idle rooms).
  std::list<std::shared_ptr<LaneTicket>> waiting;
  bool busy = false;
  std::optional<std::uint64_t> known_version;  // as last confirmed by the node; unknown after a failure
  // The last failure, until a request on the lane succeeds. A later version that was prepared before it (so was
  // queued behind it, even if it reaches the lane only now) can never be applied in order: it fails at once with
  // this cause instead of waiting out its deadline for a gap nobody will fill. Requests prepared after the failure
  // are the caller's answer to it (e.g. a resync) and go through.
  struct Failure {
    std::uint64_t version = 0;          // of the failed request; 0 if it had none
    std::uint64_t next_request_id = 0;  // the id counter when it failed: requests below it were prepared before
    std::string cause;
  };
  std::optional<Failure> failure;
};

// ---------------------------------------------------------------------------------------------------------------
// Construction, options, small helpers

std::shared_ptr<ClearNodeClient> ClearNodeClient::create(asio::any_io_executor executor, ClientOptions options,
                                                         std::shared_ptr<void> executor_owner) {
  // One control block for every reference, shared_from_this() included, so the owner outlives them all.
  return std::shared_ptr<ClearNodeClient>(new ClearNodeClient(std::move(executor), std::move(options)),
                                          [owner = std::move(executor_owner)](ClearNodeClient* client) mutable {
                                            delete client;
                                            owner.reset();
                                          });
}

ClearNodeClient::ClearNodeClient(asio::any_io_executor executor, ClientOptions options)
    : options_(std::move(options)),
      endpoint_(NodeEndpoint::parse(options_.url)),
      strand_(asio::make_strand(executor)),
      state_changed_(std::make_unique<Signal>()),
      outbox_ready_(std::make_unique<Signal>()),
      slot_freed_(std::make_unique<Signal>()),
      jitter_rng_(std::random_device{}()) {
  if (!options_.wallet) throw ClearNodeError(ErrorKind::invalid_argument, "a wallet signer is required");
  if (options_.application.empty()) {
    throw ClearNodeError(ErrorKind::invalid_argument, "application must be non-empty (it is the EIP-712 domain)");
  }
  if (options_.max_in_flight == 0) options_.max_in_flight = 1;
  if (endpoint_.tls) tls_context_ = make_tls_client_context(options_.ca_file);
  if (options_.session_key) session_signer_ = options_.session_key;  // its expiry is set at the first full auth
  if (options_.expected_broker_address) {
    const auto pinned = crypto::Address::try_parse(*options_.expected_broker_address);
    if (!pinned) throw ClearNodeError(ErrorKind::invalid_argument, "expected_broker_address is not an address");
    broker_ = *pinned;
    broker_text_ = pinned->checksum();
  }
}

ClearNodeClient::~ClearNodeClient() = default;

std::uint64_t ClearNodeClient::now_ms() const {
  if (options_.now_ms) return options_.now_ms();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

ClearNodeClient::Clock::time_point ClearNodeClient::deadline_of(const CallOptions& call) const {
  return Clock::now() + call.timeout.value_or(options_.call_timeout);
}

void ClearNodeClient::log(LogLevel level, const std::string& line) const {
  if (options_.log) options_.log(level, line);
}

std::string ClearNodeClient::sign_payload_hex(std::string_view payload) const {
  if (!session_signer_) throw ClearNodeError(ErrorKind::auth_failed, "no session key yet: not authenticated");
  return crypto::sign_rpc_payload(*session_signer_, payload).to_hex();
}

template <class T>
asio::awaitable<T> ClearNodeClient::on_strand(asio::awaitable<T> op) {
  return asio::co_spawn(strand_, std::move(op), use_awaitable);
}

ClearNodeClient::Outgoing ClearNodeClient::make_outgoing(std::uint64_t id, std::string method, std::string payload,
                                                         std::vector<std::string> sigs, bool is_private) const {
  Outgoing out;
  out.id = id;
  out.frame = build_request_frame(payload, sigs);
  if (is_private) {
    // The timestamp is the 4th element; take it back from the payload so prepared requests keep theirs.
    const auto comma = payload.rfind(',');
    out.private_timestamp_ms = std::stoull(payload.substr(comma + 1));
  }
  out.method = std::move(method);
  return out;
}

ClientStats ClearNodeClient::stats() const {
  ClientStats s;
  s.frames_received = stats_.frames_received.load();
  s.malformed_frames = stats_.malformed_frames.load();
  s.bad_signature_frames = stats_.bad_signature_frames.load();
  s.unmatched_responses = stats_.unmatched_responses.load();
  s.notifications = stats_.notifications.load();
  s.notifications_unread = stats_.notifications_unread.load();
  s.connects = stats_.connects.load();
  s.full_auths = stats_.full_auths.load();
  s.jwt_auths = stats_.jwt_auths.load();
  s.resolved_outcomes = stats_.resolved_outcomes.load();
  s.link_ready = stats_.link_ready.load();
  return s;
}

std::optional<std::string> ClearNodeClient::broker_address() const {
  std::lock_guard lock(broker_text_mutex_);
  return broker_text_;
}

// ---------------------------------------------------------------------------------------------------------------
// Subscriptions

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    client_ = std::move(other.client_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

Subscription::~Subscription() { reset(); }

void Subscription::reset() {
  if (auto client = client_.lock(); client && id_ != 0) client->unsubscribe(id_);
  client_.reset();
  id_ = 0;
}

Subscription ClearNodeClient::subscribe(NotificationHandler handler) {
  std::lock_guard lock(subscribers_mutex_);
  const auto id = next_subscriber_id_++;
  subscribers_.emplace(id, std::make_shared<NotificationHandler>(std::move(handler)));
  return Subscription(weak_from_this(), id);
}

void ClearNodeClient::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(subscribers_mutex_);
  subscribers_.erase(id);
}

bool ClearNodeClient::has_subscribers() const {
  std::lock_guard lock(subscribers_mutex_);
  return !subscribers_.empty();
}

void ClearNodeClient::deliver(Notification notification) {
  std::vector<std::shared_ptr<NotificationHandler>> handlers;
  {
    std::lock_guard lock(subscribers_mutex_);
    for (const auto& [id, handler] : subscribers_) handlers.push_back(handler);
  }
  ++stats_.notifications;
  for (const auto& handler : handlers) {
    try {
      (*handler)(notification);
    } catch (const std::exception& e) {
      log(LogLevel::error, "notification handler for '" + notification.method + "' threw: " + e.what());
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Connection lifecycle

void ClearNodeClient::start() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->started_ || self->stopping_) return;
    self->started_ = true;
    self->run_finished_ = false;
    asio::co_spawn(self->strand_, self->run_links(self), asio::detached);
  });
}

asio::awaitable<void> ClearNodeClient::stop() {
  auto self = shared_from_this();
  co_await on_strand(stop_on_strand());
}

asio::awaitable<void> ClearNodeClient::stop_on_strand() {
  if (!stopping_) {
    stopping_ = true;
    log(LogLevel::info, "stopping the ClearNode client");
    drop_link("client stopped", ErrorKind::shut_down);
    for (auto& [id, lane] : lanes_) {
      for (auto& ticket : lane->waiting) ticket->wake.cancel();
    }
    state_changed_->notify_all();
  }
  while (!run_finished_) co_await state_changed_->wait_until(Clock::now() + std::chrono::milliseconds(100));
}

asio::awaitable<void> ClearNodeClient::wait_ready(std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  co_await on_strand(wait_until_ready(Clock::now() + timeout, "the link"));
}

asio::awaitable<void> ClearNodeClient::wait_until_ready(Clock::time_point deadline, std::string_view what) {
  while (state_ != LinkState::ready) {
    if (stopping_) throw ClearNodeError(ErrorKind::shut_down, "client stopped; " + std::string(what) + " not sent");
    if (Clock::now() >= deadline) {
      throw ClearNodeError(ErrorKind::timeout,
                           "no authenticated link to the ClearNode at " + endpoint_.to_string() +
                               " before the deadline" +
                               (last_link_error_.empty() ? "" : " (last error: " + last_link_error_ + ")") + "; " +
                               std::string(what) + " not sent");
    }
    co_await state_changed_->wait_until(deadline);
  }
}

asio::awaitable<void> ClearNodeClient::run_links(std::shared_ptr<ClearNodeClient> self) {
  unsigned failures = 0;
  while (!stopping_) {
    std::string failure;
    try {
      set_link_state(LinkState::handshaking);
      auto link = co_await NodeLink::connect(endpoint_, tls_context_.get(), options_.max_frame_bytes,
                                             options_.handshake_timeout);
      if (stopping_) {
        link->close_now();
        break;
      }
      link_ = link;
      const auto epoch = ++link_epoch_;
      ++stats_.connects;
      asio::co_spawn(strand_, read_loop(self, link, epoch), asio::detached);
      asio::co_spawn(strand_, write_loop(self, link, epoch), asio::detached);
      co_await handshake(epoch);
      if (epoch != link_epoch_) throw ClearNodeError(ErrorKind::disconnected, "link lost during the handshake");
      set_link_state(LinkState::ready);
      failures = 0;
      last_link_error_.clear();
      state_changed_->notify_all();
      log(LogLevel::info, "connected and authenticated to " + endpoint_.to_string());
      co_await keep_alive(epoch);
      failure = last_link_error_;
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) last_link_error_ = failure;
    drop_link(failure.empty() ? "link closed" : failure);
    if (stopping_) break;
    // Exponential backoff with jitter, so that many clients do not reconnect in lockstep.
    const auto base = std::min<std::int64_t>(options_.reconnect_max_delay.count(),
                                             options_.reconnect_initial_delay.count() << std::min(failures, 20u));
    ++failures;
    std::uniform_int_distribution<std::int64_t> jitter(base / 2, std::max<std::int64_t>(base, 1));
    const auto delay = std::chrono::milliseconds(jitter(jitter_rng_));
    log(LogLevel::warning,
        "ClearNode link down (" + failure + "); reconnecting in " + std::to_string(delay.count()) + " ms");
    const auto until = Clock::now() + delay;
    while (!stopping_ && Clock::now() < until) co_await state_changed_->wait_until(until);
  }
  set_link_state(LinkState::down);
  run_finished_ = true;
  state_changed_->notify_all();
}

void ClearNodeClient::drop_link(const std::string& reason, ErrorKind kind) {
  if (link_) {
    link_->close_now();
    link_.reset();
    if (reason != "link closed") last_link_error_ = reason;
  }
  ++link_epoch_;
  set_link_state(LinkState::down);
  config_request_id_.reset();
  early_frames_.clear();
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending) {
    const std::string what = p->method + " #" + std::to_string(id);
    p->failure = ClearNodeError(
        kind, p->written ? "the link to the ClearNode dropped (" + reason + ") while " + what +
                               " was in flight: its outcome is unknown"
                         : "the link to the ClearNode dropped (" + reason + ") before " + what + " was sent");
    p->wake.cancel();
  }
  outbox_.clear();
  state_changed_->notify_all();
  outbox_ready_->notify_all();
  slot_freed_->notify_all();
}

asio::awaitable<void> ClearNodeClient::handshake(std::uint64_t epoch) {
  const auto deadline = Clock::now() + options_.call_timeout;
  const auto id = next_id();
  config_request_id_ = id;
  Reply reply;
  try {
    reply = co_await exchange(
        make_outgoing(id, "get_config", build_payload(id, "get_config", nlohmann::json::object(), now_ms()), {}, false),
        deadline, epoch);
  } catch (...) {
    config_request_id_.reset();
    throw;
  }
  config_request_id_.reset();
  const auto config = decode_config(reply.params);
  const auto named = crypto::Address::try_parse(config.broker_address);
  if (!named) throw ClearNodeError(ErrorKind::protocol_violation, "get_config names no valid broker address");
  if (broker_ && *broker_ != *named) {
    throw ClearNodeError(ErrorKind::protocol_violation, "the node names broker " + named->checksum() + " but " +
                                                            broker_->checksum() + " is expected; refusing the link");
  }
  if (!broker_) {
    broker_ = *named;
    std::lock_guard lock(broker_text_mutex_);
    broker_text_ = named->checksum();
  }
  // Notifications that arrived before the broker was known are checked now.
  auto early = std::move(early_frames_);
  early_frames_.clear();
  for (const auto& frame : early) handle_frame(frame);
  co_await authenticate(epoch);
}

asio::awaitable<void> ClearNodeClient::authenticate(std::uint64_t epoch) {
  const auto deadline = Clock::now() + options_.call_timeout;
  const auto now_s = now_ms() / 1000;
  if (jwt_ && jwt_expires_at_s_ > now_s + kRenewMarginSeconds) {
    const auto id = next_id();
    try {
      co_await exchange(
          make_outgoing(id, "auth_verify", build_payload(id, "auth_verify", single("jwt", *jwt_), now_ms()), {}, false),
          deadline, epoch);
      ++stats_.jwt_auths;
      log(LogLevel::info, "re-authenticated with JWT " + redact_token(*jwt_));
      co_return;
    } catch (const ClearNodeError& e) {
      if (e.kind() != ErrorKind::remote_error) throw;
      log(LogLevel::warning, std::string("JWT refused (") + e.what() + "); authenticating with the wallet");
      jwt_.reset();
    }
  }
  // Full authentication. A generated session key is renewed only when it is about to expire: a live key's
  // values are frozen by the node, so re-sending it with a new expiry would only desynchronize our record.
  const bool key_expiring = session_key_expires_at_s_ <= now_s + kRenewMarginSeconds;
  if (!options_.session_key && (!session_signer_ || key_expiring)) {
    session_signer_ = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
    log(LogLevel::info, "generated session key " + session_signer_->address().checksum());
  }
  if (key_expiring) {
    session_key_expires_at_s_ = now_s + static_cast<std::uint64_t>(options_.session_key_lifetime.count());
  }
  crypto::AuthPolicy policy;
  policy.application = options_.application;
  policy.scope = options_.scope;
  policy.wallet = options_.wallet->address();
  policy.session_key = session_signer_->address();
  policy.expires_at = session_key_expires_at_s_;
  policy.allowances = options_.allowances;
  const auto request_params = auth_request_params(policy);
  try {
    const auto request_id = next_id();
    const auto challenge_reply =
        co_await exchange(make_outgoing(request_id, "auth_request",
                                        build_payload(request_id, "auth_request", request_params, now_ms()), {}, false),
                          deadline, epoch);
    const auto& challenge = challenge_reply.params;
    if (!challenge.is_object() || !challenge.contains("challenge_message") ||
        !challenge["challenge_message"].is_string()) {
      throw ClearNodeError(ErrorKind::protocol_violation, "auth_challenge without a challenge_message");
    }
    policy.challenge = challenge["challenge_message"].get<std::string>();
    const auto signature = options_.wallet->sign_digest(crypto::auth_policy_digest(policy));
    const auto verify_id = next_id();
    std::vector<std::string> sigs;
    sigs.push_back(signature.to_hex());
    const auto verified = co_await exchange(
        make_outgoing(verify_id, "auth_verify",
                      build_payload(verify_id, "auth_verify", single("challenge", policy.challenge), now_ms()), sigs,
                      false),
        deadline, epoch);
    if (!verified.params.is_object() || !verified.params.contains("jwt_token") ||
        !verified.params["jwt_token"].is_string()) {
      throw ClearNodeError(ErrorKind::protocol_violation, "auth_verify reply without a jwt_token");
    }
    jwt_ = verified.params["jwt_token"].get<std::string>();
    jwt_expires_at_s_ = jwt_expiry(*jwt_).value_or(now_s + 23 * 3600);
    ++stats_.full_auths;
    log(LogLevel::info, "authenticated wallet " + policy.wallet.checksum() + " with session key " +
                            policy.session_key.checksum() + "; JWT " + redact_token(*jwt_));
  } catch (const ClearNodeError& e) {
    if (e.kind() != ErrorKind::remote_error) throw;
    throw ClearNodeError(ErrorKind::auth_failed, std::string("the ClearNode refused authentication: ") + e.what());
  }
}

asio::awaitable<void> ClearNodeClient::keep_alive(std::uint64_t epoch) {
  auto next_ping = Clock::now() + options_.ping_interval;
  while (!stopping_ && epoch == link_epoch_) {
    if (Clock::now() < next_ping) {
      co_await state_changed_->wait_until(next_ping);
      continue;
    }
    const auto id = next_id();
    try {
      co_await exchange(
          make_outgoing(id, "ping", build_payload(id, "ping", nlohmann::json::object(), now_ms()), {}, false),
          Clock::now() + options_.ping_timeout, epoch);
    } catch (const ClearNodeError& e) {
      if (e.kind() == ErrorKind::timeout && epoch == link_epoch_) {
        drop_link("ping unanswered within " + std::to_string(options_.ping_timeout.count()) + " ms");
      }
      co_return;
    }
    next_ping = Clock::now() + options_.ping_interval;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Frame intake

asio::awaitable<void> ClearNodeClient::read_loop(std::shared_ptr<ClearNodeClient> /*keeps us alive*/,
                                                 std::shared_ptr<NodeLink> link, std::uint64_t epoch) {
  try {
    for (;;) {
      auto frame = co_await link->read();
      if (epoch != link_epoch_) co_return;
      handle_frame(frame);
    }
  } catch (const std::exception& e) {
    if (epoch == link_epoch_) drop_link(std::string("read failed: ") + e.what());
  }
}

bool ClearNodeClient::signed_by(const ParsedFrame& frame, const crypto::Address& expected) {
  const auto digest = crypto::keccak256(frame.raw);
  // Once one frame has shown the broker's public key, later frames are checked against it (ECDSA verification)
  // rather than by recovering a key and comparing its address: the same answer for less CPU on every frame.
  const bool key_known = broker_key_ && broker_key_->address == expected;
  for (const auto& text : frame.signatures) {
    try {
      const auto signature = crypto::Signature::parse(text);
      if (key_known) {
        if (crypto::verifies(digest, signature, broker_key_->key, crypto::HighS::accept)) return true;
        continue;
      }
      const auto key = crypto::try_recover_public_key(digest, signature, crypto::HighS::accept);
      if (key && key->address() == expected) {
        broker_key_ = BrokerKey{expected, *key};
        return true;
      }
    } catch (const crypto::CryptoError&) {
      // a malformed signature: try the next one
    }
  }
  return false;
}

void ClearNodeClient::handle_frame(std::string_view text) {
  ++stats_.frames_received;
  // A notification nobody subscribed to would be decoded and its signature checked only to be thrown away: with
  // the broker known, skip both (they are most of what the node sends a referee: an `asu` for every state it
  // submits). Replies, and notifications someone listens to, are always decoded and verified before use.
  if (broker_ && !has_subscribers() && is_notification_frame(text)) {
    ++stats_.notifications_unread;
    return;
  }
  ParsedFrame frame;
  try {
    frame = parse_frame(text, "res");
  } catch (const std::exception& e) {
    ++stats_.malformed_frames;
    log(LogLevel::warning, std::string("dropped a malformed frame from the ClearNode: ") + e.what());
    return;
  }
  crypto::Address expected;
  if (broker_) {
    expected = *broker_;
  } else if (config_request_id_ && frame.id == *config_request_id_) {
    // The first get_config reply names the broker; it must at least be signed by the key it names.
    std::optional<crypto::Address> named;
    if (frame.params.is_object() && frame.params.contains("broker_address") &&
        frame.params["broker_address"].is_string()) {
      named = crypto::Address::try_parse(frame.params["broker_address"].get<std::string>());
    }
    if (!named) {
      ++stats_.malformed_frames;
      log(LogLevel::warning, "dropped a get_config reply without a valid broker_address");
      return;
    }
    expected = *named;
  } else if (frame.id == 0) {
    if (early_frames_.size() < kMaxEarlyFrames) {
      early_frames_.emplace_back(text);
    } else {
      ++stats_.unmatched_responses;
    }
    return;
  } else {
    ++stats_.unmatched_responses;
    return;
  }
  if (!signed_by(frame, expected)) {
    ++stats_.bad_signature_frames;
    if (config_request_id_ && frame.id == *config_request_id_) {
      // A node whose own get_config is not signed by the broker we trust cannot be used: fail the handshake now
      // (with a reason the caller can read) rather than wait for its deadline.
      if (const auto it = pending_.find(frame.id); it != pending_.end()) {
        auto pending = it->second;
        pending_.erase(it);
        pending->failure = ClearNodeError(ErrorKind::protocol_violation,
                                          "the node's get_config reply is not signed by broker " + expected.checksum());
        pending->wake.cancel();
      }
    }
    log(LogLevel::warning, "dropped a frame not signed by the broker " + expected.checksum() + ": " + frame.method +
                               " #" + std::to_string(frame.id));
    return;
  }
  if (frame.id == 0) {
    deliver(Notification{frame.method, std::move(frame.params), frame.timestamp_ms});
    return;
  }
  const auto it = pending_.find(frame.id);
  if (it == pending_.end()) {
    ++stats_.unmatched_responses;
    log(LogLevel::debug,
        "dropped a reply to #" + std::to_string(frame.id) + " (" + frame.method + "): no such request in flight");
    return;
  }
  auto pending = it->second;
  pending_.erase(it);
  pending->reply = Reply{frame.method, std::move(frame.params)};
  pending->wake.cancel();
  slot_freed_->notify_one();
}

// ---------------------------------------------------------------------------------------------------------------
// Request path

asio::awaitable<void> ClearNodeClient::write_loop(std::shared_ptr<ClearNodeClient> /*keeps us alive*/,
                                                  std::shared_ptr<NodeLink> link, std::uint64_t epoch) {
  try {
    for (;;) {
      while (outbox_.empty() && epoch == link_epoch_) co_await outbox_ready_->wait_until(Clock::time_point::max());
      if (epoch != link_epoch_) co_return;
      Outgoing next = std::move(outbox_.front());
      outbox_.pop_front();
      const auto it = pending_.find(next.id);
      if (it == pending_.end()) continue;  // its caller gave up (deadline) before it was written: never send it
      if (next.private_timestamp_ms) {
        const auto age_ms = now_ms() - std::min(now_ms(), *next.private_timestamp_ms);
        if (age_ms > static_cast<std::uint64_t>(options_.max_prepared_age.count())) {
          auto pending = it->second;
          pending_.erase(it);
          pending->failure = ClearNodeError(
              ErrorKind::stale_request, next.method + " #" + std::to_string(next.id) + " is " + std::to_string(age_ms) +
                                            " ms old (limit " + std::to_string(options_.max_prepared_age.count()) +
                                            " ms) and was not sent: prepare it again");
          pending->wake.cancel();
          slot_freed_->notify_one();
          continue;
        }
      }
      it->second->written = true;
      co_await link->write(next.frame);
    }
  } catch (const std::exception& e) {
    if (epoch == link_epoch_) drop_link(std::string("write failed: ") + e.what());
  }
}

asio::awaitable<ClearNodeClient::Reply> ClearNodeClient::exchange(Outgoing request, Clock::time_point deadline,
                                                                  std::optional<std::uint64_t> handshake_epoch) {
  const std::string what = request.method + " #" + std::to_string(request.id);
  for (;;) {
    // 1. A usable link and a free in-flight slot.
    for (;;) {
      if (stopping_) throw ClearNodeError(ErrorKind::shut_down, "client stopped; " + what + " not sent");
      if (handshake_epoch) {
        if (link_epoch_ != *handshake_epoch || !link_) {
          throw ClearNodeError(ErrorKind::disconnected, "link lost during the handshake; " + what + " not sent");
        }
        break;
      }
      if (state_ == LinkState::ready && pending_.size() < options_.max_in_flight) break;
      if (Clock::now() >= deadline) {
        if (state_ == LinkState::ready) {
          throw ClearNodeError(ErrorKind::timeout, "in-flight cap (" + std::to_string(options_.max_in_flight) +
                                                       ") stayed full until the deadline; " + what + " not sent");
        }
        co_await wait_until_ready(deadline, what);  // throws the timeout with the link's last error
      }
      if (state_ == LinkState::ready) {
        if (waiting_for_slot_ >= options_.max_waiting_calls) {
          throw ClearNodeError(ErrorKind::overloaded,
                               "too many calls waiting for an in-flight slot; " + what + " not sent");
        }
        ++waiting_for_slot_;
        co_await slot_freed_->wait_until(deadline);
        --waiting_for_slot_;
      } else {
        co_await state_changed_->wait_until(deadline);
      }
    }
    // 2. Register, queue for the writer, wait for the outcome.
    auto pending = std::make_shared<Pending>(strand_);
    pending->method = request.method;
    pending->wake.expires_at(deadline);
    if (!pending_.emplace(request.id, pending).second) {
      throw ClearNodeError(ErrorKind::invalid_argument, what + " is already in flight");
    }
    outbox_.push_back(request);
    outbox_ready_->notify_all();
    co_await pending->wake.async_wait(asio::as_tuple(use_awaitable));
    if (const auto it = pending_.find(request.id); it != pending_.end() && it->second == pending) {
      pending_.erase(it);
      slot_freed_->notify_one();
    }
    if (pending->reply) {
      auto& reply = *pending->reply;
      if (reply.method == "error") {
        if (reply.params.is_object() && reply.params.contains("error") && reply.params["error"].is_string()) {
          throw ClearNodeError(ErrorKind::remote_error, reply.params["error"].get<std::string>());
        }
        throw ClearNodeError(ErrorKind::protocol_violation, "error reply to " + what + " without an error text");
      }
      if (reply.method != expected_reply_method(request.method)) {
        throw ClearNodeError(ErrorKind::protocol_violation,
                             "reply to " + what + " has method '" + excerpt(reply.method, 40) + "'");
      }
      co_return std::move(reply);
    }
    if (pending->failure) {
      // Never written: nothing reached the node, so it is sent again on the next link.
      if (!handshake_epoch && !pending->written && pending->failure->kind() == ErrorKind::disconnected) continue;
      throw *pending->failure;
    }
    throw ClearNodeError(ErrorKind::timeout,
                         pending->written
                             ? "no answer to " + what + " within its deadline; it was sent, so its outcome is unknown"
                             : "no answer to " + what + " within its deadline; it was not sent");
  }
}

asio::awaitable<nlohmann::json> ClearNodeClient::simple_call(std::string method, nlohmann::json params, bool is_private,
                                                             bool sign, Clock::time_point deadline) {
  // Reads are safe to repeat, so a read lost to a dropped link is simply asked again on the next link.
  const bool idempotent = method == "ping" || method.starts_with("get_");
  for (int attempt = 1;; ++attempt) {
    if (sign) co_await wait_until_ready(deadline, method);
    const auto id = next_id();
    auto payload = build_payload(id, method, params, now_ms());
    std::vector<std::string> sigs;
    if (sign) sigs.push_back(sign_payload_hex(payload));
    try {
      auto reply =
          co_await exchange(make_outgoing(id, method, std::move(payload), std::move(sigs), is_private), deadline);
      co_return std::move(reply.params);
    } catch (const ClearNodeError& e) {
      // A private read that waited long for a link is rebuilt with a fresh timestamp: nothing was sent.
      if (e.kind() == ErrorKind::stale_request) continue;
      if (e.kind() == ErrorKind::disconnected && idempotent && attempt < kMaxWriteAttempts) continue;
      throw;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writes: preparation, ordering per app session, outcome resolution

PreparedRequest ClearNodeClient::prepare(std::string method, nlohmann::json params, std::string app_session_id,
                                         std::optional<std::uint64_t> version) {
  PreparedRequest p;
  p.request_id = next_id();
  p.method = std::move(method);
  p.timestamp_ms = now_ms();
  p.payload = build_payload(p.request_id, p.method, params, p.timestamp_ms);
  p.app_session_id = std::move(app_session_id);
  p.version = version;
  p.params = std::move(params);
  return p;
}

PreparedRequest ClearNodeClient::reprepare(const PreparedRequest& old) {
  return prepare(old.method, old.params, old.app_session_id, old.version);
}

PreparedRequest ClearNodeClient::prepare_create_app_session(const CreateAppSessionParams& params) {
  return prepare("create_app_session", to_params(params), app_session_id(params.definition), std::nullopt);
}

PreparedRequest ClearNodeClient::prepare_submit_app_state(const SubmitAppStateParams& params) {
  return prepare("submit_app_state", to_params(params), params.app_session_id, params.version);
}

PreparedRequest ClearNodeClient::prepare_close_app_session(const CloseAppSessionParams& params) {
  return prepare("close_app_session", to_params(params), params.app_session_id, std::nullopt);
}

asio::awaitable<AppSessionResult> ClearNodeClient::execute_write(PreparedRequest prepared,
                                                                 std::vector<std::string> signatures,
                                                                 bool add_own_signature, bool may_reprepare,
                                                                 Clock::time_point deadline) {
  if (prepared.method == "create_app_session") {
    auto created = co_await send_write(prepared, signatures, add_own_signature, may_reprepare, std::nullopt, deadline);
    if (!lanes_.contains(created.app_session_id)) {
      auto lane = std::make_shared<SessionLane>();
      lane->known_version = created.version;
      lanes_.emplace(created.app_session_id, std::move(lane));
    }
    co_return created;
  }
  // submit/close: wait for our turn on the session's lane.
  auto& lane_slot = lanes_[prepared.app_session_id];
  if (!lane_slot) lane_slot = std::make_shared<SessionLane>();
  const auto lane = lane_slot;
  // Preparation order is the request id (one counter per client), not the millisecond clock: a request prepared
  // in the same millisecond as the failure, but after it, must go through.
  if (lane->failure && prepared.version && *prepared.version > lane->failure->version &&
      prepared.request_id < lane->failure->next_request_id) {
    throw ClearNodeError(ErrorKind::earlier_request_failed, "not sent: an earlier request for app session " +
                                                                prepared.app_session_id + " failed: " +
                                                                lane->failure->cause);
  }
  auto ticket = std::make_shared<LaneTicket>(strand_);
  ticket->version = prepared.version;
  {
    auto pos = lane->waiting.end();
    while (pos != lane->waiting.begin() && ticket->version && (*std::prev(pos))->version &&
           *(*std::prev(pos))->version > *ticket->version) {
      --pos;
    }
    lane->waiting.insert(pos, ticket);
  }
  const auto leave_queue = [&] {
    if (const auto it = std::find(lane->waiting.begin(), lane->waiting.end(), ticket); it != lane->waiting.end()) {
      lane->waiting.erase(it);
    }
    if (!lane->busy && !lane->waiting.empty()) lane->waiting.front()->wake.cancel();
  };
  bool version_fetched = false;
  for (;;) {
    if (ticket->cancelled) throw *ticket->cancelled;  // already removed from the queue by whoever cancelled it
    if (stopping_) {
      leave_queue();
      throw ClearNodeError(ErrorKind::shut_down, "client stopped; " + prepared.method + " not sent");
    }
    if (!lane->busy && lane->waiting.front() == ticket) {
      if (ticket->version && !lane->known_version && !version_fetched) {
        // Learn the session's version once, so that a later version waits for the ones before it.
        version_fetched = true;
        lane->busy = true;
        std::optional<AppSessionInfo> info;
        try {
          info = co_await find_session_on_strand(prepared.app_session_id, deadline);
        } catch (const ClearNodeError&) {
          // Unknown stays unknown: the node's own version check still protects the session.
        }
        lane->busy = false;
        if (info && info->status == "open") lane->known_version = info->version;
        if (lane->waiting.front() != ticket) lane->waiting.front()->wake.cancel();  // inserted while we fetched
        continue;
      }
      const bool gap = ticket->version && lane->known_version && *ticket->version > *lane->known_version + 1;
      if (!gap) {
        lane->waiting.pop_front();
        lane->busy = true;
        break;
      }
    }
    if (Clock::now() >= deadline) {
      leave_queue();
      std::string why = "waited for earlier requests on that session until its deadline";
      if (ticket->version && lane->known_version && *ticket->version > *lane->known_version + 1) {
        why = "version " + std::to_string(*ticket->version) + " waited for versions after " +
              std::to_string(*lane->known_version) + " until its deadline";
      }
      throw ClearNodeError(ErrorKind::timeout,
                           prepared.method + " for app session " + prepared.app_session_id + ": " + why + "; not sent");
    }
    ticket->wake.expires_at(deadline);
    co_await ticket->wake.async_wait(asio::as_tuple(use_awaitable));
  }
  // Our turn. Release the lane on every exit; a failure stops everything queued behind us.
  const auto release = [&](const ClearNodeError* failure, const AppSessionResult* result) {
    lane->busy = false;
    std::optional<ClearNodeError> cancel_reason;
    if (failure) {
      lane->known_version.reset();
      lane->failure = SessionLane::Failure{prepared.version.value_or(0), next_request_id_.load(), failure->what()};
      cancel_reason = ClearNodeError(ErrorKind::earlier_request_failed,
                                     "not sent: an earlier " + prepared.method + " for app session " +
                                         prepared.app_session_id + " failed: " + failure->what());
    } else if (result) {
      lane->failure.reset();
      lane->known_version = result->version;
      if (result->status == "closed") {
        cancel_reason = ClearNodeError(ErrorKind::earlier_request_failed,
                                       "not sent: app session " + prepared.app_session_id + " was closed");
      }
    }
    if (cancel_reason) {
      for (auto& waiting : lane->waiting) {
        waiting->cancelled = *cancel_reason;
        waiting->wake.cancel();
      }
      lane->waiting.clear();
    } else if (!lane->waiting.empty()) {
      lane->waiting.front()->wake.cancel();
    }
    const bool closed = result && result->status == "closed";
    if (lane->waiting.empty() && (closed || (!lane->known_version && !lane->failure))) {
      if (const auto it = lanes_.find(prepared.app_session_id); it != lanes_.end() && it->second == lane) {
        lanes_.erase(it);
      }
    }
  };
  try {
    std::optional<std::uint64_t> expected_version = prepared.version;
    if (prepared.method == "submit_app_state" && !expected_version) {
      // NitroRPC/0.2 carries no version: learn the current one so that a lost reply can be resolved.
      if (!lane->known_version) {
        // Not found: send anyway and let the node answer with its own error text.
        const auto info = co_await find_session_on_strand(prepared.app_session_id, deadline);
        if (info) lane->known_version = info->version;
      }
      if (lane->known_version) expected_version = *lane->known_version + 1;
    }
    auto result =
        co_await send_write(prepared, signatures, add_own_signature, may_reprepare, expected_version, deadline);
    release(nullptr, &result);
    co_return result;
  } catch (const ClearNodeError& e) {
    release(&e, nullptr);
    throw;
  } catch (const std::exception& e) {
    const ClearNodeError wrapped(ErrorKind::protocol_violation, e.what());
    release(&wrapped, nullptr);
    throw wrapped;
  }
}

asio::awaitable<AppSessionResult> ClearNodeClient::send_write(PreparedRequest& prepared,
                                                              const std::vector<std::string>& signatures,
                                                              bool add_own_signature, bool may_reprepare,
                                                              std::optional<std::uint64_t> expected_version,
                                                              Clock::time_point deadline) {
  const std::string what = prepared.method + " for app session " + prepared.app_session_id;
  for (int attempt = 1;; ++attempt) {
    std::optional<ClearNodeError> lost;
    try {
      if (add_own_signature) co_await wait_until_ready(deadline, what);
      auto sigs = signatures;
      if (add_own_signature) sigs.push_back(sign_payload_hex(prepared.payload));
      const auto reply = co_await exchange(
          make_outgoing(prepared.request_id, prepared.method, prepared.payload, sigs, true), deadline);
      co_return decode_app_session_result(reply.params);
    } catch (const ClearNodeError& e) {
      if (e.kind() == ErrorKind::stale_request && may_reprepare && attempt < kMaxWriteAttempts) {
        prepared = reprepare(prepared);  // nothing was sent; our own signature is simply made again
        continue;
      }
      if (e.kind() != ErrorKind::disconnected || attempt >= kMaxWriteAttempts) throw;
      lost = e;
    }
    // The link dropped after the request was written: learn whether the node applied it before sending again.
    log(LogLevel::warning, std::string(lost->what()) + "; resolving from the node's state");
    std::optional<AppSessionResult> applied;
    try {
      applied = co_await resolve_write(prepared, expected_version, Clock::now() + options_.outcome_resolution_timeout);
    } catch (const ClearNodeError& e) {
      if (e.kind() == ErrorKind::shut_down) throw;
      throw ClearNodeError(ErrorKind::disconnected,
                           std::string(lost->what()) + ", and it could not be resolved: " + e.what());
    }
    ++stats_.resolved_outcomes;
    if (applied) {
      applied->resolved_after_disconnect = true;
      log(LogLevel::info,
          what + " was applied before the link dropped (version " + std::to_string(applied->version) + ")");
      co_return *applied;
    }
    const auto age_ms = now_ms() - std::min(now_ms(), prepared.timestamp_ms);
    if (age_ms > static_cast<std::uint64_t>(options_.max_prepared_age.count())) {
      if (!may_reprepare) {
        throw ClearNodeError(ErrorKind::stale_request,
                             what + " was not applied (the link dropped before the node answered) and is now " +
                                 std::to_string(age_ms) + " ms old: prepare it again and collect new signatures");
      }
      prepared = reprepare(prepared);
    }
    log(LogLevel::info, what + " was not applied before the link dropped; sending it again");
    deadline = std::max(deadline, Clock::now() + options_.call_timeout);
  }
}

asio::awaitable<std::optional<AppSessionResult>> ClearNodeClient::resolve_write(
    const PreparedRequest& prepared, std::optional<std::uint64_t> expected_version, Clock::time_point deadline) {
  const auto& id = prepared.app_session_id;
  if (prepared.method == "create_app_session") {
    try {
      co_await simple_call("get_app_definition", single("app_session_id", id), false, false, deadline);
    } catch (const ClearNodeError& e) {
      if (e.kind() == ErrorKind::remote_error) co_return std::nullopt;  // no such session: not created
      throw;
    }
    const auto info = co_await find_session_on_strand(id, deadline);
    co_return AppSessionResult{id, info ? info->status : "open", info ? info->version : 1, true};
  }
  const auto info = co_await find_session_on_strand(id, deadline);
  if (!info) throw ClearNodeError(ErrorKind::protocol_violation, "app session " + id + " is not listed by the node");
  if (prepared.method == "close_app_session") {
    if (info->status == "closed") co_return AppSessionResult{id, info->status, info->version, true};
    co_return std::nullopt;
  }
  if (!expected_version) {
    throw ClearNodeError(ErrorKind::disconnected, "the session's version before the submit was unknown");
  }
  if (info->version >= *expected_version) co_return AppSessionResult{id, info->status, *expected_version, true};
  co_return std::nullopt;
}

asio::awaitable<std::optional<AppSessionInfo>> ClearNodeClient::find_session_on_strand(std::string app_session_id,
                                                                                       Clock::time_point deadline) {
  nlohmann::json definition_json;
  try {
    definition_json =
        co_await simple_call("get_app_definition", single("app_session_id", app_session_id), false, false, deadline);
  } catch (const ClearNodeError& e) {
    if (e.kind() == ErrorKind::remote_error) co_return std::nullopt;
    throw;
  }
  const auto definition = decode_app_definition(definition_json);
  if (definition.participants.empty()) co_return std::nullopt;
  AppSessionsFilter filter;
  filter.participant = definition.participants.front();
  filter.limit = kSessionsPageSize;
  for (std::size_t page = 0; page < kMaxSessionPages; ++page) {
    filter.offset = page * kSessionsPageSize;
    const auto sessions =
        decode_app_sessions(co_await simple_call("get_app_sessions", to_params(filter), false, false, deadline));
    for (const auto& s : sessions) {
      if (s.app_session_id == app_session_id) co_return s;
    }
    if (sessions.size() < kSessionsPageSize) break;
  }
  co_return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------------------
// Public calls: each hops onto the strand for its whole duration and resumes the caller on its own executor.

asio::awaitable<AppSessionResult> ClearNodeClient::create_app_session(CreateAppSessionParams params, CallOptions call) {
  auto self = shared_from_this();
  auto prepared = prepare_create_app_session(params);
  co_return co_await on_strand(execute_write(std::move(prepared), {}, true, true, deadline_of(call)));
}

asio::awaitable<AppSessionResult> ClearNodeClient::submit_app_state(SubmitAppStateParams params, CallOptions call) {
  auto self = shared_from_this();
  auto prepared = prepare_submit_app_state(params);
  co_return co_await on_strand(execute_write(std::move(prepared), {}, true, true, deadline_of(call)));
}

asio::awaitable<AppSessionResult> ClearNodeClient::close_app_session(CloseAppSessionParams params, CallOptions call) {
  auto self = shared_from_this();
  auto prepared = prepare_close_app_session(params);
  co_return co_await on_strand(execute_write(std::move(prepared), {}, true, true, deadline_of(call)));
}

asio::awaitable<AppSessionResult> ClearNodeClient::submit_prepared(PreparedRequest prepared,
                                                                   std::vector<crypto::Signature> signatures,
                                                                   bool add_own_signature, CallOptions call) {
  auto self = shared_from_this();
  if (prepared.method != "create_app_session" && prepared.method != "submit_app_state" &&
      prepared.method != "close_app_session") {
    throw ClearNodeError(ErrorKind::invalid_argument, "not a prepared app-session request: " + prepared.method);
  }
  std::vector<std::string> sigs;
  for (const auto& s : signatures) {
    auto hex = s.to_hex();
    if (std::find(sigs.begin(), sigs.end(), hex) == sigs.end()) sigs.push_back(std::move(hex));
  }
  co_return co_await on_strand(
      execute_write(std::move(prepared), std::move(sigs), add_own_signature, false, deadline_of(call)));
}

asio::awaitable<std::vector<AppSessionInfo>> ClearNodeClient::get_app_sessions(AppSessionsFilter filter,
                                                                               CallOptions call) {
  auto self = shared_from_this();
  co_return decode_app_sessions(
      co_await on_strand(simple_call("get_app_sessions", to_params(filter), false, false, deadline_of(call))));
}

asio::awaitable<AppDefinition> ClearNodeClient::get_app_definition(std::string app_session_id, CallOptions call) {
  auto self = shared_from_this();
  co_return decode_app_definition(co_await on_strand(
      simple_call("get_app_definition", single("app_session_id", app_session_id), false, false, deadline_of(call))));
}

asio::awaitable<std::optional<AppSessionInfo>> ClearNodeClient::find_app_session(std::string app_session_id,
                                                                                 CallOptions call) {
  auto self = shared_from_this();
  co_return co_await on_strand(find_session_on_strand(std::move(app_session_id), deadline_of(call)));
}

asio::awaitable<std::vector<LedgerBalance>> ClearNodeClient::get_ledger_balances(std::optional<std::string> account_id,
                                                                                 CallOptions call) {
  auto self = shared_from_this();
  nlohmann::json params = nlohmann::json::object();
  if (account_id) params["account_id"] = *account_id;
  co_return decode_ledger_balances(
      co_await on_strand(simple_call("get_ledger_balances", std::move(params), true, true, deadline_of(call))));
}

asio::awaitable<NodeConfig> ClearNodeClient::get_config(CallOptions call) {
  auto self = shared_from_this();
  co_return decode_config(
      co_await on_strand(simple_call("get_config", nlohmann::json::object(), false, false, deadline_of(call))));
}

asio::awaitable<std::vector<AssetInfo>> ClearNodeClient::get_assets(std::optional<std::uint64_t> chain_id,
                                                                    CallOptions call) {
  auto self = shared_from_this();
  nlohmann::json params = nlohmann::json::object();
  if (chain_id) params["chain_id"] = *chain_id;
  co_return decode_assets(
      co_await on_strand(simple_call("get_assets", std::move(params), false, false, deadline_of(call))));
}

asio::awaitable<void> ClearNodeClient::ping(CallOptions call) {
  auto self = shared_from_this();
  co_await on_strand(simple_call("ping", nlohmann::json::object(), false, false, deadline_of(call)));
}

asio::awaitable<nlohmann::json> ClearNodeClient::call(std::string method, nlohmann::json params, bool sign,
                                                      CallOptions call) {
  auto self = shared_from_this();
  if (method.empty()) throw ClearNodeError(ErrorKind::invalid_argument, "method must be non-empty");
  if (params.is_null()) params = nlohmann::json::object();
  const bool is_private = is_private_method(method);
  co_return co_await on_strand(simple_call(std::move(method), std::move(params), is_private, sign, deadline_of(call)));
}

}  // namespace umpire::clearnode
