// devnode/engine.hpp — the devnode protocol engine: (connection, raw frame, now) in, signed frames out. Owns all
// node state (ledger, app sessions, session keys, auth) and the dispatch table; does no I/O and takes no locks, so
// the transport must call it from one strand. Notifications raised by a request come before its response (§7),
// and every outgoing frame is signed once by the broker key over its raw `res` bytes.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/private_key.hpp"
#include "devnode/app_sessions.hpp"
#include "devnode/auth.hpp"
#include "devnode/json_fields.hpp"
#include "devnode/ledger.hpp"
#include "devnode/session_keys.hpp"
#include "wire/envelope.hpp"

namespace umpire::devnode {

struct AssetConfig {
  std::string symbol;     // case-sensitive, e.g. "usdc"
  unsigned decimals = 6;  // reported by get_assets only; amounts are human units as on the node
  std::string token;      // EIP-55 token address; derived from the symbol when empty
  std::uint64_t chain_id = 31337;
};

struct EngineOptions {
  std::vector<AssetConfig> assets{AssetConfig{"usdc", 6, "", 31337}};
  std::int64_t message_expiry_ms = 60'000;  // MSG_EXPIRY_TIME: private-request freshness and the transfer replay window
  std::uint64_t random_seed = 0;            // challenge UUIDs; 0 = from std::random_device
};

// Parses "usdc:6,eth:18" (decimals optional, default 6). Throws std::invalid_argument on a malformed item.
std::vector<AssetConfig> parse_asset_list(std::string_view text, std::uint64_t chain_id = 31337);

using ConnectionId = std::uint64_t;
using SharedFrame = std::shared_ptr<const std::string>;

struct Delivery {
  ConnectionId connection;
  SharedFrame frame;
};

class Engine {
 public:
  Engine(EngineOptions options, crypto::PrivateKey broker_key);

  // A new socket: the node pushes `assets` first.
  std::vector<Delivery> open_connection(ConnectionId connection, std::int64_t now_ms);
  void close_connection(ConnectionId connection);
  // One client frame. Frames are returned in sending order; an empty frame is skipped silently.
  std::vector<Delivery> handle_frame(ConnectionId connection, std::string_view frame, std::int64_t now_ms);

  // The error answered to a frame the transport discarded for exceeding `limit_bytes`; the socket stays open.
  std::vector<Delivery> reject_oversized_frame(ConnectionId connection, std::size_t limit_bytes,
                                               std::int64_t now_ms) const;

  // devnode_fund without a socket (startup funding, embedding tests). Throws RpcError.
  std::vector<Delivery> fund(const std::string& wallet, const std::string& asset, const wire::Decimal& amount,
                             std::int64_t now_ms);

  const crypto::Address& broker_address() const { return broker_address_; }
  const Ledger& ledger() const { return ledger_; }
  const AppSessions& app_sessions() const { return app_sessions_; }
  const SessionKeyRegistry& session_keys() const { return session_keys_; }

  // Called after every request that changed durable state, before its frames are returned (persistence).
  void set_commit_observer(std::function<void(const Engine&)> observer) { commit_observer_ = std::move(observer); }
  // Persistence restores state through these.
  Ledger& mutable_ledger() { return ledger_; }
  AppSessions& mutable_app_sessions() { return app_sessions_; }
  SessionKeyRegistry& mutable_session_keys() { return session_keys_; }
  std::uint64_t next_transaction_id() const { return next_transaction_id_; }
  void set_next_transaction_id(std::uint64_t id) { next_transaction_id_ = id; }
  void rebuild_indexes();  // after a restore: user tags of every wallet in the ledger

 private:
  struct Connection {
    std::string wallet;       // empty until auth_verify succeeds
    std::string session_key;
  };
  struct Notice {
    std::optional<ConnectionId> connection;  // a single socket, or else every socket of `wallet`
    std::string wallet;
    std::string method;
    std::string params_json;
  };
  struct Call {
    ConnectionId connection;
    const wire::RequestFrame& request;
    std::int64_t now_ms;
    std::string wallet;                // the authenticated wallet (private methods)
    std::vector<Notice> before;        // queued ahead of the response
    std::vector<Notice> after;         // queued behind it (auth pushes)
    bool state_changed = false;
  };
  enum class Access { open, authenticated };
  using Handler = OrderedJson (Engine::*)(Call&);
  struct Route {
    Access access;
    const char* parse_error;      // params that do not decode
    const char* fallback_error;   // any other non-RpcError failure
    bool balance_notice;          // the caller gets `bu` after the request, even a failed one (AuthMiddleware)
    Handler handler;
  };
  std::map<std::string, Route, std::less<>> route_table();

  // Handlers: thin; the rules live in the services.
  OrderedJson ping(Call&);
  OrderedJson get_config(Call&);
  OrderedJson get_assets(Call&);
  OrderedJson auth_request(Call&);
  OrderedJson auth_verify(Call&);
  OrderedJson get_ledger_balances(Call&);
  OrderedJson get_user_tag(Call&);
  OrderedJson get_session_keys(Call&);
  OrderedJson revoke_session_key(Call&);
  OrderedJson transfer(Call&);
  OrderedJson get_app_definition(Call&);
  OrderedJson get_app_sessions(Call&);
  OrderedJson get_channels(Call&);
  OrderedJson create_app_session(Call&);
  OrderedJson submit_app_state(Call&);
  OrderedJson close_app_session(Call&);
  OrderedJson not_supported(Call&);
  OrderedJson test_mode_disabled(Call&);
  OrderedJson devnode_fund(Call&);
  OrderedJson devnode_audit(Call&);
  OrderedJson devnode_balance(Call&);
  std::string devnode_wallet(std::string_view method, const std::string& wallet_text, const std::string& asset) const;

  void check_private_gates(Call& call);
  std::set<std::string> recover_signers(const wire::RequestFrame& request, const char* failure_text) const;
  // transfer/revoke: sig[0] must be the wallet or one of its live session keys; returns the key, if one signed.
  std::optional<std::string> verify_wallet_signer(const Call& call) const;
  void check_allowance(const std::string& session_key, const std::string& asset, const wire::Decimal& amount,
                       const LedgerTransaction& transaction, std::int64_t now_ms) const;
  void notify_balances(Call& call, const std::set<std::string>& wallets);
  std::string credit_from_mint(const std::string& wallet, const std::string& asset, const wire::Decimal& amount,
                               std::int64_t now_ms);  // returns the EIP-55 wallet
  std::string balance_updates_json(const std::string& wallet) const;
  std::string user_tag(const std::string& wallet);
  void remember_wallet(const std::string& wallet) { user_tag(wallet); }

  SharedFrame signed_frame(std::uint64_t id, std::string_view method, std::string_view params_json,
                           std::int64_t now_ms) const;
  bool online(const std::string& wallet) const;  // some socket is authenticated as exactly this wallet
  // Notifications go only to sockets of their wallet; one nobody would receive is never built or signed.
  void deliver(std::vector<Delivery>& out, const Notice& notice, std::int64_t now_ms) const;
  std::vector<Delivery> error_reply(ConnectionId connection, std::uint64_t id, std::string_view text,
                                    std::int64_t now_ms) const;
  OrderedJson assets_json(std::uint64_t chain_id) const;

  EngineOptions options_;
  crypto::PrivateKey broker_key_;
  crypto::Address broker_address_;
  std::map<std::string, Route, std::less<>> routes_;

  Ledger ledger_;
  SessionKeyRegistry session_keys_;
  AppSessions app_sessions_{ledger_, session_keys_};
  ChallengeStore challenges_;
  AuthSessions auth_sessions_;
  std::map<ConnectionId, Connection> connections_;
  std::map<std::string, std::int64_t> transfer_replays_;  // keccak(raw req) → first seen (ms)
  std::map<std::string, std::string> wallets_by_tag_;
  std::map<std::string, std::string> tags_by_wallet_;
  std::uint64_t next_transaction_id_ = 1;
  std::function<void(const Engine&)> commit_observer_;
  struct RecentNotification {
    std::string payload;
    SharedFrame frame;
  };
  mutable std::array<RecentNotification, 4> recent_notifications_;  // signed_frame's reuse of identical notices
  mutable std::size_t next_recent_notification_ = 0;
};

}  // namespace umpire::devnode
