// client/proposal_check.cpp — see the header. The request is read the way the node will read it, and anything the
// node could read differently from us is refused: duplicate or unknown object keys (Go matches keys
// case-insensitively, so a second "Participants" would override what we checked), numbers beyond 2^53 (the node
// decodes params through float64), and amounts that are not strings.
#include "client/proposal_check.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "crypto/eth_messages.hpp"
#include "wire/app_session.hpp"
#include "wire/decimal.hpp"

namespace umpire::client {
namespace {

using Json = nlohmann::json;

constexpr std::uint64_t kMaxExactInteger = std::uint64_t{1} << 53;  // float64 holds integers exactly up to here
constexpr std::string_view kProtocol = "NitroRPC/0.4";

struct Refused {
  ProposalRefusal refusal;
};

[[noreturn]] void refuse(ProposalFault fault, std::string reason) { throw Refused{{fault, std::move(reason)}}; }

// Parses `text`, refusing an object that repeats a key (compared ASCII-case-insensitively, as Go matches fields).
Json parse_strict(const std::string& text) {
  std::vector<std::set<std::string>> keys_in_open_objects;
  std::string duplicate;
  const Json::parser_callback_t watch_keys = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) keys_in_open_objects.emplace_back();
    if (event == Json::parse_event_t::object_end && !keys_in_open_objects.empty()) keys_in_open_objects.pop_back();
    if (event == Json::parse_event_t::key && !keys_in_open_objects.empty()) {
      std::string folded = parsed.get<std::string>();
      for (char& c : folded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!keys_in_open_objects.back().insert(folded).second && duplicate.empty()) duplicate = parsed.get<std::string>();
    }
    return true;
  };
  Json json = Json::parse(text, watch_keys, /*allow_exceptions=*/false);
  if (json.is_discarded()) refuse(ProposalFault::malformed_request, "request_json is not valid JSON");
  if (!duplicate.empty()) refuse(ProposalFault::malformed_request, "request_json repeats the key \"" + duplicate + "\"");
  return json;
}

// Every key of `object` must be one of `known`: an unknown key could be a case variant the node would honour.
void only_keys(const Json& object, std::initializer_list<std::string_view> known, ProposalFault fault,
               const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (const auto& name : known) found = found || key == name;
    if (!found) refuse(fault, where + " has an unexpected key \"" + key + "\"");
  }
}

const Json& member(const Json& object, const char* key, ProposalFault fault, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) refuse(fault, where + " has no \"" + key + "\"");
  return *it;
}

std::uint64_t exact_unsigned(const Json& value, const std::string& what) {
  if (!value.is_number_unsigned()) refuse(ProposalFault::bad_definition, what + " is not a non-negative integer");
  const auto number = value.get<std::uint64_t>();
  if (number > kMaxExactInteger) refuse(ProposalFault::bad_definition, what + " is above 2^53");
  return number;
}

std::string text_of(const Json& value, ProposalFault fault, const std::string& what) {
  if (!value.is_string()) refuse(fault, what + " is not a string");
  return value.get<std::string>();
}

wire::Decimal decimal_of(const std::string& text, ProposalFault fault, const std::string& what) {
  const auto amount = wire::Decimal::parse(text);
  if (!amount) refuse(fault, what + " \"" + text + "\" is not a decimal amount");
  return *amount;
}

// The definition as the node hashes it.
wire::AppDefinition read_definition(const Json& params) {
  const Json& json = member(params, "definition", ProposalFault::bad_definition, "params");
  if (!json.is_object()) refuse(ProposalFault::bad_definition, "definition is not an object");
  only_keys(json, {"application", "protocol", "participants", "weights", "quorum", "challenge", "nonce"},
            ProposalFault::bad_definition, "definition");
  wire::AppDefinition definition;
  const auto field = [&](const char* key) -> const Json& {
    return member(json, key, ProposalFault::bad_definition, "definition");
  };
  definition.application = text_of(field("application"), ProposalFault::bad_definition, "definition.application");
  definition.protocol = text_of(field("protocol"), ProposalFault::bad_definition, "definition.protocol");
  if (definition.protocol != kProtocol) {
    refuse(ProposalFault::bad_definition, "protocol is \"" + definition.protocol + "\", not " + std::string(kProtocol));
  }
  const Json& participants = field("participants");
  if (!participants.is_array()) refuse(ProposalFault::bad_definition, "definition.participants is not an array");
  definition.participants.emplace();
  for (const auto& participant : participants) {
    definition.participants->push_back(text_of(participant, ProposalFault::bad_participant, "a participant"));
  }
  const Json& weights = field("weights");
  if (!weights.is_array()) refuse(ProposalFault::bad_definition, "definition.weights is not an array");
  definition.weights.emplace();
  for (const auto& weight : weights) {
    if (!weight.is_number_integer()) refuse(ProposalFault::wrong_weights, "a weight is not an integer");
    const auto value = weight.is_number_unsigned() ? static_cast<std::int64_t>(exact_unsigned(weight, "a weight"))
                                                   : weight.get<std::int64_t>();
    definition.weights->push_back(value);
  }
  definition.quorum = exact_unsigned(field("quorum"), "definition.quorum");
  definition.challenge = exact_unsigned(field("challenge"), "definition.challenge");
  definition.nonce = exact_unsigned(field("nonce"), "definition.nonce");
  if (definition.nonce == 0) refuse(ProposalFault::bad_definition, "definition.nonce is 0");
  return definition;
}

void check_participants_and_weights(const wire::AppDefinition& definition, const ProposalExpectation& expected) {
  const auto& participants = *definition.participants;
  const auto& weights = *definition.weights;
  if (participants.size() != expected.seats + 1) {
    refuse(ProposalFault::wrong_seat_count, std::to_string(participants.size()) + " participants for " +
                                                std::to_string(expected.seats) + " seats and Umpire");
  }
  std::set<std::string> seen;
  for (const auto& participant : participants) {
    if (!crypto::is_checksummed(participant)) {
      refuse(ProposalFault::bad_participant, "participant " + participant + " is not an EIP-55 address");
    }
    if (!seen.insert(participant).second) refuse(ProposalFault::bad_participant, participant + " is listed twice");
  }
  if (participants.back() != expected.server_address) {
    refuse(ProposalFault::server_not_last,
           "the last participant is " + participants.back() + ", not the server " + expected.server_address);
  }
  if (weights.size() != participants.size()) {
    refuse(ProposalFault::wrong_weights, std::to_string(weights.size()) + " weights for " +
                                             std::to_string(participants.size()) + " participants");
  }
  for (std::size_t i = 0; i + 1 < weights.size(); ++i) {
    if (weights[i] != 0) refuse(ProposalFault::wrong_weights, "player " + participants[i] + " has weight " + std::to_string(weights[i]));
  }
  if (weights.back() <= 0) refuse(ProposalFault::wrong_weights, "the server has weight " + std::to_string(weights.back()));
  if (definition.quorum != static_cast<std::uint64_t>(weights.back())) {
    refuse(ProposalFault::wrong_quorum, "quorum " + std::to_string(definition.quorum) + " is not the server's weight " +
                                            std::to_string(weights.back()));
  }
  const std::string own = expected.own_address.checksum();
  if (std::find(participants.begin(), participants.end() - 1, own) == participants.end() - 1) {
    refuse(ProposalFault::not_a_participant, own + " is not among the players");
  }
}

// participant → amount, all in the room's asset.
std::map<std::string, wire::Decimal> read_allocations(const Json& params, const wire::AppDefinition& definition,
                                                      const ProposalExpectation& expected) {
  const Json& list = member(params, "allocations", ProposalFault::bad_allocation, "params");
  if (!list.is_array()) refuse(ProposalFault::bad_allocation, "allocations is not an array");
  const auto& participants = *definition.participants;
  std::map<std::string, wire::Decimal> amounts;
  for (const auto& item : list) {
    if (!item.is_object()) refuse(ProposalFault::bad_allocation, "an allocation is not an object");
    only_keys(item, {"participant", "asset", "amount"}, ProposalFault::bad_allocation, "an allocation");
    const auto participant =
        text_of(member(item, "participant", ProposalFault::bad_allocation, "an allocation"), ProposalFault::bad_allocation,
                "an allocation's participant");
    const auto asset = text_of(member(item, "asset", ProposalFault::bad_allocation, "an allocation"),
                               ProposalFault::bad_allocation, "an allocation's asset");
    const auto amount_text = text_of(member(item, "amount", ProposalFault::bad_allocation, "an allocation"),
                                     ProposalFault::bad_allocation, "the amount of " + participant);
    const auto amount = decimal_of(amount_text, ProposalFault::bad_allocation, "the amount of " + participant);
    if (amount.is_negative()) refuse(ProposalFault::bad_allocation, participant + " has a negative amount");
    if (std::find(participants.begin(), participants.end(), participant) == participants.end()) {
      refuse(ProposalFault::bad_allocation, "an allocation for " + participant + ", who is not a participant");
    }
    if (asset != expected.asset) {
      refuse(ProposalFault::wrong_asset, participant + " allocates \"" + asset + "\", the room's asset is \"" +
                                             expected.asset + "\"");
    }
    if (!amounts.emplace(participant, amount).second) {
      refuse(ProposalFault::bad_allocation, participant + " has two allocations");
    }
  }
  return amounts;
}

void check_stakes(const std::map<std::string, wire::Decimal>& amounts, const wire::AppDefinition& definition,
                  const ProposalExpectation& expected) {
  const auto stake = decimal_of(expected.stake, ProposalFault::wrong_own_stake, "the room's stake");
  const std::string own = expected.own_address.checksum();
  const auto& participants = *definition.participants;
  for (std::size_t i = 0; i + 1 < participants.size(); ++i) {
    const auto it = amounts.find(participants[i]);
    const wire::Decimal amount = it == amounts.end() ? wire::Decimal() : it->second;
    if (amount == stake) continue;
    const bool mine = participants[i] == own;
    refuse(mine ? ProposalFault::wrong_own_stake : ProposalFault::wrong_other_stake,
           (mine ? "own allocation " : "allocation of " + participants[i] + " ") + amount.to_string() +
               " differs from the stake " + stake.to_string());
  }
  const auto umpire = amounts.find(participants.back());
  if (umpire != amounts.end() && !umpire->second.is_zero()) {
    refuse(ProposalFault::umpire_allocation, "the server allocates " + umpire->second.to_string());
  }
}

void check_summary(const v1::ProposalSummary& summary, const wire::AppDefinition& definition,
                   const std::map<std::string, wire::Decimal>& amounts, const ProposalExpectation& expected) {
  const auto mismatch = [](const std::string& what) { refuse(ProposalFault::summary_mismatch, "summary " + what + " differs from request_json"); };
  const auto& participants = *definition.participants;
  if (!std::equal(summary.participants().begin(), summary.participants().end(), participants.begin(),
                  participants.end())) {
    mismatch("participants");
  }
  const auto& weights = *definition.weights;
  if (!std::equal(summary.weights().begin(), summary.weights().end(), weights.begin(), weights.end(),
                  [](std::uint32_t a, std::int64_t b) { return static_cast<std::int64_t>(a) == b; })) {
    mismatch("weights");
  }
  if (summary.quorum() != definition.quorum) mismatch("quorum");
  if (summary.asset() != expected.asset) mismatch("asset");
  if (summary.nonce() != definition.nonce) mismatch("nonce");
  if (summary.protocol() != definition.protocol) mismatch("protocol");
  if (summary.application() != definition.application) mismatch("application");
  std::map<std::string, wire::Decimal> shown;
  for (const auto& allocation : summary.allocations()) {
    const auto amount = wire::Decimal::parse(allocation.amount());
    if (!amount || allocation.asset() != expected.asset || !shown.emplace(allocation.participant(), *amount).second) {
      mismatch("allocations");
    }
  }
  // A zero amount may be listed or left out on either side; every non-zero amount must match.
  for (const auto& participant : participants) {
    const auto in_request = amounts.find(participant);
    const auto in_summary = shown.find(participant);
    const wire::Decimal a = in_request == amounts.end() ? wire::Decimal() : in_request->second;
    const wire::Decimal b = in_summary == shown.end() ? wire::Decimal() : in_summary->second;
    if (a != b) mismatch("allocation of " + participant);
  }
  if (shown.size() > participants.size()) mismatch("allocations");
  for (const auto& [participant, amount] : shown) {
    if (std::find(participants.begin(), participants.end(), participant) == participants.end()) mismatch("allocations");
  }
  if (summary.app_session_id() != wire::app_session_id(definition)) {
    mismatch("app_session_id " + summary.app_session_id() + " (the definition hashes to " +
             wire::app_session_id(definition) + ")");
  }
}

}  // namespace

std::string_view to_string(ProposalFault fault) {
  switch (fault) {
    case ProposalFault::malformed_request: return "malformed_request";
    case ProposalFault::wrong_method: return "wrong_method";
    case ProposalFault::bad_definition: return "bad_definition";
    case ProposalFault::wrong_seat_count: return "wrong_seat_count";
    case ProposalFault::bad_participant: return "bad_participant";
    case ProposalFault::server_not_last: return "server_not_last";
    case ProposalFault::wrong_weights: return "wrong_weights";
    case ProposalFault::wrong_quorum: return "wrong_quorum";
    case ProposalFault::not_a_participant: return "not_a_participant";
    case ProposalFault::bad_allocation: return "bad_allocation";
    case ProposalFault::wrong_asset: return "wrong_asset";
    case ProposalFault::wrong_own_stake: return "wrong_own_stake";
    case ProposalFault::wrong_other_stake: return "wrong_other_stake";
    case ProposalFault::umpire_allocation: return "umpire_allocation";
    case ProposalFault::summary_mismatch: return "summary_mismatch";
  }
  return "unknown";
}

ProposalExpectation expectation_for(const crypto::Address& own_address, const v1::RoomType& room,
                                    const std::string& server_address) {
  return {own_address, room.asset(), room.stake(), room.seats(), server_address};
}

std::optional<ProposalRefusal> check_proposal(const v1::SessionProposal& proposal, const ProposalExpectation& expected) {
  try {
    const Json request = parse_strict(proposal.request_json());
    if (!request.is_array() || request.size() != 4) {
      refuse(ProposalFault::malformed_request, "request_json is not a 4-element array [id, method, params, ts]");
    }
    if (!request[0].is_number_unsigned() || !request[3].is_number_unsigned()) {
      refuse(ProposalFault::malformed_request, "request id or timestamp is not an unsigned integer");
    }
    if (!request[1].is_string()) refuse(ProposalFault::malformed_request, "method is not a string");
    if (request[1] != "create_app_session") {
      refuse(ProposalFault::wrong_method, "method is \"" + request[1].get<std::string>() + "\", not create_app_session");
    }
    // The node wants an object; the protocol's first example wrapped it in a one-element array. Both are read.
    const Json* params = &request[2];
    if (params->is_array() && params->size() == 1) params = &(*params)[0];
    if (!params->is_object()) refuse(ProposalFault::malformed_request, "params is not an object");
    only_keys(*params, {"definition", "allocations", "session_data"}, ProposalFault::malformed_request, "params");
    if (params->contains("session_data") && !(*params)["session_data"].is_string()) {
      refuse(ProposalFault::malformed_request, "session_data is not a string");
    }

    const wire::AppDefinition definition = read_definition(*params);
    check_participants_and_weights(definition, expected);
    const auto amounts = read_allocations(*params, definition, expected);
    check_stakes(amounts, definition, expected);
    check_summary(proposal.summary(), definition, amounts, expected);
    return std::nullopt;
  } catch (const Refused& refused) {
    return refused.refusal;
  }
}

crypto::Signature sign_proposal(const crypto::Signer& wallet, const v1::SessionProposal& proposal) {
  return crypto::sign_rpc_payload(wallet, proposal.request_json());
}

v1::ClientMessage make_sign_proposal(const crypto::Signer& wallet, const v1::SessionProposal& proposal) {
  v1::ClientMessage message;
  auto* sign = message.mutable_sign_proposal();
  sign->set_room_id(proposal.room_id());
  sign->set_app_session_id(proposal.summary().app_session_id());
  sign->set_signature(sign_proposal(wallet, proposal).to_hex());
  return message;
}

v1::ClientMessage make_decline_proposal(const v1::SessionProposal& proposal, const ProposalRefusal& refusal) {
  v1::ClientMessage message;
  auto* decline = message.mutable_decline_proposal();
  decline->set_room_id(proposal.room_id());
  decline->set_reason(std::string(to_string(refusal.fault)) + ": " + refusal.reason);
  return message;
}

}  // namespace umpire::client
