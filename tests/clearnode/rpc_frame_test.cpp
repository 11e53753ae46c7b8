// tests/clearnode/rpc_frame_test.cpp — the envelope codec and app_session_id against the protocol's vectors,
// and hostile frames (malformed, truncated, duplicated members) that must fail with a clear FrameError.
#include "clearnode/rpc_frame.hpp"

#include <gtest/gtest.h>

#include "clearnode/app_session_types.hpp"
#include "clearnode/clearnode_client.hpp"
#include "clearnode/clearnode_error.hpp"
#include "clearnode/node_link.hpp"
#include "crypto/eth_messages.hpp"

namespace umpire::clearnode {
namespace {

TEST(RpcFrame, PayloadMatchesTheSdkVectorAndItsSignature) {
  const auto payload = build_payload(3, "get_ledger_balances", nlohmann::json::object(), 1733412346000);
  EXPECT_EQ(payload, "[3,\"get_ledger_balances\",{},1733412346000]");
  EXPECT_EQ(crypto::to_hex(crypto::rpc_payload_hash(payload)),
            "0x0d7d19fb61516bbfd00b866d919f57bd6450b8d25e321780c663274e8d889219");
  const crypto::KeySigner key(
      crypto::PrivateKey::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"));
  const std::string sig = crypto::sign_rpc_payload(key, payload).to_hex();
  EXPECT_EQ(sig,
            "0xcf348705a6bf62256828242bbe5c5c89c0b49dce0cb4d6fc22e4e415aa67bd760cd16ccc91f5e06ac4d42947082d5aa0d4f1e2f0"
            "37bcc70a82a14429b860570c1c");
  const std::vector<std::string> sigs{sig};
  EXPECT_EQ(build_request_frame(payload, sigs), "{\"req\":" + payload + ",\"sig\":[\"" + sig + "\"]}");
}

TEST(RpcFrame, CutsTheRawMemberByteForByteAndTheLastDuplicateWins) {
  const std::string frame = R"( { "sig" : ["0xab"], "res":[1, "x\"]}" ,{"a":[1,{"b":"]"}]} , 5 ] } )";
  EXPECT_EQ(parse_frame(frame, "res").raw, R"([1, "x\"]}" ,{"a":[1,{"b":"]"}]} , 5 ])");
  const auto twice = parse_frame(R"({"res":[1,"a",{},1],"res":[2,"b",{},2]})", "res");
  EXPECT_EQ(twice.id, 2u);
  EXPECT_EQ(twice.raw, R"([2,"b",{},2])");
}

TEST(RpcFrame, ParsesAResponseAndKeepsItsRawBytes) {
  const std::string frame = R"({"res":[7,"pong",null,1700000000000],"sig":["0xab"]})";
  const auto parsed = parse_frame(frame, "res");
  EXPECT_EQ(parsed.id, 7u);
  EXPECT_EQ(parsed.method, "pong");
  EXPECT_TRUE(parsed.params.is_null());
  EXPECT_EQ(parsed.timestamp_ms, 1700000000000u);
  EXPECT_EQ(parsed.raw, R"([7,"pong",null,1700000000000])");
  ASSERT_EQ(parsed.signatures.size(), 1u);
}

TEST(RpcFrame, HostileFramesFailWithAClearError) {
  const std::vector<std::string> bad = {"",
                                        "{",
                                        "null",
                                        "[]",
                                        R"({"res":[1,"a",{}]})",
                                        R"({"res":[-1,"a",{},1]})",
                                        R"({"res":[1,2,{},1]})",
                                        R"({"res":[1,"a",{},"t"]})",
                                        R"({"res":[1,"a",{},1],"sig":"0x"})",
                                        R"({"res":[1,"a",{},1],"sig":[1]})",
                                        R"({"res":[1,"a",{},1]} trailing)",
                                        R"({"res":[1,"a",{"x":"\ud800"},1]})",
                                        std::string("{\"res\":[1,\"a\",{},1]}").substr(0, 12)};
  for (const auto& frame : bad) {
    EXPECT_THROW(parse_frame(frame, "res"), FrameError) << frame;
  }
}

TEST(AppSessionId, MatchesTheProtocolVector) {
  AppDefinition d;
  d.application = "Example App";
  d.protocol = "NitroRPC/0.4";
  d.participants = {"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"};
  d.weights = {50, 50};
  d.quorum = 100;
  d.challenge = 86400;
  d.nonce = 1733412345678;
  EXPECT_EQ(app_session_id(d), "0x53492aa1afa0483a2fe2a56efaa650d94c527e7476e24f462f93122ef59e6fb9");
}

TEST(AppSessionId, UsesGoEscapingAndRefusesRoundedNumbers) {
  AppDefinition d;
  d.application = "a<b>&\"c\"\n\u2028";
  d.protocol = "NitroRPC/0.2";
  d.nonce = 1;
  EXPECT_EQ(go_marshal_definition(d),
            R"({"application":"a\u003cb\u003e\u0026\"c\"\n\u2028","protocol":"NitroRPC/0.2","participants":[],)"
            R"("weights":[],"quorum":0,"challenge":0,"nonce":1})");
  d.nonce = (std::uint64_t{1} << 53) + 1;
  try {
    go_marshal_definition(d);
    FAIL() << "expected a throw";
  } catch (const ClearNodeError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
  }
}

TEST(Params, AmountsAreTrimmedDecimalsAndCloseNeedsAnAllocation) {
  SubmitAppStateParams submit;
  submit.app_session_id = "0x01";
  submit.allocations = {{"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "usdc", wire::Decimal::parse("12.50").value()}};
  EXPECT_EQ(to_params(submit)["allocations"][0]["amount"], "12.5");  // trimmed, as the node prints amounts
  CloseAppSessionParams close;
  close.app_session_id = "0x01";
  EXPECT_THROW(to_params(close), ClearNodeError);
}

TEST(Decoders, NameTheMissingField) {
  try {
    decode_app_session_result(nlohmann::json{{"app_session_id", "0x1"}, {"status", "open"}});
    FAIL();
  } catch (const ClearNodeError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::protocol_violation);
    EXPECT_NE(std::string(e.what()).find("version"), std::string::npos);
  }
}

TEST(Jwt, ExpiryIsReadAndTokensAreRedacted) {
  // {"exp":1767225600} base64url
  const std::string token = "eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjE3NjcyMjU2MDB9.c2ln";
  EXPECT_EQ(jwt_expiry(token), 1767225600u);
  EXPECT_EQ(jwt_expiry("garbage"), std::nullopt);
  const auto redacted = redact_token(token);
  EXPECT_EQ(redacted.find("eyJleHAi"), std::string::npos);
  EXPECT_NE(redacted.find("chars"), std::string::npos);
}

TEST(RpcFrame, TellsNotificationsFromRepliesWithoutDecoding) {
  EXPECT_TRUE(is_notification_frame(R"({"res":[0,"asu",{"x":1},1733412346000],"sig":["0x00"]})"));
  EXPECT_TRUE(is_notification_frame(R"({ "sig": [], "res" : [ 0 , "bu", {}, 1 ] })"));
  EXPECT_FALSE(is_notification_frame(R"({"res":[7,"pong",null,1],"sig":[]})"));
  EXPECT_FALSE(is_notification_frame(R"({"res":[01,"pong",null,1]})")) << "not the id 0";
  EXPECT_FALSE(is_notification_frame(R"({"res":[10,"pong",null,1]})"));
  EXPECT_FALSE(is_notification_frame(R"({"req":[0,"ping",{},1]})"));
  EXPECT_FALSE(is_notification_frame(R"({"res":"[0,"})"));
  EXPECT_FALSE(is_notification_frame("not json"));
  EXPECT_FALSE(is_notification_frame(""));
  // The compact reply form is answered from its prefix; whatever follows is for parse_frame to judge.
  EXPECT_FALSE(is_notification_frame(R"({"res":[3)"));
  EXPECT_THROW(parse_frame(R"({"res":[3,"pong",null,1],)", "res"), FrameError) << "still rejected in full";
}

TEST(RpcFrame, ParsesTheRawMemberOfAReplyExactly) {
  const std::string text = R"({"res":[3, "pong" ,null,1],"sig":["0xab"]})";
  const auto frame = parse_frame(text, "res");
  EXPECT_EQ(frame.raw, R"([3, "pong" ,null,1])");
  EXPECT_EQ(frame.id, 3u);
  EXPECT_EQ(frame.method, "pong");
  ASSERT_EQ(frame.signatures.size(), 1u);
  EXPECT_EQ(frame.signatures[0], "0xab");
  // The last occurrence of a repeated member wins, in the raw text as in the decoded one (as Go does).
  const auto repeated = parse_frame(R"({"res":[1,"a",null,1],"res":[2,"b",null,2]})", "res");
  EXPECT_EQ(repeated.raw, R"([2,"b",null,2])");
  EXPECT_EQ(repeated.id, 2u);
}

TEST(NodeEndpoint, ParsesWsAndWss) {
  const auto plain = NodeEndpoint::parse("ws://127.0.0.1:8000/ws");
  EXPECT_FALSE(plain.tls);
  EXPECT_EQ(plain.port, "8000");
  const auto tls = NodeEndpoint::parse("wss://clearnet.yellow.com/ws");
  EXPECT_TRUE(tls.tls);
  EXPECT_EQ(tls.port, "443");
  EXPECT_EQ(tls.target, "/ws");
  EXPECT_THROW(NodeEndpoint::parse("http://x"), ClearNodeError);
  EXPECT_THROW(NodeEndpoint::parse("ws://:80"), ClearNodeError);
}

}  // namespace
}  // namespace umpire::clearnode
