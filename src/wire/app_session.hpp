// wire/app_session.hpp — the app-session definition as the node hashes it. app_session_id is keccak256 of the
// Go-marshalled struct (fields in declaration order, nil slices as null), so the JSON text is part of the protocol.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace umpire::wire {

struct AppDefinition {
  std::string application;
  std::string protocol;                                 // "NitroRPC/0.2" or "NitroRPC/0.4"
  std::optional<std::vector<std::string>> participants; // nullopt marshals as null, as a nil Go slice
  std::optional<std::vector<std::int64_t>> weights;
  std::uint64_t quorum = 0;
  std::uint64_t challenge = 0;
  std::uint64_t nonce = 0;

  friend bool operator==(const AppDefinition&, const AppDefinition&) = default;
};

// {"application":…,"protocol":…,"participants":…,"weights":…,"quorum":…,"challenge":…,"nonce":…}, Go-compact.
std::string definition_json(const AppDefinition& definition);

// "0x" + 64 lowercase hex digits.
std::string app_session_id(const AppDefinition& definition);

}  // namespace umpire::wire
