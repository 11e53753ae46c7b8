// clearnode/rpc_frame.hpp — the client's side of the NitroRPC envelope: build a request payload once (Go-marshalled
// params) and its frame, and decode a server `res` frame keeping the raw `res` text its signature covers. The byte
// work (member cutting, concatenation) is umpire_wire's envelope; this adds the response decoding wire lacks.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace umpire::clearnode {

// A frame that is not a well-formed envelope. The message says what is wrong and never quotes more than a
// short prefix of the frame.
class FrameError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `[id,"method",params,ts]`, compact. The text returned is what gets hashed and signed; never rebuild it.
std::string build_payload(std::uint64_t id, std::string_view method, const nlohmann::json& params,
                          std::uint64_t timestamp_ms);

// `{"req":PAYLOAD,"sig":["0x…",…]}` by concatenation; each signature must already be 0x-hex.
std::string build_request_frame(std::string_view payload, std::span<const std::string> signatures_hex);

// A decoded `req` or `res` frame (duplicate members: the last wins, as in Go). `raw` points into the frame text passed
// to parse_frame.
struct ParsedFrame {
  std::string_view raw;  // the `req`/`res` array exactly as received (what the signatures cover)
  std::uint64_t id = 0;
  std::string method;
  nlohmann::json params;
  std::uint64_t timestamp_ms = 0;
  std::vector<std::string> signatures;  // as sent: "0x…" strings
};

// `member` is "req" or "res". Throws FrameError on bad JSON, a member that is not a 4-element array of
// [uint, string, any, uint], or a `sig` that is not an array of strings.
ParsedFrame parse_frame(std::string_view frame, std::string_view member);

// Whether a server frame is a notification (its `res` array starts with request id 0), without decoding it: a
// scan for the member, no JSON tree. A frame that begins `{"res":[0,` is taken for one without looking further
// (the node's own form; whoever drops it unread loses nothing a malformed frame would have given), and one that
// begins `{"res":[` and a digit 1-9 is taken for a reply, also unscanned (it is decoded in full next anyway).
bool is_notification_frame(std::string_view frame);

// A short, printable prefix of untrusted text for error messages and logs.
std::string excerpt(std::string_view text, std::size_t max_chars = 80);

}  // namespace umpire::clearnode
