// wire/envelope.hpp — the NitroRPC envelope as bytes. Signatures cover the raw `req`/`res` array text, so this
// cuts members out of received frames without re-serializing, decodes request frames with the node's two
// frame-level error categories, and builds payloads and frames by concatenation.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace umpire::wire {

// The raw text of the top-level member `key` of the JSON object `frame`, byte for byte (the last occurrence
// wins, as in Go). nullopt if `frame` is not valid JSON, not an object, or has no such member.
std::optional<std::string_view> find_top_level_member(std::string_view frame, std::string_view key);
// The same for a frame already known to be valid JSON (a caller that has just parsed it): skips the second
// validation pass, which was most of the cost of reading a ClearNode reply. Undefined for invalid JSON.
std::optional<std::string_view> find_top_level_member_of_valid_json(std::string_view frame, std::string_view key);

// A request frame that passed the node's decoding and validation.
struct RequestFrame {
  std::string raw_req;  // the `req` array exactly as received: what request signatures cover
  std::uint64_t id = 0;
  std::string method;
  nlohmann::json params;  // generic decode (object, array, …), never null
  std::uint64_t timestamp_ms = 0;
  std::vector<std::string> signatures;  // "0x" + even-length hex, as sent
};

enum class FrameFault {
  invalid_format,     // bad JSON, req not a 4-array, element of the wrong type, sig not hex
  validation_failed,  // id 0, ts 0, empty method, null params, no req, or a `res` sent by the client
};

struct FrameRejection {
  FrameFault fault;
  std::optional<std::uint64_t> request_id;  // the client's id when it was decoded before the failure
  std::string_view text() const {
    return fault == FrameFault::invalid_format ? "invalid message format" : "message validation failed";
  }
};

// Decodes `{"req":[id,"method",params,ts],"sig":[...],"sid":"..."}` the way the Go node does: member names match
// case-insensitively, later duplicates win, null elements decode to zero values, sid is type-checked then ignored.
std::variant<RequestFrame, FrameRejection> parse_request_frame(std::string_view frame);

// `[id,"method",params,ts]`, with `params_json` inserted verbatim. Hash and sign the result; never rebuild it.
std::string build_payload(std::uint64_t id, std::string_view method, std::string_view params_json,
                          std::uint64_t timestamp_ms);

// `{"<member>":PAYLOAD,"sig":["0x…",…]}` by concatenation; member is "req" or "res".
std::string build_frame(std::string_view member, std::string_view payload, std::span<const std::string> signatures_hex);

// True for "0x" followed by an even number of hex digits (the node's frame-level signature rule).
bool is_hex_signature_text(std::string_view text);

}  // namespace umpire::wire
