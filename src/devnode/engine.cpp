// devnode/engine.cpp — envelope handling, the dispatch table, private-method gates, handlers and notifications.
#include "devnode/engine.hpp"

#include <algorithm>
#include <cctype>
#include <random>

#include "crypto/keccak.hpp"
#include "devnode/rpc_error.hpp"
#include "wire/go_json.hpp"

namespace umpire::devnode {
namespace {

constexpr std::int64_t kJwtLifetimeS = 24 * 60 * 60;

std::string derived_token_address(const std::string& symbol) {
  const auto hash = crypto::keccak256("umpire-devnode-token:" + symbol);
  crypto::Address::Bytes bytes{};
  std::copy(hash.begin() + 12, hash.end(), bytes.begin());
  return crypto::Address(bytes).checksum();
}

// google/uuid accepts the canonical 36-character form and bare 32 hex digits; we return the canonical lowercase.
std::optional<std::string> canonical_uuid(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  if (text.size() == 32) text = text.substr(0, 8) + "-" + text.substr(8, 4) + "-" + text.substr(12, 4) + "-" +
                                text.substr(16, 4) + "-" + text.substr(20);
  if (text.size() != 36) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  return text;
}

std::optional<std::string> recover(const std::string& raw, const std::string& signature_hex) {
  try {
    const auto signature = crypto::Signature::parse(signature_hex);
    const auto address = crypto::try_recover_address(crypto::keccak256(raw), signature, crypto::HighS::accept);
    if (!address) return std::nullopt;
    return address->checksum();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<AppAllocation> allocations_param(const Json& params) {
  std::vector<AppAllocation> out;
  for (const auto& item : object_list_field(params, "allocations")) {
    out.push_back({string_field(item, "participant"), string_field(item, "asset"), decimal_field(item, "amount")});
  }
  return out;
}

OrderedJson nullable(const auto& optional_list) {
  return optional_list ? OrderedJson(*optional_list) : OrderedJson(nullptr);
}

// The node's AppSessionResponse: only id, status and version are set; the rest marshal as Go zero values.
OrderedJson app_session_reply(const std::string& id, const std::string& status, std::uint64_t version) {
  OrderedJson reply;
  reply["app_session_id"] = id;
  reply["application"] = "";
  reply["status"] = status;
  reply["participants"] = nullptr;
  reply["protocol"] = "";
  reply["challenge"] = 0;
  reply["weights"] = nullptr;
  reply["quorum"] = 0;
  reply["version"] = version;
  reply["nonce"] = 0;
  reply["created_at"] = "";
  reply["updated_at"] = "";
  return reply;
}

OrderedJson app_session_json(const AppSession& session, bool with_application) {
  OrderedJson item;
  item["app_session_id"] = session.id;
  item["application"] = with_application ? session.definition.application : "";
  item["status"] = session.status;
  item["participants"] = nullable(session.definition.participants);
  if (!session.session_data.empty()) item["session_data"] = session.session_data;
  item["protocol"] = session.definition.protocol;
  item["challenge"] = session.definition.challenge;
  item["weights"] = nullable(session.definition.weights);
  item["quorum"] = session.definition.quorum;
  item["version"] = session.version;
  item["nonce"] = session.definition.nonce;
  item["created_at"] = rfc3339(session.created_ms);
  item["updated_at"] = rfc3339(session.updated_ms);
  return item;
}

}  // namespace

std::vector<AssetConfig> parse_asset_list(std::string_view text, std::uint64_t chain_id) {
  std::vector<AssetConfig> assets;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const auto colon = item.find(':');
    AssetConfig asset;
    asset.symbol = std::string(item.substr(0, colon));
    asset.chain_id = chain_id;
    if (colon != std::string_view::npos) {
      const std::string decimals(item.substr(colon + 1));
      if (decimals.empty() || decimals.size() > 2 || !std::all_of(decimals.begin(), decimals.end(), ::isdigit) ||
          std::stoul(decimals) > 18) {
        throw std::invalid_argument("asset decimals must be 0..18 in '" + std::string(item) + "'");
      }
      asset.decimals = static_cast<unsigned>(std::stoul(decimals));
    }
    if (asset.symbol.empty()) throw std::invalid_argument("empty asset symbol in asset list");
    assets.push_back(std::move(asset));
  }
  return assets;
}

Engine::Engine(EngineOptions options, crypto::PrivateKey broker_key)
    : options_(std::move(options)),
      broker_key_(std::move(broker_key)),
      broker_address_(broker_key_.address()),
      routes_(route_table()),
      challenges_(options_.random_seed != 0 ? options_.random_seed : std::random_device{}() * 0x9E3779B97F4A7C15ULL ^ std::random_device{}()) {
  for (auto& asset : options_.assets) {
    if (asset.token.empty()) asset.token = derived_token_address(asset.symbol);
  }
}

// The dispatch table: every method the devnode answers, who may call it, and what it answers on failure.
std::map<std::string, Engine::Route, std::less<>> Engine::route_table() {
  constexpr auto open = Access::open;
  constexpr auto auth = Access::authenticated;
  constexpr const char* parse = "failed to parse parameters";
  return {
      // method                      access  parse error                         fallback error                          bu after  handler
      {"ping",                      {open, parse,                              "an error occurred while processing the request", false, &Engine::ping}},
      {"get_config",                {open, parse,                              "failed to get config",                 false, &Engine::get_config}},
      {"get_assets",                {open, parse,                              "failed to get assets",                 false, &Engine::get_assets}},
      {"auth_request",              {open, "failed to parse auth parameters",  "failed to generate challenge",         false, &Engine::auth_request}},
      {"auth_verify",               {open, "failed to parse auth parameters",  "authentication failed",                false, &Engine::auth_verify}},
      {"get_app_definition",        {open, parse,                              "failed to get application session",    false, &Engine::get_app_definition}},
      {"get_app_sessions",          {open, parse,                              "failed to get application sessions",   false, &Engine::get_app_sessions}},
      {"get_channels",              {open, parse,                              "failed to get channels",               false, &Engine::get_channels}},
      {"get_ledger_entries",        {open, parse,                              "failed to get ledger entries",         false, &Engine::not_supported}},
      {"get_ledger_transactions",   {open, parse,                              "failed to get transactions",           false, &Engine::not_supported}},
      {"cleanup_session_key_cache", {open, parse,                              "test mode endpoints are disabled",     false, &Engine::test_mode_disabled}},
      {"get_ledger_balances",       {auth, parse,                              "failed to get ledger balances",        false, &Engine::get_ledger_balances}},
      {"get_user_tag",              {auth, parse,                              "failed to get user tag",               false, &Engine::get_user_tag}},
      {"get_rpc_history",           {auth, parse,                              "failed to retrieve RPC history",       false, &Engine::not_supported}},
      {"get_session_keys",          {auth, parse,                              "failed to get session keys",           false, &Engine::get_session_keys}},
      {"revoke_session_key",        {auth, parse,                              "failed to revoke session key",         false, &Engine::revoke_session_key}},
      {"transfer",                  {auth, parse,                              "failed to process transfer",           true,  &Engine::transfer}},
      {"create_app_session",        {auth, parse,                              "failed to create application session", true,  &Engine::create_app_session}},
      {"submit_app_state",          {auth, parse,                              "failed to submit app state",           true,  &Engine::submit_app_state}},
      {"close_app_session",         {auth, parse,                              "failed to close application session",  true,  &Engine::close_app_session}},
      {"create_channel",            {auth, parse,                              "failed to create channel",             false, &Engine::not_supported}},
      {"resize_channel",            {auth, parse,                              "failed to resize channel",             false, &Engine::not_supported}},
      {"close_channel",             {auth, parse,                              "failed to close channel",              false, &Engine::not_supported}},
      // Devnode-only (not on a real node): credit a wallet from the mint account, audit the books, and read any
      // wallet's balance without its key (load tests check conservation with it; a read is safe to retry).
      {"devnode_fund",              {open, parse,                              "devnode_fund failed",                  false, &Engine::devnode_fund}},
      {"devnode_audit",             {open, parse,                              "devnode_audit failed",                 false, &Engine::devnode_audit}},
      {"devnode_balance",           {open, parse,                              "devnode_balance failed",               false, &Engine::devnode_balance}},
  };
}

// ---- frames -------------------------------------------------------------------------------------------------

SharedFrame Engine::signed_frame(std::uint64_t id, std::string_view method, std::string_view params_json,
                                 std::int64_t now_ms) const {
  std::string payload = wire::build_payload(id, method, params_json, static_cast<std::uint64_t>(now_ms));
  // A notification repeated within the same millisecond (asu to each participant, a caller's unchanged bu) has the
  // same bytes, hence the same deterministic (RFC 6979) signature: reuse the frame instead of signing again.
  const bool notification = id == 0;
  if (notification) {
    for (const auto& recent : recent_notifications_) {
      if (recent.frame && recent.payload == payload) return recent.frame;
    }
  }
  const std::vector<std::string> signature{broker_key_.sign_digest(crypto::keccak256(payload)).to_hex()};
  auto frame = std::make_shared<const std::string>(wire::build_frame("res", payload, signature));
  if (notification) {
    auto& slot = recent_notifications_[next_recent_notification_++ % recent_notifications_.size()];
    slot.payload = std::move(payload);
    slot.frame = frame;
  }
  return frame;
}

bool Engine::online(const std::string& wallet) const {
  return std::any_of(connections_.begin(), connections_.end(),
                     [&](const auto& item) { return item.second.wallet == wallet; });
}

void Engine::deliver(std::vector<Delivery>& out, const Notice& notice, std::int64_t now_ms) const {
  if (notice.connection) {
    out.push_back({*notice.connection, signed_frame(0, notice.method, notice.params_json, now_ms)});
    return;
  }
  SharedFrame frame;  // signed only if someone is there to receive it
  for (const auto& [id, connection] : connections_) {
    if (connection.wallet != notice.wallet) continue;
    if (!frame) frame = signed_frame(0, notice.method, notice.params_json, now_ms);
    out.push_back({id, frame});
  }
}

std::vector<Delivery> Engine::error_reply(ConnectionId connection, std::uint64_t id, std::string_view text,
                                          std::int64_t now_ms) const {
  OrderedJson params;
  params["error"] = std::string(text);
  return {{connection, signed_frame(id, "error", wire::go_marshal(params), now_ms)}};
}

std::vector<Delivery> Engine::reject_oversized_frame(ConnectionId connection, std::size_t limit_bytes,
                                                    std::int64_t now_ms) const {
  // Not a node text: the node reads frames of any size. The id is the server's clock, as for any frame whose
  // request id could not be read.
  return error_reply(connection, static_cast<std::uint64_t>(now_ms),
                     "message too large: the devnode accepts frames of at most " + std::to_string(limit_bytes) +
                         " bytes",
                     now_ms);
}

std::vector<Delivery> Engine::open_connection(ConnectionId connection, std::int64_t now_ms) {
  connections_[connection] = Connection{};
  std::vector<Delivery> out;
  deliver(out, Notice{connection, "", "assets", wire::go_marshal(assets_json(0))}, now_ms);
  return out;
}

void Engine::close_connection(ConnectionId connection) { connections_.erase(connection); }

std::vector<Delivery> Engine::handle_frame(ConnectionId connection, std::string_view frame, std::int64_t now_ms) {
  if (frame.empty()) return {};
  connections_.try_emplace(connection);
  auto parsed = wire::parse_request_frame(frame);
  if (auto* rejection = std::get_if<wire::FrameRejection>(&parsed)) {
    return error_reply(connection, rejection->request_id.value_or(static_cast<std::uint64_t>(now_ms)), rejection->text(),
                       now_ms);
  }
  const auto& request = std::get<wire::RequestFrame>(parsed);
  const auto route = routes_.find(request.method);
  if (route == routes_.end()) return error_reply(connection, request.id, "unknown method: " + request.method, now_ms);

  Call call{connection, request, now_ms, {}, {}, {}, false};
  std::string failure;
  bool gates_passed = false;
  OrderedJson result;
  try {
    if (route->second.access == Access::authenticated) check_private_gates(call);
    gates_passed = true;
    result = (this->*route->second.handler)(call);
  } catch (const RpcError& error) {
    failure = error.what();
  } catch (const ParamError&) {
    failure = route->second.parse_error;
  } catch (const std::exception&) {
    failure = route->second.fallback_error;
  }
  if (call.state_changed && commit_observer_) commit_observer_(*this);

  std::vector<Delivery> out;
  if (failure.empty()) {
    for (const auto& notice : call.before) deliver(out, notice, now_ms);
  }
  if (gates_passed && route->second.balance_notice) {
    deliver(out, Notice{std::nullopt, call.wallet, "bu", balance_updates_json(call.wallet)}, now_ms);
  }
  if (!failure.empty()) {
    auto reply = error_reply(connection, request.id, failure, now_ms);
    out.insert(out.end(), reply.begin(), reply.end());
    return out;
  }
  std::string method = request.method;
  if (method == "auth_request") method = "auth_challenge";
  if (method == "ping") method = "pong";
  out.push_back({connection, signed_frame(request.id, method, wire::go_marshal(result), now_ms)});
  for (const auto& notice : call.after) deliver(out, notice, now_ms);
  return out;
}

// ---- gates and signatures -----------------------------------------------------------------------------------

void Engine::check_private_gates(Call& call) {
  const auto& connection = connections_.at(call.connection);
  if (connection.wallet.empty()) throw RpcError("authentication required");
  if (!auth_sessions_.touch(connection.wallet, call.now_ms)) throw RpcError("session expired, please re-authenticate");
  const std::uint64_t ts = call.request.timestamp_ms;
  if (ts < 1'000'000'000'000ULL || ts > 9'999'999'999'999ULL ||
      call.now_ms - static_cast<std::int64_t>(ts) > options_.message_expiry_ms) {
    throw RpcError("invalid message timestamp");
  }
  call.wallet = connection.wallet;
}

std::set<std::string> Engine::recover_signers(const wire::RequestFrame& request, const char* failure_text) const {
  std::set<std::string> signers;
  for (const auto& signature : request.signatures) {
    auto signer = recover(request.raw_req, signature);
    if (!signer) throw RpcError(failure_text);
    signers.insert(std::move(*signer));
  }
  return signers;
}

std::optional<std::string> Engine::verify_wallet_signer(const Call& call) const {
  if (call.request.signatures.empty()) throw RpcError("missing participant signature");
  const auto signer = recover(call.request.raw_req, call.request.signatures.front());
  if (!signer) throw RpcError("invalid signature");
  if (*signer == call.wallet) return std::nullopt;
  const SessionKey* key = session_keys_.live(*signer, call.now_ms);
  if (!key || key->wallet != call.wallet) throw RpcError("invalid signature");
  return *signer;
}

void Engine::check_allowance(const std::string& session_key, const std::string& asset, const wire::Decimal& amount,
                             const LedgerTransaction& transaction, std::int64_t now_ms) const {
  const SessionKey* key = session_keys_.live(session_key, now_ms);
  if (!key || key->is_root()) return;
  check_spending_cap(*key, session_key, asset, amount, transaction);
}

// ---- notifications ------------------------------------------------------------------------------------------

std::string Engine::balance_updates_json(const std::string& wallet) const {
  OrderedJson rows = OrderedJson::array();
  for (const auto& [asset, amount] : ledger_.balances(wallet, wallet)) {
    rows.push_back({{"asset", asset}, {"amount", amount.to_string()}});
  }
  OrderedJson params;
  params["balance_updates"] = rows;
  return wire::go_marshal(params);
}

void Engine::notify_balances(Call& call, const std::set<std::string>& wallets) {
  for (const auto& wallet : wallets) {
    if (online(wallet)) call.before.push_back({std::nullopt, wallet, "bu", balance_updates_json(wallet)});
  }
}

std::string Engine::user_tag(const std::string& wallet) {
  if (const auto it = tags_by_wallet_.find(wallet); it != tags_by_wallet_.end()) return it->second;
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const auto hash = crypto::keccak256(wallet);
  std::string tag;
  for (std::size_t i = 0; tag.size() < 6; ++i) tag.push_back(kAlphabet[hash[i % hash.size()] % 36]);
  tags_by_wallet_[wallet] = tag;
  wallets_by_tag_[tag] = wallet;
  return tag;
}

void Engine::rebuild_indexes() {
  for (const auto& entry : ledger_.entries()) {
    if (entry.account.account_id == entry.account.wallet && entry.account.wallet.rfind("devnode:", 0) != 0) {
      remember_wallet(entry.account.wallet);
    }
  }
}

OrderedJson Engine::assets_json(std::uint64_t chain_id) const {
  OrderedJson list = OrderedJson::array();
  for (const auto& asset : options_.assets) {
    if (chain_id != 0 && asset.chain_id != chain_id) continue;
    OrderedJson item;
    item["token"] = asset.token;
    item["chain_id"] = asset.chain_id;
    item["symbol"] = asset.symbol;
    item["decimals"] = asset.decimals;
    list.push_back(item);
  }
  OrderedJson params;
  params["assets"] = list;
  return params;
}

// ---- public methods -----------------------------------------------------------------------------------------

OrderedJson Engine::ping(Call&) { return nullptr; }

OrderedJson Engine::get_config(Call&) {
  OrderedJson reply;
  reply["broker_address"] = broker_address_.checksum();
  reply["networks"] = OrderedJson::array();  // the devnode has no chains
  return reply;
}

OrderedJson Engine::get_assets(Call& call) {
  return assets_json(uint64_field(params_object(call.request.params), "chain_id"));
}

OrderedJson Engine::get_channels(Call& call) {
  params_object(call.request.params);
  OrderedJson reply;
  reply["channels"] = OrderedJson::array();
  return reply;
}

OrderedJson Engine::not_supported(Call& call) {
  throw RpcError(call.request.method + " is not supported by devnode (it emulates no chain, channels or history)");
}

OrderedJson Engine::test_mode_disabled(Call&) { throw RpcError("test mode endpoints are disabled"); }

OrderedJson Engine::auth_request(Call& call) {
  const Json& params = params_object(call.request.params);
  AuthChallenge challenge;
  challenge.wallet = string_field(params, "address");
  if (challenge.wallet.rfind("0x", 0) != 0) challenge.wallet = "0x" + challenge.wallet;
  challenge.session_key = string_field(params, "session_key");
  challenge.application = string_field(params, "application");
  challenge.scope = string_field(params, "scope");
  challenge.expires_at_s = uint64_field(params, "expires_at");
  for (const auto& item : object_list_field(params, "allowances")) {
    challenge.allowances.push_back({string_field(item, "asset"), string_field(item, "amount")});
  }
  OrderedJson reply;
  reply["challenge_message"] = challenges_.issue(std::move(challenge), call.now_ms);
  return reply;
}

OrderedJson Engine::auth_verify(Call& call) {
  const Json& params = params_object(call.request.params);
  const auto challenge_text = optional_string_field(params, "challenge");
  const std::string jwt = string_field(params, "jwt");
  std::optional<std::string> challenge_id;
  if (challenge_text) {
    challenge_id = canonical_uuid(*challenge_text);
    if (!challenge_id) throw ParamError("challenge is not a UUID");
  }
  auto bind = [&](const std::string& wallet, const std::string& session_key) {
    connections_[call.connection] = Connection{wallet, session_key};
    auth_sessions_.start(wallet, call.now_ms);
    remember_wallet(wallet);
    OrderedJson channels;
    channels["channels"] = OrderedJson::array();
    call.after.push_back({call.connection, wallet, "channels", wire::go_marshal(channels)});
    call.after.push_back({call.connection, wallet, "bu", balance_updates_json(wallet)});
  };

  if (!jwt.empty()) {
    const auto claims = verify_jwt(broker_address_, jwt, call.now_ms);
    if (!claims) throw RpcError("invalid JWT token");
    bind(claims->wallet, claims->session_key);
    OrderedJson reply;  // a Go map: keys sorted
    reply["address"] = claims->wallet;
    reply["session_key"] = claims->session_key;
    reply["success"] = true;
    return reply;
  }
  if (call.request.signatures.empty()) throw RpcError("invalid authentication method: expected JWT or signature");
  AuthChallenge* challenge = challenge_id ? challenges_.find(*challenge_id) : nullptr;
  if (!challenge) throw RpcError("invalid challenge");

  std::optional<std::string> recovered;
  {
    const auto wallet = crypto::Address::try_parse(challenge->wallet);
    const auto session_key = crypto::Address::try_parse(challenge->session_key);
    if (!wallet || !session_key || challenge->application.empty()) throw RpcError("invalid signature");
    crypto::AuthPolicy policy{challenge->application, *challenge_id, challenge->scope, *wallet, *session_key,
                              challenge->expires_at_s, challenge->allowances};
    try {
      const auto signature = crypto::Signature::parse(call.request.signatures.front());
      const auto signer = crypto::try_recover_address(crypto::auth_policy_digest(policy), signature, crypto::HighS::accept);
      if (signer) recovered = signer->checksum();
    } catch (const std::exception&) {
    }
    if (!recovered) throw RpcError("invalid signature");
  }
  if (*recovered != challenge->wallet || challenge->used ||
      challenge->issued_ms + ChallengeStore::kLifetimeMs < call.now_ms) {
    throw RpcError("invalid challenge or signature");
  }
  challenge->used = true;  // consumed from here on, even if a later step fails

  for (const auto& allowance : challenge->allowances) {
    const bool known = std::any_of(options_.assets.begin(), options_.assets.end(),
                                   [&](const auto& asset) { return asset.symbol == allowance.asset; });
    if (!known) throw RpcError("unsupported token: asset '" + allowance.asset + "' is not supported");
    const auto amount = wire::Decimal::parse(allowance.amount);
    if (!amount) throw RpcError("unsupported token: invalid amount '" + allowance.amount + "' for asset '" + allowance.asset + "'");
    if (amount->is_negative()) throw RpcError("unsupported token: amount for asset '" + allowance.asset + "' cannot be negative");
  }
  SessionKey key;
  key.address = challenge->session_key;
  key.wallet = challenge->wallet;
  key.application = challenge->application;
  key.allowances = challenge->allowances;
  key.scope = challenge->scope.empty() ? "all" : challenge->scope;
  key.expires_at_s = static_cast<std::int64_t>(std::min<std::uint64_t>(challenge->expires_at_s, INT64_MAX / 1000));
  session_keys_.register_key(key, call.now_ms);
  call.state_changed = true;

  JwtClaims claims{challenge->wallet, challenge->session_key, challenge->scope, challenge->application,
                   challenge->allowances, challenge->expires_at_s, call.now_ms / 1000 + kJwtLifetimeS};
  bind(challenge->wallet, challenge->session_key);
  OrderedJson reply;  // a Go map: keys sorted
  reply["address"] = challenge->wallet;
  reply["jwt_token"] = issue_jwt(broker_key_, claims);
  reply["session_key"] = challenge->session_key;
  reply["success"] = true;
  return reply;
}

OrderedJson Engine::get_app_definition(Call& call) {
  const std::string id = string_field(params_object(call.request.params), "app_session_id");
  if (id.empty()) throw RpcError("missing account ID");
  const AppSession* session = app_sessions_.find(id);
  if (!session) throw RpcError("failed to get application session");
  OrderedJson reply;
  reply["application"] = "";  // the node leaves it empty
  reply["protocol"] = session->definition.protocol;
  reply["participants"] = nullable(session->definition.participants);
  reply["weights"] = nullable(session->definition.weights);
  reply["quorum"] = session->definition.quorum;
  reply["challenge"] = session->definition.challenge;
  reply["nonce"] = session->definition.nonce;
  return reply;
}

OrderedJson Engine::get_app_sessions(Call& call) {
  const Json& params = params_object(call.request.params);
  AppSessionFilter filter;
  filter.participant = string_field(params, "participant");
  filter.status = string_field(params, "status");
  filter.offset = uint64_field(params, "offset");
  filter.limit = uint64_field(params, "limit");
  if (filter.limit == 0) filter.limit = 10;
  filter.limit = std::min<std::uint64_t>(filter.limit, 100);
  filter.ascending = string_field(params, "sort") == "asc";
  OrderedJson list = OrderedJson::array();
  for (const AppSession* session : app_sessions_.list(filter)) list.push_back(app_session_json(*session, true));
  OrderedJson reply;
  reply["app_sessions"] = list;
  return reply;
}

// ---- private methods ----------------------------------------------------------------------------------------

OrderedJson Engine::get_ledger_balances(Call& call) {
  std::string account = string_field(params_object(call.request.params), "account_id");
  if (account.empty()) account = call.wallet;
  if (account.size() == 42) {  // 20-byte account IDs are normalized to EIP-55; 32-byte session IDs are not
    if (const auto address = crypto::Address::try_parse(account)) account = address->checksum();
  }
  OrderedJson rows = OrderedJson::array();
  for (const auto& [asset, amount] : ledger_.balances(account, call.wallet)) {
    rows.push_back({{"asset", asset}, {"amount", amount.to_string()}});
  }
  OrderedJson reply;
  reply["ledger_balances"] = rows;
  return reply;
}

OrderedJson Engine::get_user_tag(Call& call) {
  OrderedJson reply;
  reply["tag"] = user_tag(call.wallet);
  return reply;
}

OrderedJson Engine::get_session_keys(Call& call) {
  OrderedJson list = OrderedJson::array();
  for (const SessionKey* key : session_keys_.live_keys_of(call.wallet, call.now_ms)) {
    OrderedJson allowances = OrderedJson::array();
    for (const auto& allowance : key->allowances) {
      OrderedJson item;
      item["asset"] = allowance.asset;
      item["allowance"] = wire::Decimal::parse(allowance.amount).value_or(wire::Decimal()).to_string();
      item["used"] = ledger_.session_key_spent(key->address, allowance.asset).to_string();
      allowances.push_back(item);
    }
    OrderedJson item;
    item["id"] = key->id;
    item["session_key"] = key->address;
    item["application"] = key->application;
    item["allowances"] = allowances;
    item["scope"] = key->scope;
    item["expires_at"] = rfc3339(key->expires_at_s * 1000);
    item["created_at"] = rfc3339(key->created_ms);
    list.push_back(item);
  }
  OrderedJson reply;
  reply["session_keys"] = list;
  return reply;
}

OrderedJson Engine::revoke_session_key(Call& call) {
  const std::string target = string_field(params_object(call.request.params), "session_key");
  if (target.empty()) throw RpcError("session_key parameter is required");
  const auto signing_key = verify_wallet_signer(call);
  const SessionKey* key = session_keys_.live(target, call.now_ms);
  if (!key || key->wallet != call.wallet) {
    throw RpcError("operation denied: provided address is not an active session key of this user");
  }
  if (signing_key && *signing_key != target && !session_keys_.live(*signing_key, call.now_ms)->is_root()) {
    throw RpcError("operation denied: insufficient permissions for the active session key");
  }
  session_keys_.revoke(target, call.now_ms);
  call.state_changed = true;
  OrderedJson reply;
  reply["session_key"] = target;
  return reply;
}

OrderedJson Engine::transfer(Call& call) {
  const Json& params = params_object(call.request.params);
  const std::string destination = string_field(params, "destination");
  const std::string destination_tag = string_field(params, "destination_user_tag");
  std::vector<std::pair<std::string, wire::Decimal>> allocations;
  for (const auto& item : object_list_field(params, "allocations")) {
    allocations.emplace_back(string_field(item, "asset"), decimal_field(item, "amount"));
  }

  const std::string replay_key = crypto::to_hex(crypto::keccak256(call.request.raw_req));
  std::erase_if(transfer_replays_, [&](const auto& item) { return call.now_ms - item.second > options_.message_expiry_ms; });
  if (!transfer_replays_.emplace(replay_key, call.now_ms).second) {
    throw RpcError("operation denied: the request has already been processed");
  }
  if (destination.empty() && destination_tag.empty()) throw RpcError("destination or destination_tag must be provided");
  std::string to;
  if (!destination.empty()) {
    const auto address = crypto::Address::try_parse(destination);
    if (!address) throw RpcError("invalid destination account: " + destination);
    to = address->checksum();
  } else {
    const auto it = wallets_by_tag_.find(destination_tag);
    if (it == wallets_by_tag_.end()) throw RpcError("failed to get wallet by tag");
    to = it->second;
  }
  if (allocations.empty()) throw RpcError("allocations cannot be empty");
  const auto session_key = verify_wallet_signer(call);
  if (to == call.wallet) throw RpcError("cannot transfer to self");

  LedgerTransaction transaction(ledger_);
  OrderedJson transactions = OrderedJson::array();
  std::uint64_t next_id = next_transaction_id_;
  for (const auto& [asset, amount] : allocations) {
    if (!amount.is_positive()) throw RpcError("invalid allocation: " + amount.to_string() + " for asset " + asset);
    if (session_key) check_allowance(*session_key, asset, amount, transaction, call.now_ms);
    if (amount > transaction.balance(Ledger::unified(call.wallet, asset))) {
      throw RpcError("insufficient funds: " + call.wallet + " for asset " + asset);
    }
    transaction.move(Ledger::unified(call.wallet, asset), Ledger::unified(to, asset), amount, session_key.value_or(""));
    OrderedJson item;
    item["id"] = next_id++;
    item["tx_type"] = "transfer";
    item["from_account"] = call.wallet;
    item["from_account_tag"] = user_tag(call.wallet);
    item["to_account"] = to;
    item["to_account_tag"] = user_tag(to);
    item["asset"] = asset;
    item["amount"] = amount.to_string();
    item["created_at"] = rfc3339(call.now_ms);
    transactions.push_back(item);
  }
  transaction.commit(call.now_ms);
  next_transaction_id_ = next_id;
  call.state_changed = true;

  OrderedJson reply;
  reply["transactions"] = transactions;
  notify_balances(call, {call.wallet, to});
  const std::string notice = wire::go_marshal(reply);
  call.before.push_back({std::nullopt, call.wallet, "tr", notice});
  call.before.push_back({std::nullopt, to, "tr", notice});
  return reply;
}

OrderedJson Engine::create_app_session(Call& call) {
  const Json& params = params_object(call.request.params);
  CreateAppSessionRequest request;
  const auto definition_it = params.find("definition");
  const Json& definition = (definition_it == params.end() || definition_it->is_null()) ? Json::object() : *definition_it;
  if (!definition.is_object()) throw ParamError("definition must be an object");
  request.definition.application = string_field(definition, "application");
  request.definition.protocol = string_field(definition, "protocol");
  request.definition.participants = string_list_field(definition, "participants");
  request.definition.weights = int64_list_field(definition, "weights");
  request.definition.quorum = uint64_field(definition, "quorum");
  request.definition.challenge = uint64_field(definition, "challenge");
  request.definition.nonce = uint64_field(definition, "nonce");
  request.allocations = allocations_param(params);
  request.session_data = optional_string_field(params, "session_data");
  const auto signers = recover_signers(call.request, "failed to get signers from RPC message");

  const auto outcome = app_sessions_.create(request, signers, call.now_ms);
  call.state_changed = true;
  notify_balances(call, outcome.balance_changed);
  return app_session_reply(outcome.app_session_id, "open", 1);
}

OrderedJson Engine::submit_app_state(Call& call) {
  const Json& params = params_object(call.request.params);
  SubmitAppStateRequest request;
  request.app_session_id = string_field(params, "app_session_id");
  request.allocations = allocations_param(params);
  request.session_data = optional_string_field(params, "session_data");
  request.intent = string_field(params, "intent");
  request.version = uint64_field(params, "version");
  const auto signers = recover_signers(call.request, "failed to get wallets from RPC message");

  const auto outcome = app_sessions_.submit(request, signers, call.now_ms);
  call.state_changed = true;
  notify_balances(call, outcome.balance_changed);
  const AppSession& session = *app_sessions_.find(outcome.app_session_id);
  OrderedJson allocations = nullptr;  // a nil Go slice when nothing is held
  for (const auto& allocation : app_sessions_.allocations_of(session)) {
    allocations.push_back({{"participant", allocation.participant}, {"asset", allocation.asset},
                           {"amount", allocation.amount.to_string()}});
  }
  OrderedJson notice;
  notice["app_session"] = app_session_json(session, false);
  notice["participant_allocations"] = allocations;
  const std::string notice_json = wire::go_marshal(notice);
  for (const auto& participant : session.definition.participants.value_or(std::vector<std::string>{})) {
    call.before.push_back({std::nullopt, participant, "asu", notice_json});
  }
  return app_session_reply(session.id, "open", session.version);
}

OrderedJson Engine::close_app_session(Call& call) {
  const Json& params = params_object(call.request.params);
  CloseAppSessionRequest request;
  request.app_session_id = string_field(params, "app_session_id");
  request.allocations = allocations_param(params);
  request.session_data = optional_string_field(params, "session_data");
  const auto signers = recover_signers(call.request, "failed to get wallets from RPC message");

  const auto outcome = app_sessions_.close(request, signers, call.now_ms);
  call.state_changed = true;
  notify_balances(call, outcome.balance_changed);
  return app_session_reply(outcome.app_session_id, "closed", app_sessions_.find(outcome.app_session_id)->version);
}

// ---- devnode-only -------------------------------------------------------------------------------------------

// The wallet (EIP-55) of a devnode-only method's params, after checking it and the asset; errors name `method`.
std::string Engine::devnode_wallet(std::string_view method, const std::string& wallet_text,
                                   const std::string& asset) const {
  const auto address = crypto::Address::try_parse(wallet_text);
  if (!address) throw RpcError(std::string(method) + ": invalid wallet " + wallet_text);
  const bool known = std::any_of(options_.assets.begin(), options_.assets.end(),
                                 [&](const auto& item) { return item.symbol == asset; });
  if (!known) throw RpcError(std::string(method) + ": unsupported asset " + asset);
  return address->checksum();
}

std::string Engine::credit_from_mint(const std::string& wallet_text, const std::string& asset,
                                     const wire::Decimal& amount, std::int64_t now_ms) {
  const std::string wallet = devnode_wallet("devnode_fund", wallet_text, asset);
  if (!amount.is_positive()) throw RpcError("devnode_fund: amount must be positive");
  LedgerTransaction transaction(ledger_);
  transaction.move(Ledger::mint(asset), Ledger::unified(wallet, asset), amount);
  transaction.commit(now_ms);
  remember_wallet(wallet);
  return wallet;
}

std::vector<Delivery> Engine::fund(const std::string& wallet_text, const std::string& asset, const wire::Decimal& amount,
                                   std::int64_t now_ms) {
  const std::string wallet = credit_from_mint(wallet_text, asset, amount, now_ms);
  if (commit_observer_) commit_observer_(*this);
  std::vector<Delivery> out;
  deliver(out, Notice{std::nullopt, wallet, "bu", balance_updates_json(wallet)}, now_ms);
  return out;
}

OrderedJson Engine::devnode_fund(Call& call) {
  const Json& params = params_object(call.request.params);
  const std::string asset = string_field(params, "asset");
  const auto amount = decimal_field(params, "amount");
  const std::string wallet = credit_from_mint(string_field(params, "wallet"), asset, amount, call.now_ms);
  call.state_changed = true;
  notify_balances(call, {wallet});
  OrderedJson reply;
  reply["wallet"] = wallet;
  reply["asset"] = asset;
  reply["amount"] = amount.to_string();
  reply["balance"] = ledger_.balance(Ledger::unified(wallet, asset)).to_string();
  return reply;
}

OrderedJson Engine::devnode_balance(Call& call) {
  const Json& params = params_object(call.request.params);
  const std::string asset = string_field(params, "asset");
  const std::string wallet = devnode_wallet("devnode_balance", string_field(params, "wallet"), asset);
  OrderedJson reply;
  reply["wallet"] = wallet;
  reply["asset"] = asset;
  reply["balance"] = ledger_.balance(Ledger::unified(wallet, asset)).to_string();
  return reply;
}

OrderedJson Engine::devnode_audit(Call&) {
  OrderedJson assets = OrderedJson::array();
  bool balanced = true;
  for (const auto& audit : ledger_.audit()) {
    OrderedJson item;
    item["asset"] = audit.asset;
    item["credits"] = audit.credits.to_string();
    item["debits"] = audit.debits.to_string();
    item["minted"] = audit.minted.to_string();
    item["held"] = audit.held.to_string();
    item["unbalanced"] = audit.unbalanced.to_string();
    item["balanced"] = audit.balanced();
    balanced = balanced && audit.balanced();
    assets.push_back(item);
  }
  OrderedJson reply;
  reply["balanced"] = balanced;
  reply["entries"] = ledger_.entries().size();
  reply["assets"] = assets;
  return reply;
}

}  // namespace umpire::devnode
