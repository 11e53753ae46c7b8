// gateway/client_frame_parser.hpp — the server's side of RFC 6455 framing: reads the frames a client sends (masked,
// possibly fragmented, control frames in between) from bytes as they arrive, and says what each complete one is.
// It owns no socket and allocates only for a message that does not arrive whole in one read. Also the frames the
// server writes (unmasked), and the upgrade's Sec-WebSocket-Accept.
//
// Why our own and not Beast's: Beast's WebSocket stream keeps about 2.5 KiB per connection whatever it is doing (a
// 1,536-byte read buffer inside it, its timer, its saved handlers), and with the pending read and the coroutine that
// waits on it about 5 KiB per idle player: more than half of the 8 KiB an idle room may cost (measured with jemalloc's
// heap profile, 3,000 idle rooms). The framing a server must read is small and fully specified, and is tested here
// frame by frame, against Beast's client, and with the SDK. Beast still does the HTTP upgrade's parsing, TLS
// connections and the devnode (text frames, the emulator's oversized-frame behaviour).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace umpire::gateway {

// RFC 6455 section 7.4 close codes the server sends.
enum class CloseCode : std::uint16_t {
  normal = 1000,
  going_away = 1001,
  protocol_error = 1002,
  unsupported_data = 1003,
  invalid_payload = 1007,
  policy_violation = 1008,
  too_big = 1009,
};

class ClientFrameParser {
 public:
  enum class Event : std::uint8_t {
    need_more,       // every byte given was used; nothing complete yet
    message,         // a whole data message (payload)
    ping,            // payload: the ping's application data, to echo in a pong
    pong,
    close,           // close_code (0 if the frame had none) and payload: the reason
    too_large,       // a data message longer than the limit; the parser stops here
    protocol_error,  // anything RFC 6455 forbids a client to send, or a text frame (the player protocol is binary):
                     // the parser stops here; close_code says which (1002 or 1003) and what says why
  };
  struct Result {
    Event event = Event::need_more;
    std::size_t consumed = 0;   // bytes of the input used up to and including this event
    std::string_view payload;   // valid until the next call
    std::uint16_t close_code = 0;
    const char* what = "";
  };

  explicit ClientFrameParser(std::size_t max_message_bytes)
      : max_message_bytes_(static_cast<std::uint32_t>(std::min<std::size_t>(max_message_bytes, UINT32_MAX))) {}

  // Reads frames from `data` (unmasking it in place) up to the first event; call again with the rest. After
  // too_large or protocol_error every call returns the same error.
  Result parse(char* data, std::size_t size);

  // While a long data frame's payload is arriving, the socket may read straight into the message instead of a small
  // buffer: where, and at most how many bytes (just this frame's payload, never the next frame's header). Null when
  // a small read is better (in a header, a control frame, or little left).
  char* direct_target(std::size_t& size);
  // `size` bytes were read into direct_target(); returns the event they complete, if any (consumed is 0). A target
  // not used is taken back by the next parse() or direct_target().
  Result direct_done(std::size_t size);

  // Lets go of what the last result's payload pointed into (a message put together here): call once it is used,
  // so an idle connection holds no message buffer.
  void release_delivered();

  bool failed() const { return failed_ != nullptr; }

 private:
  Result finish_frame(std::size_t consumed, std::string_view whole_payload);
  Result fail(Event event, CloseCode code, const char* what, std::size_t consumed);
  void unmask(char* data, std::size_t size);
  void cancel_direct();

  // Ordered and sized to pack: one parser per connection (120 bytes).
  std::string message_;            // a data message that did not arrive whole in one buffer
  std::string control_;            // a control frame's payload (at most 125 bytes)
  std::uint64_t remaining_ = 0;    // payload bytes of this frame still to come
  const char* failed_ = nullptr;
  std::uint32_t max_message_bytes_;
  std::uint32_t direct_offset_ = 0;  // where in message_ the direct read went
  unsigned char header_[14] = {};
  unsigned char mask_[4] = {};
  std::uint8_t header_size_ = 0;   // bytes of header_ filled
  std::uint8_t mask_phase_ = 0;    // payload bytes of this frame so far, modulo 4: where the mask key starts
  std::uint8_t opcode_ = 0;
  bool fin_ = false;
  bool in_payload_ = false;        // the header is complete; payload bytes follow
  bool in_message_ = false;        // a fragmented data message is being put together in message_
  bool message_delivered_ = false; // the last result pointed into message_: clear it first
  bool control_delivered_ = false; // the last result pointed into control_: clear it first
  bool direct_outstanding_ = false;  // message_ was grown for a direct read that has not been done
  Event failed_event_ = Event::need_more;
  CloseCode failed_code_ = CloseCode::protocol_error;
};

// A whole unmasked server frame (FIN set) with `opcode` (0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong).
void append_server_frame(std::string& out, std::uint8_t opcode, std::string_view payload);
// The payload of a close frame: the code, then the reason cut to fit a control frame.
std::string close_payload(CloseCode code, std::string_view reason);
// Sec-WebSocket-Accept for a Sec-WebSocket-Key; empty if the key is not the base64 of 16 bytes.
std::string websocket_accept_key(std::string_view client_key);

}  // namespace umpire::gateway
