// clearnode/app_session_types.cpp — see the header. Decoders are strict about the fields Umpire relies on and
// ignore the rest, so a node that adds fields keeps working.
#include "clearnode/app_session_types.hpp"

#include "clearnode/clearnode_error.hpp"
#include "wire/app_session.hpp"

namespace umpire::clearnode {

namespace {

constexpr std::uint64_t kMaxExactJsonInteger = std::uint64_t{1} << 53;  // the node decodes numbers as float64

void require_exact(std::uint64_t value, std::string_view what) {
  if (value > kMaxExactJsonInteger) {
    throw ClearNodeError(ErrorKind::invalid_argument,
                         std::string(what) + " is above 2^53 and would be rounded by the node");
  }
}

[[noreturn]] void bad_reply(const std::string& what) {
  throw ClearNodeError(ErrorKind::protocol_violation, "unexpected reply from the node: " + what);
}

const nlohmann::json& field(const nlohmann::json& obj, const char* name) {
  if (!obj.is_object()) bad_reply(std::string("expected an object holding \"") + name + "\"");
  const auto it = obj.find(name);
  if (it == obj.end()) bad_reply(std::string("missing \"") + name + "\"");
  return *it;
}

std::string get_string(const nlohmann::json& obj, const char* name) {
  const auto& v = field(obj, name);
  if (!v.is_string()) bad_reply(std::string("\"") + name + "\" is not a string");
  return v.get<std::string>();
}

std::string get_string_or_empty(const nlohmann::json& obj, const char* name) {
  if (!obj.is_object() || !obj.contains(name) || obj.at(name).is_null()) return {};
  return get_string(obj, name);
}

std::uint64_t get_uint(const nlohmann::json& obj, const char* name) {
  const auto& v = field(obj, name);
  if (!v.is_number_unsigned()) bad_reply(std::string("\"") + name + "\" is not an unsigned integer");
  return v.get<std::uint64_t>();
}

std::vector<std::string> get_strings(const nlohmann::json& obj, const char* name) {
  std::vector<std::string> out;
  const auto& v = field(obj, name);
  if (v.is_null()) return out;
  if (!v.is_array()) bad_reply(std::string("\"") + name + "\" is not an array");
  for (const auto& s : v) {
    if (!s.is_string()) bad_reply(std::string("\"") + name + "\" holds a non-string");
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::vector<std::int64_t> get_ints(const nlohmann::json& obj, const char* name) {
  std::vector<std::int64_t> out;
  const auto& v = field(obj, name);
  if (v.is_null()) return out;
  if (!v.is_array()) bad_reply(std::string("\"") + name + "\" is not an array");
  for (const auto& n : v) {
    if (!n.is_number_integer()) bad_reply(std::string("\"") + name + "\" holds a non-integer");
    out.push_back(n.get<std::int64_t>());
  }
  return out;
}

// An amount may arrive as a string or (per the protocol) a JSON number.
wire::Decimal get_amount(const nlohmann::json& obj, const char* name) {
  const auto& v = field(obj, name);
  std::optional<wire::Decimal> parsed;
  if (v.is_string()) parsed = wire::Decimal::parse(v.get<std::string>());
  if (v.is_number()) parsed = wire::Decimal::parse(v.dump());
  if (!parsed) bad_reply(std::string("\"") + name + "\" is not a decimal amount");
  return *parsed;
}

nlohmann::json allocations_json(const std::vector<AppAllocation>& allocations) {
  auto out = nlohmann::json::array();
  for (const auto& a : allocations) {
    out.push_back({{"participant", a.participant}, {"asset", a.asset}, {"amount", a.amount.to_string()}});
  }
  return out;
}

}  // namespace

static wire::AppDefinition to_wire(const AppDefinition& d) {
  require_exact(d.quorum, "quorum");
  require_exact(d.challenge, "challenge");
  require_exact(d.nonce, "nonce");
  for (const auto w : d.weights) {
    if (w > static_cast<std::int64_t>(kMaxExactJsonInteger) || w < -static_cast<std::int64_t>(kMaxExactJsonInteger)) {
      throw ClearNodeError(ErrorKind::invalid_argument, "a weight is beyond 2^53 and would be rounded by the node");
    }
  }
  // Umpire always sends both arrays, so the node sees non-nil slices: `[]`, never null.
  return {d.application, d.protocol, d.participants, d.weights, d.quorum, d.challenge, d.nonce};
}

std::string go_marshal_definition(const AppDefinition& definition) {
  return wire::definition_json(to_wire(definition));
}

std::string app_session_id(const AppDefinition& definition) { return wire::app_session_id(to_wire(definition)); }

std::string_view to_string(Intent intent) noexcept {
  switch (intent) {
    case Intent::operate:
      return "operate";
    case Intent::deposit:
      return "deposit";
    case Intent::withdraw:
      return "withdraw";
  }
  return "operate";
}

nlohmann::json to_params(const CreateAppSessionParams& p) {
  const auto& d = p.definition;
  if (d.nonce == 0) throw ClearNodeError(ErrorKind::invalid_argument, "definition nonce must be non-zero");
  go_marshal_definition(d);  // range checks
  nlohmann::json def = {{"application", d.application},
                        {"protocol", d.protocol},
                        {"participants", d.participants},
                        {"weights", d.weights},
                        {"quorum", d.quorum},
                        {"challenge", d.challenge},
                        {"nonce", d.nonce}};
  nlohmann::json out = {{"definition", def}, {"allocations", allocations_json(p.allocations)}};
  if (p.session_data) out["session_data"] = *p.session_data;
  return out;
}

nlohmann::json to_params(const SubmitAppStateParams& p) {
  if (p.app_session_id.empty()) throw ClearNodeError(ErrorKind::invalid_argument, "app_session_id is empty");
  nlohmann::json out = {{"app_session_id", p.app_session_id}, {"allocations", allocations_json(p.allocations)}};
  if (p.session_data) out["session_data"] = *p.session_data;
  if (p.intent) out["intent"] = std::string(to_string(*p.intent));
  if (p.version) {
    require_exact(*p.version, "version");
    out["version"] = *p.version;
  }
  return out;
}

nlohmann::json to_params(const CloseAppSessionParams& p) {
  if (p.app_session_id.empty()) throw ClearNodeError(ErrorKind::invalid_argument, "app_session_id is empty");
  if (p.allocations.empty()) {
    throw ClearNodeError(ErrorKind::invalid_argument, "close needs at least one allocation (zero amounts allowed)");
  }
  nlohmann::json out = {{"app_session_id", p.app_session_id}, {"allocations", allocations_json(p.allocations)}};
  if (p.session_data) out["session_data"] = *p.session_data;
  return out;
}

nlohmann::json to_params(const AppSessionsFilter& f) {
  nlohmann::json out = nlohmann::json::object();
  if (f.participant) out["participant"] = *f.participant;
  if (f.status) out["status"] = *f.status;
  if (f.offset) out["offset"] = *f.offset;
  if (f.limit) out["limit"] = *f.limit;
  return out;
}

AppSessionResult decode_app_session_result(const nlohmann::json& params) {
  AppSessionResult r;
  r.app_session_id = get_string(params, "app_session_id");
  r.status = get_string(params, "status");
  r.version = get_uint(params, "version");
  return r;
}

AppSessionInfo decode_app_session_info(const nlohmann::json& item) {
  AppSessionInfo s;
  s.app_session_id = get_string(item, "app_session_id");
  s.application = get_string_or_empty(item, "application");
  s.status = get_string(item, "status");
  s.participants = get_strings(item, "participants");
  s.session_data = get_string_or_empty(item, "session_data");
  s.protocol = get_string_or_empty(item, "protocol");
  s.weights = get_ints(item, "weights");
  s.quorum = get_uint(item, "quorum");
  s.challenge = get_uint(item, "challenge");
  s.version = get_uint(item, "version");
  s.nonce = get_uint(item, "nonce");
  s.created_at = get_string_or_empty(item, "created_at");
  s.updated_at = get_string_or_empty(item, "updated_at");
  return s;
}

std::vector<AppSessionInfo> decode_app_sessions(const nlohmann::json& params) {
  std::vector<AppSessionInfo> out;
  const auto& list = field(params, "app_sessions");
  if (list.is_null()) return out;
  if (!list.is_array()) bad_reply("\"app_sessions\" is not an array");
  for (const auto& item : list) out.push_back(decode_app_session_info(item));
  return out;
}

AppDefinition decode_app_definition(const nlohmann::json& params) {
  AppDefinition d;
  d.application = get_string_or_empty(params, "application");
  d.protocol = get_string(params, "protocol");
  d.participants = get_strings(params, "participants");
  d.weights = get_ints(params, "weights");
  d.quorum = get_uint(params, "quorum");
  d.challenge = get_uint(params, "challenge");
  d.nonce = get_uint(params, "nonce");
  return d;
}

std::vector<LedgerBalance> decode_ledger_balances(const nlohmann::json& params) {
  std::vector<LedgerBalance> out;
  const auto& list = field(params, "ledger_balances");
  if (list.is_null()) return out;
  if (!list.is_array()) bad_reply("\"ledger_balances\" is not an array");
  for (const auto& item : list) out.push_back({get_string(item, "asset"), get_amount(item, "amount")});
  return out;
}

NodeConfig decode_config(const nlohmann::json& params) {
  NodeConfig c;
  c.broker_address = get_string(params, "broker_address");
  if (params.contains("networks") && params.at("networks").is_array()) {
    for (const auto& n : params.at("networks")) {
      c.networks.push_back({get_uint(n, "chain_id"), get_string_or_empty(n, "name"),
                            get_string_or_empty(n, "custody_address"), get_string_or_empty(n, "adjudicator_address")});
    }
  }
  return c;
}

std::vector<AssetInfo> decode_assets(const nlohmann::json& params) {
  std::vector<AssetInfo> out;
  const auto& list = field(params, "assets");
  if (list.is_null()) return out;
  if (!list.is_array()) bad_reply("\"assets\" is not an array");
  for (const auto& a : list) {
    out.push_back({get_string(a, "token"), get_uint(a, "chain_id"), get_string(a, "symbol"), get_uint(a, "decimals")});
  }
  return out;
}

}  // namespace umpire::clearnode
