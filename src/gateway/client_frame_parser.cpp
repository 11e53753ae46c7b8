// gateway/client_frame_parser.cpp — RFC 6455 section 5 from the server's side (see the header).
#include "gateway/client_frame_parser.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace umpire::gateway {

namespace {

constexpr std::uint8_t kContinuation = 0x0;
constexpr std::uint8_t kText = 0x1;
constexpr std::uint8_t kBinary = 0x2;
constexpr std::uint8_t kClose = 0x8;
constexpr std::uint8_t kPing = 0x9;
constexpr std::uint8_t kPong = 0xA;

constexpr std::size_t kMaxControlPayload = 125;
// Below this many payload bytes still to come, a read into the small buffer costs less than a resize of the message.
constexpr std::uint64_t kDirectReadMinimum = 256;

ClientFrameParser::Result need_more(std::size_t consumed) {
  ClientFrameParser::Result result;
  result.consumed = consumed;
  return result;
}

bool is_control(std::uint8_t opcode) { return (opcode & 0x8) != 0; }

// Codes a peer may put in a close frame (RFC 6455 section 7.4): the defined ones it may send, and 3000-4999.
bool valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

std::size_t header_size_for(const unsigned char* header) {
  const unsigned length7 = header[1] & 0x7F;
  const std::size_t extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
  return 2 + extended + 4;  // every client frame is masked: the key follows the length
}

}  // namespace

void ClientFrameParser::unmask(char* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>(data[i] ^ mask_[(mask_phase_ + i) & 3]);
}

// What the last result pointed into is let go now: a control frame's payload, or a message put together here (a
// control frame between fragments leaves the fragments alone).
void ClientFrameParser::release_delivered() {
  if (control_delivered_) control_.clear();
  // An idle connection keeps no message buffer: only a message that did not come whole in one read uses it.
  if (message_delivered_) std::string().swap(message_);
  control_delivered_ = message_delivered_ = false;
}

ClientFrameParser::Result ClientFrameParser::fail(Event event, CloseCode code, const char* what,
                                                   std::size_t consumed) {
  failed_ = what;
  failed_event_ = event;
  failed_code_ = code;
  std::string().swap(message_);
  Result result;
  result.event = event;
  result.consumed = consumed;
  result.close_code = static_cast<std::uint16_t>(code);
  result.what = what;
  return result;
}

// A direct target handed out and not filled (the caller read into its small buffer after all) is taken back.
void ClientFrameParser::cancel_direct() {
  if (!direct_outstanding_) return;
  direct_outstanding_ = false;
  message_.resize(direct_offset_);
}

ClientFrameParser::Result ClientFrameParser::parse(char* data, std::size_t size) {
  if (failed_) return fail(failed_event_, failed_code_, failed_, 0);
  cancel_direct();
  release_delivered();
  std::size_t pos = 0;
  for (;;) {
    if (!in_payload_) {
      // The header arrives in pieces at worst: the first two bytes say how long the rest is, and are checked as soon
      // as they are in, so a bad frame is refused before its length is trusted.
      if (header_size_ < 2) {
        const std::size_t take = std::min<std::size_t>(2 - header_size_, size - pos);
        std::memcpy(header_ + header_size_, data + pos, take);
        header_size_ = static_cast<std::uint8_t>(header_size_ + take);
        pos += take;
        if (header_size_ < 2) return need_more(pos);
        fin_ = (header_[0] & 0x80) != 0;
        opcode_ = header_[0] & 0x0F;
        if ((header_[0] & 0x70) != 0) return fail(Event::protocol_error, CloseCode::protocol_error, "reserved bits set", pos);
        if ((header_[1] & 0x80) == 0) return fail(Event::protocol_error, CloseCode::protocol_error, "unmasked client frame", pos);
        if (is_control(opcode_)) {
          if (opcode_ != kClose && opcode_ != kPing && opcode_ != kPong) {
            return fail(Event::protocol_error, CloseCode::protocol_error, "unknown opcode", pos);
          }
          if (!fin_) return fail(Event::protocol_error, CloseCode::protocol_error, "fragmented control frame", pos);
          if ((header_[1] & 0x7F) > kMaxControlPayload) {
            return fail(Event::protocol_error, CloseCode::protocol_error, "control frame too long", pos);
          }
        } else if (opcode_ == kContinuation) {
          if (!in_message_) return fail(Event::protocol_error, CloseCode::protocol_error, "continuation without a message", pos);
        } else if (opcode_ == kText || opcode_ == kBinary) {
          if (in_message_) return fail(Event::protocol_error, CloseCode::protocol_error, "new message inside a fragmented one", pos);
          if (opcode_ == kText) return fail(Event::protocol_error, CloseCode::unsupported_data, "text frame: messages are binary", pos);
        } else {
          return fail(Event::protocol_error, CloseCode::protocol_error, "unknown opcode", pos);
        }
      }
      const std::size_t want = header_size_for(header_);
      const std::size_t take = std::min(want - header_size_, size - pos);
      std::memcpy(header_ + header_size_, data + pos, take);
      header_size_ = static_cast<std::uint8_t>(header_size_ + take);
      pos += take;
      if (header_size_ < want) return need_more(pos);
      // The whole header: length, then the mask key.
      const unsigned length7 = header_[1] & 0x7F;
      std::uint64_t length = length7;
      std::size_t at = 2;
      if (length7 == 126) {
        length = (std::uint64_t{header_[2]} << 8) | header_[3];
        at = 4;
      } else if (length7 == 127) {
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
        at = 10;
        if (length >> 63) return fail(Event::protocol_error, CloseCode::protocol_error, "length over 2^63", pos);
      }
      std::memcpy(mask_, header_ + at, 4);
      if (!is_control(opcode_) && (length > max_message_bytes_ || message_.size() + length > max_message_bytes_)) {
        return fail(Event::too_large, CloseCode::too_big, "message too large", pos);
      }
      in_payload_ = true;
      remaining_ = length;
      mask_phase_ = 0;
      header_size_ = 0;
      if (!is_control(opcode_) && fin_ && !in_message_ && remaining_ > 0 && size - pos >= remaining_) {
        // The usual case: a whole unfragmented message in this buffer. Handed out where it lies, no copy.
        char* payload = data + pos;
        const auto n = static_cast<std::size_t>(remaining_);
        unmask(payload, n);
        pos += n;
        remaining_ = 0;
        in_payload_ = false;
        return finish_frame(pos, std::string_view(payload, n));
      }
    }
    // Payload bytes of the current frame.
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - pos));
    unmask(data + pos, n);
    (is_control(opcode_) ? control_ : message_).append(data + pos, n);
    mask_phase_ = static_cast<std::uint8_t>((mask_phase_ + n) & 3);
    remaining_ -= n;
    pos += n;
    if (remaining_ > 0) return need_more(pos);
    in_payload_ = false;
    Result result = finish_frame(pos, {});
    if (result.event != Event::need_more) return result;
    if (pos == size) return need_more(pos);
  }
}

char* ClientFrameParser::direct_target(std::size_t& size) {
  cancel_direct();
  if (failed_ || !in_payload_ || is_control(opcode_) || remaining_ < kDirectReadMinimum) return nullptr;
  release_delivered();
  const std::size_t old_size = message_.size();
  size = static_cast<std::size_t>(remaining_);
  message_.resize(old_size + size);  // remaining_ is within max_message_bytes_: checked with the header
  direct_offset_ = static_cast<std::uint32_t>(old_size);
  direct_outstanding_ = true;
  return message_.data() + old_size;
}

ClientFrameParser::Result ClientFrameParser::direct_done(std::size_t size) {
  if (!direct_outstanding_ || size > message_.size() - direct_offset_) {
    return fail(Event::protocol_error, CloseCode::protocol_error, "direct read outside its target", 0);  // a caller's bug
  }
  direct_outstanding_ = false;
  unmask(message_.data() + direct_offset_, size);
  mask_phase_ = static_cast<std::uint8_t>((mask_phase_ + size) & 3);
  remaining_ -= size;
  message_.resize(direct_offset_ + size);  // drop the part the read did not fill
  if (remaining_ > 0) return need_more(0);
  in_payload_ = false;
  return finish_frame(0, {});
}

// The frame's payload is complete (in message_/control_, or `whole_payload` for a message that came whole).
ClientFrameParser::Result ClientFrameParser::finish_frame(std::size_t consumed, std::string_view whole_payload) {
  Result result;
  result.consumed = consumed;
  switch (opcode_) {
    case kPing:
    case kPong:
      result.event = opcode_ == kPing ? Event::ping : Event::pong;
      result.payload = control_;
      control_delivered_ = true;
      return result;
    case kClose: {
      control_delivered_ = true;
      result.event = Event::close;
      if (control_.size() == 1) return fail(Event::protocol_error, CloseCode::protocol_error, "close frame of one byte", consumed);
      if (control_.size() >= 2) {
        const auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(control_[0]) << 8) |
                                                     static_cast<unsigned char>(control_[1]));
        if (!valid_close_code(code)) return fail(Event::protocol_error, CloseCode::protocol_error, "invalid close code", consumed);
        result.close_code = code;
        result.payload = std::string_view(control_).substr(2);
      }
      return result;
    }
    default:
      break;
  }
  if (!fin_) {
    in_message_ = true;  // more fragments follow; what came is in message_
    return result;       // need_more: the caller goes on
  }
  in_message_ = false;
  result.event = Event::message;
  if (whole_payload.data() != nullptr) {
    result.payload = whole_payload;
  } else {
    result.payload = message_;
    message_delivered_ = true;
  }
  return result;
}

void append_server_frame(std::string& out, std::uint8_t opcode, std::string_view payload) {
  const std::size_t size = payload.size();
  out.push_back(static_cast<char>(0x80 | opcode));
  if (size < 126) {
    out.push_back(static_cast<char>(size));
  } else if (size <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((std::uint64_t{size} >> shift) & 0xFF));
  }
  out.append(payload);
}

std::string close_payload(CloseCode code, std::string_view reason) {
  const auto value = static_cast<std::uint16_t>(code);
  std::string payload;
  payload.push_back(static_cast<char>(value >> 8));
  payload.push_back(static_cast<char>(value & 0xFF));
  // Cut at a character boundary: a UTF-8 continuation byte (10xxxxxx) never starts the cut-off part.
  std::size_t keep = std::min(reason.size(), kMaxControlPayload - 2);
  while (keep > 0 && keep < reason.size() && (static_cast<unsigned char>(reason[keep]) & 0xC0) == 0x80) --keep;
  payload.append(reason.substr(0, keep));
  return payload;
}

std::string websocket_accept_key(std::string_view client_key) {
  // 16 random bytes in base64: 24 characters ending "==". EVP_DecodeBlock counts the padding as zero bytes.
  if (client_key.size() != 24 || client_key.substr(22) != "==") return {};
  std::array<unsigned char, 18> decoded{};
  if (EVP_DecodeBlock(decoded.data(), reinterpret_cast<const unsigned char*>(client_key.data()), 24) != 18) return {};
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 section 1.3
  std::string joined(client_key);
  joined += kGuid;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(joined.data(), joined.size(), digest.data(), &digest_size, EVP_sha1(), nullptr) != 1) return {};
  std::array<unsigned char, 32> encoded{};  // base64 of 20 bytes: 28 characters and a NUL
  const int encoded_size = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest_size));
  return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(encoded_size));
}

}  // namespace umpire::gateway
