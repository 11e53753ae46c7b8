// The server's RFC 6455 frame reader, frame by frame: whole and split frames, every length encoding, fragments with
// control frames between them, the long-frame direct read, each thing a client must not send, and the server's
// frames, close payloads and the upgrade's accept key (RFC 6455's own example).
#include "gateway/client_frame_parser.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <vector>

using namespace umpire::gateway;
using Event = ClientFrameParser::Event;

namespace {

// A client frame: FIN and opcode, masked with `key`, the length in the shortest form unless `length_form` asks.
std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true, int length_form = 0,
                         std::array<unsigned char, 4> key = {0x12, 0x34, 0x56, 0x78}) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  const std::size_t size = payload.size();
  if (length_form == 0) length_form = size < 126 ? 7 : size <= 0xFFFF ? 16 : 64;
  if (length_form == 7) {
    out.push_back(static_cast<char>(0x80 | size));
  } else if (length_form == 16) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((std::uint64_t{size} >> shift) & 0xFF));
  }
  out.append(reinterpret_cast<const char*>(key.data()), 4);
  for (std::size_t i = 0; i < size; ++i) out.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
  return out;
}

std::string binary(std::string_view payload, bool fin = true) { return client_frame(0x2, payload, fin); }

struct Seen {
  Event event;
  std::string payload;
  std::uint16_t close_code;
};

// Feeds `bytes` in pieces of `piece` bytes (0: all at once), collecting every event.
std::vector<Seen> feed(ClientFrameParser& parser, std::string bytes, std::size_t piece = 0) {
  std::vector<Seen> seen;
  if (piece == 0) piece = bytes.size();
  for (std::size_t start = 0; start < bytes.size(); start += piece) {
    const std::size_t size = std::min(piece, bytes.size() - start);
    std::size_t pos = 0;
    while (pos < size) {
      const auto result = parser.parse(bytes.data() + start + pos, size - pos);
      pos += result.consumed;
      if (result.event != Event::need_more) {
        seen.push_back({result.event, std::string(result.payload), result.close_code});
        if (result.event == Event::too_large || result.event == Event::protocol_error) return seen;
      } else {
        EXPECT_EQ(pos, size) << "need_more uses every byte";
        break;
      }
    }
  }
  return seen;
}

std::string pattern(std::size_t size) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>(i * 31 + 7);
  return text;
}

}  // namespace

TEST(ClientFrameParser, AWholeFrameIsHandedOutWhereItLiesUnmasked) {
  ClientFrameParser parser(1024);
  auto bytes = binary("a move");
  const auto result = parser.parse(bytes.data(), bytes.size());
  EXPECT_EQ(result.event, Event::message);
  EXPECT_EQ(result.consumed, bytes.size());
  EXPECT_EQ(result.payload, "a move");
  EXPECT_EQ(result.payload.data(), bytes.data() + 6) << "no copy: the payload is the input, unmasked in place";
}

TEST(ClientFrameParser, EveryLengthFormArrivesWholeInOneBufferOrOneByteAtATime) {
  for (const std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    ClientFrameParser parser(100'000);
    std::string stream;
    std::vector<std::string> sent;
    for (const std::size_t size : {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
      sent.push_back(pattern(size));
      stream += binary(sent.back());
    }
    // The 64-bit form for a short payload is legal too (not minimal, but the RFC does not forbid it here).
    sent.push_back("long form");
    stream += client_frame(0x2, "long form", true, 64);
    sent.push_back("medium form");
    stream += client_frame(0x2, "medium form", true, 16);
    const auto seen = feed(parser, stream, piece);
    ASSERT_EQ(seen.size(), sent.size()) << "piece " << piece;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      EXPECT_EQ(seen[i].event, Event::message);
      EXPECT_EQ(seen[i].payload, sent[i]) << "message " << i << ", piece " << piece;
    }
  }
}

TEST(ClientFrameParser, FragmentsMakeOneMessageAndControlFramesBetweenThemLeaveThemAlone) {
  ClientFrameParser parser(1024);
  const std::string stream = binary("first ", false) + client_frame(0x9, "are you there") +
                             client_frame(0x0, "second ", false) + client_frame(0xA, "") +
                             client_frame(0x0, "third", true) + binary("next");
  for (const std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
    ClientFrameParser fresh(1024);
    const auto seen = feed(fresh, stream, piece);
    ASSERT_EQ(seen.size(), 4u);
    EXPECT_EQ(seen[0].event, Event::ping);
    EXPECT_EQ(seen[0].payload, "are you there");
    EXPECT_EQ(seen[1].event, Event::pong);
    EXPECT_EQ(seen[2].event, Event::message);
    EXPECT_EQ(seen[2].payload, "first second third");
    EXPECT_EQ(seen[3].payload, "next");
  }
}

TEST(ClientFrameParser, ALongFrameIsReadStraightIntoTheMessageAndNotPastItsEnd) {
  ClientFrameParser parser(100'000);
  const auto body = pattern(5000);
  auto bytes = binary(body) + binary("after");
  // The first small read: the header and a few payload bytes.
  auto first = parser.parse(bytes.data(), 100);
  EXPECT_EQ(first.event, Event::need_more);
  EXPECT_EQ(first.consumed, 100u);
  std::size_t offset = 100;
  std::size_t room = 0;
  char* target = parser.direct_target(room);
  ASSERT_NE(target, nullptr);
  EXPECT_EQ(room, body.size() - (100 - 8)) << "exactly the rest of this frame's payload (header: 2 + 2 + 4 bytes)";
  // The socket gives less than asked at first.
  std::memcpy(target, bytes.data() + offset, 1000);
  EXPECT_EQ(parser.direct_done(1000).event, Event::need_more);
  offset += 1000;
  target = parser.direct_target(room);
  ASSERT_NE(target, nullptr);
  std::memcpy(target, bytes.data() + offset, room);
  const auto done = parser.direct_done(room);
  offset += room;
  EXPECT_EQ(done.event, Event::message);
  EXPECT_EQ(done.payload, body);
  EXPECT_EQ(parser.direct_target(room), nullptr) << "between frames: a small read";
  const auto next = parser.parse(bytes.data() + offset, bytes.size() - offset);
  EXPECT_EQ(next.event, Event::message);
  EXPECT_EQ(next.payload, "after");
}

TEST(ClientFrameParser, AMessageOverTheLimitIsRefusedFromItsHeaderBeforeItsPayloadArrives) {
  ClientFrameParser parser(1024);
  auto header_only = client_frame(0x2, pattern(1025)).substr(0, 8);
  auto result = parser.parse(header_only.data(), header_only.size());
  EXPECT_EQ(result.event, Event::too_large);
  EXPECT_EQ(result.close_code, 1009);
  // Fragments that add up past the limit are refused too, at the fragment that crosses it.
  ClientFrameParser fragments(1024);
  const auto seen = feed(fragments, binary(pattern(600), false) + client_frame(0x0, pattern(600), true));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, Event::too_large);
  // A 2^63-or-more length is a protocol error, not a huge allocation.
  ClientFrameParser huge(1024);
  const std::string forged = std::string("\x82\xFF\x80\0\0\0\0\0\0\0", 10) + std::string("\1\2\3\4", 4);
  std::string forged_bytes = forged;
  EXPECT_EQ(huge.parse(forged_bytes.data(), forged_bytes.size()).event, Event::protocol_error);
  // Exactly the limit is fine.
  ClientFrameParser exact(1024);
  const auto ok = feed(exact, binary(pattern(1024)));
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].event, Event::message);
}

TEST(ClientFrameParser, WhatAClientMustNotSendIsAProtocolErrorThatSticks) {
  struct Case {
    const char* name;
    std::string bytes;
    std::uint16_t code;
  };
  std::string unmasked = "\x82\x02hi";
  std::string reserved = binary("x");
  reserved[0] = static_cast<char>(reserved[0] | 0x40);
  std::string long_ping = client_frame(0x9, pattern(126));
  std::string fragmented_ping = client_frame(0x9, "x", false);
  const std::vector<Case> cases = {
      {"unmasked", unmasked, 1002},
      {"reserved bit", reserved, 1002},
      {"opcode 3", client_frame(0x3, "x"), 1002},
      {"opcode 0xB", client_frame(0xB, "x"), 1002},
      {"text frame", client_frame(0x1, "hello"), 1003},
      {"ping over 125 bytes", long_ping, 1002},
      {"fragmented ping", fragmented_ping, 1002},
      {"continuation first", client_frame(0x0, "x"), 1002},
      {"message inside a message", binary("a", false) + binary("b"), 1002},
      {"close of one byte", client_frame(0x8, "\x03"), 1002},
      {"close code 1005", client_frame(0x8, std::string("\x03\xED", 2)), 1002},
      {"close code 999", client_frame(0x8, std::string("\x03\xE7", 2)), 1002},
  };
  for (const auto& c : cases) {
    ClientFrameParser parser(1024);
    const auto seen = feed(parser, c.bytes, 1);
    ASSERT_FALSE(seen.empty()) << c.name;
    EXPECT_EQ(seen.back().event, Event::protocol_error) << c.name;
    EXPECT_EQ(seen.back().close_code, c.code) << c.name;
    EXPECT_TRUE(parser.failed()) << c.name;
    auto more = binary("fine");
    EXPECT_EQ(parser.parse(more.data(), more.size()).event, Event::protocol_error) << c.name << ": stays failed";
  }
}

TEST(ClientFrameParser, ACloseFrameCarriesItsCodeAndReasonOrNeither) {
  ClientFrameParser parser(1024);
  const auto seen = feed(parser, client_frame(0x8, std::string("\x03\xE9", 2) + "bye now"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, Event::close);
  EXPECT_EQ(seen[0].close_code, 1001);
  EXPECT_EQ(seen[0].payload, "bye now");
  ClientFrameParser empty(1024);
  const auto bare = feed(empty, client_frame(0x8, ""));
  ASSERT_EQ(bare.size(), 1u);
  EXPECT_EQ(bare[0].event, Event::close);
  EXPECT_EQ(bare[0].close_code, 0);
  ClientFrameParser app(1024);
  const auto private_code = feed(app, client_frame(0x8, std::string("\x0F\xA0", 2)));  // 4000
  ASSERT_EQ(private_code.size(), 1u);
  EXPECT_EQ(private_code[0].close_code, 4000);
}

TEST(ServerFrames, UseTheShortestLengthFormUnmasked) {
  const std::vector<std::pair<std::size_t, std::size_t>> header_sizes = {{0, 2}, {125, 2}, {126, 4}, {65535, 4},
                                                                         {65536, 10}};
  for (const auto& [size, header] : header_sizes) {
    std::string out;
    append_server_frame(out, 0x2, pattern(size));
    ASSERT_EQ(out.size(), header + size) << size;
    EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x82);
    EXPECT_EQ(static_cast<unsigned char>(out[1]) & 0x80, 0) << "server frames are not masked";
    EXPECT_EQ(out.substr(header), pattern(size));
  }
  std::string medium;
  append_server_frame(medium, 0x2, pattern(300));
  EXPECT_EQ(static_cast<unsigned char>(medium[1]), 126);
  EXPECT_EQ((static_cast<unsigned char>(medium[2]) << 8) | static_cast<unsigned char>(medium[3]), 300);
}

TEST(ServerFrames, AClosePayloadIsTheCodeThenTheReasonCutAtACharacterBoundaryToFit) {
  EXPECT_EQ(close_payload(CloseCode::too_big, "frame too large"), std::string("\x03\xF1", 2) + "frame too large");
  // 122 ASCII bytes, then a 3-byte character that would end at byte 125: it does not fit (123 allowed), so it goes.
  const std::string reason = std::string(122, 'a') + "\xE2\x82\xAC" + "tail";
  const auto payload = close_payload(CloseCode::policy_violation, reason);
  EXPECT_EQ(payload.size(), 2u + 122u);
  EXPECT_EQ(payload.substr(2), std::string(122, 'a'));
}

TEST(UpgradeKey, MatchesRfc6455sExampleAndRefusesWhatIsNotSixteenBytesOfBase64) {
  EXPECT_EQ(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(websocket_accept_key(""), "");
  EXPECT_EQ(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ"), "");
  EXPECT_EQ(websocket_accept_key("dGhlIHNhbXBsZSBub25j!Q=="), "");
  EXPECT_EQ(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ=X"), "");
}

// Seeded, so a failure repeats: a stream of random messages (some fragmented, with pings between fragments) cut at
// random places and read partly through direct_target() the way the session reads it gives back every message;
// random bytes never crash the parser, and an error it reports stays reported.
TEST(ClientFrameParser, RandomCutsOfAValidStreamGiveEveryMessageAndRandomBytesNeverCrashIt) {
  std::mt19937 random(20261207);
  auto below = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  for (int round = 0; round < 20; ++round) {
    std::string stream;
    std::vector<std::string> sent;
    for (int m = 0; m < 60; ++m) {
      std::string body = pattern(below(3000));
      for (auto& c : body) c = static_cast<char>(c + m);
      const std::size_t fragments = 1 + below(3);
      std::size_t offset = 0;
      for (std::size_t f = 0; f < fragments; ++f) {
        const bool last = f + 1 == fragments;
        const std::size_t size = last ? body.size() - offset : below(body.size() - offset + 1);
        stream += client_frame(f == 0 ? 0x2 : 0x0, std::string_view(body).substr(offset, size), last);
        offset += size;
        if (!last && below(2) == 0) stream += client_frame(0x9, "between");
      }
      sent.push_back(std::move(body));
    }
    ClientFrameParser parser(4096);
    std::vector<std::string> got;
    std::string failure;  // the first error, which ends the round
    auto take = [&](const ClientFrameParser::Result& result) {
      if (result.event == Event::protocol_error || result.event == Event::too_large) {
        failure = std::string(result.what) + " after " + std::to_string(got.size()) + " messages";
      } else if (result.event == Event::message) {
        got.emplace_back(result.payload);
      }
    };
    std::size_t pos = 0;
    while (pos < stream.size() && failure.empty()) {
      std::size_t room = 0;
      if (char* direct = parser.direct_target(room); direct && below(2) == 0) {
        const std::size_t n = std::min(room, 1 + below(room));
        std::memcpy(direct, stream.data() + pos, n);
        pos += n;
        take(parser.direct_done(n));
        continue;
      }
      std::string piece = stream.substr(pos, 1 + below(200));  // the session's small buffer, any size
      pos += piece.size();
      std::size_t used = 0;
      while (used < piece.size()) {
        const auto result = parser.parse(piece.data() + used, piece.size() - used);
        used += result.consumed;
        take(result);
        if (result.event == Event::need_more || !failure.empty()) break;
      }
      parser.release_delivered();
    }
    ASSERT_EQ(failure, "") << "round " << round;
    ASSERT_EQ(got.size(), sent.size()) << "round " << round;
    for (std::size_t i = 0; i < sent.size(); ++i) ASSERT_EQ(got[i], sent[i]) << "round " << round << ", message " << i;
  }
  for (int round = 0; round < 5000; ++round) {
    std::string bytes(below(300), '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    if (!bytes.empty() && below(2) == 0) bytes[0] = static_cast<char>(0x80 | (bytes[0] & 0x0F));  // often a plausible first byte
    if (bytes.size() > 1 && below(2) == 0) bytes[1] = static_cast<char>(bytes[1] | 0x80);             // and masked
    ClientFrameParser parser(1024);
    bool failed = false;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      const auto result = parser.parse(bytes.data() + pos, bytes.size() - pos);
      ASSERT_LE(result.consumed, bytes.size() - pos);
      pos += result.consumed;
      if (result.event == Event::protocol_error || result.event == Event::too_large) {
        failed = true;
        break;
      }
      if (result.event == Event::need_more) break;
    }
    if (failed) {
      std::string more = "\x82\x80\0\0\0\0";
      EXPECT_TRUE(parser.failed());
      const auto again = parser.parse(more.data(), more.size()).event;
      EXPECT_TRUE(again == Event::protocol_error || again == Event::too_large);
    }
  }
}
