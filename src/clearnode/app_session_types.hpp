// clearnode/app_session_types.hpp — typed params and results of the ClearNode calls this client makes, their
// JSON encoding, and the app_session_id derivation (umpire_wire's hash of the Go-marshalled definition). Amounts
// are wire::Decimal (exact); on the wire they are trimmed decimal strings.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "wire/decimal.hpp"

namespace umpire::clearnode {

inline constexpr std::string_view kProtocol02 = "NitroRPC/0.2";
inline constexpr std::string_view kProtocol04 = "NitroRPC/0.4";

struct AppDefinition {
  std::string application;                // must equal the session key's application unless that is "clearnode"
  std::string protocol{kProtocol04};      // NitroRPC/0.2 or NitroRPC/0.4
  std::vector<std::string> participants;  // EIP-55 strings; the node compares them as strings
  std::vector<std::int64_t> weights;
  std::uint64_t quorum = 0;
  std::uint64_t challenge = 0;  // seconds; stored and echoed only
  std::uint64_t nonce = 0;      // the uniqueness knob of app_session_id; must be non-zero and ≤ 2^53
};

// Go json.Marshal of the definition, byte for byte as the node computes it (wire::definition_json). Throws
// ClearNodeError(invalid_argument) for numbers above 2^53, which the node would round on the way in.
std::string go_marshal_definition(const AppDefinition& definition);
// "0x" + lowercase hex of keccak256(go_marshal_definition(definition)).
std::string app_session_id(const AppDefinition& definition);

struct AppAllocation {
  std::string participant;  // EIP-55
  std::string asset;        // case-sensitive symbol
  wire::Decimal amount;     // sent as its trimmed decimal string, e.g. "12.5"
};

enum class Intent { operate, deposit, withdraw };
std::string_view to_string(Intent intent) noexcept;

struct CreateAppSessionParams {
  AppDefinition definition;
  std::vector<AppAllocation> allocations;
  std::optional<std::string> session_data;
};

// NitroRPC/0.4 sessions need `intent` and `version` (current + 1); 0.2 sessions must leave both empty.
struct SubmitAppStateParams {
  std::string app_session_id;
  std::vector<AppAllocation> allocations;
  std::optional<std::string> session_data;
  std::optional<Intent> intent;
  std::optional<std::uint64_t> version;
};

struct CloseAppSessionParams {
  std::string app_session_id;
  std::vector<AppAllocation> allocations;  // list every participant; at least one entry, zero amounts allowed
  std::optional<std::string> session_data;
};

// What create/submit/close return (the node's reply fills only these meaningfully).
struct AppSessionResult {
  std::string app_session_id;
  std::string status;  // "open" or "closed"
  std::uint64_t version = 0;
  bool resolved_after_disconnect = false;  // true if learned by reading state after the link dropped
};

struct AppSessionInfo {
  std::string app_session_id;
  std::string application;
  std::string status;
  std::vector<std::string> participants;
  std::string session_data;
  std::string protocol;
  std::vector<std::int64_t> weights;
  std::uint64_t quorum = 0;
  std::uint64_t challenge = 0;
  std::uint64_t version = 0;
  std::uint64_t nonce = 0;
  std::string created_at;
  std::string updated_at;
};

struct AppSessionsFilter {
  std::optional<std::string> participant;
  std::optional<std::string> status;  // "open" / "closed"
  std::optional<std::uint64_t> offset;
  std::optional<std::uint64_t> limit;  // node default 10, max 100
};

struct LedgerBalance {
  std::string asset;
  wire::Decimal amount;
};

struct NetworkInfo {
  std::uint64_t chain_id = 0;
  std::string name;
  std::string custody_address;
  std::string adjudicator_address;
};

struct NodeConfig {
  std::string broker_address;  // EIP-55
  std::vector<NetworkInfo> networks;
};

struct AssetInfo {
  std::string token;
  std::uint64_t chain_id = 0;
  std::string symbol;
  std::uint64_t decimals = 0;
};

// Encoding of params. Throws ClearNodeError(invalid_argument) on values the node would reject or mangle.
nlohmann::json to_params(const CreateAppSessionParams& params);
nlohmann::json to_params(const SubmitAppStateParams& params);
nlohmann::json to_params(const CloseAppSessionParams& params);
nlohmann::json to_params(const AppSessionsFilter& filter);

// Decoding of replies. Throw ClearNodeError(protocol_violation) naming the missing or mistyped field.
AppSessionResult decode_app_session_result(const nlohmann::json& params);
AppSessionInfo decode_app_session_info(const nlohmann::json& item);
std::vector<AppSessionInfo> decode_app_sessions(const nlohmann::json& params);
AppDefinition decode_app_definition(const nlohmann::json& params);
std::vector<LedgerBalance> decode_ledger_balances(const nlohmann::json& params);
NodeConfig decode_config(const nlohmann::json& params);
std::vector<AssetInfo> decode_assets(const nlohmann::json& params);

}  // namespace umpire::clearnode
