// clearnode/rpc_frame.cpp — see the header.
#include "clearnode/rpc_frame.hpp"

#include "wire/envelope.hpp"
#include "wire/go_json.hpp"

namespace umpire::clearnode {

std::string build_payload(std::uint64_t id, std::string_view method, const nlohmann::json& params,
                          std::uint64_t timestamp_ms) {
  return wire::build_payload(id, method, wire::go_marshal(params), timestamp_ms);
}

std::string build_request_frame(std::string_view payload, std::span<const std::string> signatures_hex) {
  return wire::build_frame("req", payload, signatures_hex);
}

ParsedFrame parse_frame(std::string_view frame, std::string_view member) {
  nlohmann::json doc = nlohmann::json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw FrameError("malformed frame: not valid JSON: " + excerpt(frame));
  if (!doc.is_object()) throw FrameError("malformed frame: not a JSON object");
  ParsedFrame out;
  const auto raw = wire::find_top_level_member_of_valid_json(frame, member);  // `doc` parsed it: valid
  if (!raw) throw FrameError("malformed frame: no \"" + std::string(member) + "\" member");
  out.raw = *raw;
  const auto found = doc.find(std::string(member));
  if (found == doc.end()) throw FrameError("malformed frame: no \"" + std::string(member) + "\" member");
  const auto& arr = *found;
  if (!arr.is_array() || arr.size() != 4) {
    throw FrameError("malformed frame: \"" + std::string(member) + "\" is not a 4-element array");
  }
  if (!arr[0].is_number_unsigned()) throw FrameError("malformed frame: request id is not an unsigned integer");
  if (!arr[1].is_string()) throw FrameError("malformed frame: method is not a string");
  if (!arr[3].is_number_unsigned()) throw FrameError("malformed frame: timestamp is not an unsigned integer");
  out.id = arr[0].get<std::uint64_t>();
  out.method = arr[1].get<std::string>();
  out.params = arr[2];
  out.timestamp_ms = arr[3].get<std::uint64_t>();
  if (const auto it = doc.find("sig"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) throw FrameError("malformed frame: \"sig\" is not an array");
    for (const auto& sig : *it) {
      if (!sig.is_string()) throw FrameError("malformed frame: a signature is not a string");
      out.signatures.push_back(sig.get<std::string>());
    }
  }
  return out;
}

bool is_notification_frame(std::string_view frame) {
  // The node's own compact form first, without scanning the frame. A frame that also carries a later "res"
  // member (the last wins when decoded) would then be dropped unread: nothing a node could not do anyway.
  if (frame.starts_with(R"({"res":[0,)")) return true;
  // And a reply in that form (a request id that is not 0) without scanning it either: the reply is parsed next.
  if (frame.size() > 8 && frame.starts_with(R"({"res":[)") && frame[8] >= '1' && frame[8] <= '9') return false;
  const auto res = wire::find_top_level_member(frame, "res");
  if (!res || res->empty() || res->front() != '[') return false;
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::size_t i = 1;
  while (i < res->size() && is_space((*res)[i])) ++i;
  if (i >= res->size() || (*res)[i] != '0') return false;
  ++i;
  while (i < res->size() && is_space((*res)[i])) ++i;
  return i < res->size() && (*res)[i] == ',';
}

std::string excerpt(std::string_view text, std::size_t max_chars) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_chars; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (text.size() > max_chars) out += "…";
  return out;
}

}  // namespace umpire::clearnode
