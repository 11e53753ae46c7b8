// wire/app_session.cpp — definition marshalling and the session id hash.
#include "wire/app_session.hpp"

#include <nlohmann/json.hpp>

#include "crypto/keccak.hpp"
#include "wire/go_json.hpp"

namespace umpire::wire {

std::string definition_json(const AppDefinition& definition) {
  nlohmann::ordered_json json;
  json["application"] = definition.application;
  json["protocol"] = definition.protocol;
  json["participants"] = definition.participants ? nlohmann::ordered_json(*definition.participants) : nullptr;
  json["weights"] = definition.weights ? nlohmann::ordered_json(*definition.weights) : nullptr;
  json["quorum"] = definition.quorum;
  json["challenge"] = definition.challenge;
  json["nonce"] = definition.nonce;
  return go_marshal(json);
}

std::string app_session_id(const AppDefinition& definition) {
  const auto hash = crypto::keccak256(definition_json(definition));
  return crypto::to_hex(hash);
}

}  // namespace umpire::wire
