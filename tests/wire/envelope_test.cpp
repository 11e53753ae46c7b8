// envelope: raw member extraction, request decoding with the node's error categories, frame building.
#include <gtest/gtest.h>

#include "crypto/eth_messages.hpp"
#include "wire/envelope.hpp"

using namespace umpire::wire;

namespace {
FrameRejection reject(std::string_view frame) {
  auto result = parse_request_frame(frame);
  EXPECT_TRUE(std::holds_alternative<FrameRejection>(result)) << frame;
  return std::holds_alternative<FrameRejection>(result) ? std::get<FrameRejection>(result)
                                                        : FrameRejection{FrameFault::validation_failed, 0};
}
RequestFrame accept(std::string_view frame) {
  auto result = parse_request_frame(frame);
  EXPECT_TRUE(std::holds_alternative<RequestFrame>(result)) << frame;
  return std::holds_alternative<RequestFrame>(result) ? std::get<RequestFrame>(result) : RequestFrame{};
}
}  // namespace

TEST(Envelope, CutsRawMembersWithoutReserializing) {
  const std::string frame = R"( { "sig" : ["0x01"], "req" : [ 1, "a\"]}" , {"k":[1,{"x":"]"}]} , 2 ] , "z":null } )";
  EXPECT_EQ(*find_top_level_member(frame, "req"), R"([ 1, "a\"]}" , {"k":[1,{"x":"]"}]} , 2 ])");
  EXPECT_EQ(*find_top_level_member(frame, "sig"), R"(["0x01"])");
  EXPECT_EQ(*find_top_level_member(frame, "z"), "null");
  EXPECT_FALSE(find_top_level_member(frame, "k").has_value());  // nested keys are not top-level
  EXPECT_FALSE(find_top_level_member("{\"req\":[1,", "req").has_value());
  EXPECT_FALSE(find_top_level_member("[1,2]", "req").has_value());
  EXPECT_EQ(*find_top_level_member(R"({"a":1,"a":22})", "a"), "22");
}

TEST(Envelope, DecodesRequestKeepingRawBytes) {
  const std::string raw = R"([3, "get_ledger_balances",{ "b":1 ,"a":2},1733412346000 ])";
  const auto frame = accept(R"({"req":)" + raw + R"(,"sig":["0xab","0x"],"sid":"ignored"})");
  EXPECT_EQ(frame.raw_req, raw);
  EXPECT_EQ(frame.id, 3u);
  EXPECT_EQ(frame.method, "get_ledger_balances");
  EXPECT_EQ(frame.params["a"], 2);
  EXPECT_EQ(frame.timestamp_ms, 1733412346000u);
  EXPECT_EQ(frame.signatures, (std::vector<std::string>{"0xab", "0x"}));
  EXPECT_TRUE(accept(R"({"REQ":[1,"ping",{},2]})").signatures.empty());  // Go matches names case-insensitively
  EXPECT_TRUE(accept(R"({"req":[1,"ping",{},2],"sig":null})").signatures.empty());
  EXPECT_EQ(accept(R"({"req":[1,"ping",[],2]})").params, nlohmann::json::array());  // arrays fail later, per method
}

TEST(Envelope, InvalidMessageFormat) {
  for (const char* bad : {"not json", "[1,2]", R"({"req":[1,"ping",{}]})", R"({"req":[1,"ping",{},2,5]})",
                          R"({"req":["1","ping",{},2]})", R"({"req":[-1,"ping",{},2]})", R"({"req":[1.0,"ping",{},2]})",
                          R"({"req":{"id":1}})", R"({"req":[1,"ping",{},2],"sig":["ab"]})",
                          R"({"req":[1,"ping",{},2],"sig":["0xabc"]})", R"({"req":[1,"ping",{},2],"sig":["0xzz"]})",
                          R"({"req":[1,"ping",{},2],"sig":"0xab"})", R"({"req":[1,"ping",{},2],"sid":5})",
                          R"({"req":[1,"ping",{},2]} trailing)", R"({"req":[18446744073709551616,"ping",{},2]})"}) {
    EXPECT_EQ(reject(bad).fault, FrameFault::invalid_format) << bad;
  }
  // The client's id is echoed when it was decoded before the failure.
  EXPECT_EQ(reject(R"({"req":[7,5,{},2]})").request_id, 7u);
  EXPECT_EQ(reject(R"({"req":[7,"ping",{},2],"sig":["nothex"]})").request_id, 7u);
  EXPECT_FALSE(reject(R"({"sig":["nothex"],"req":[7,"ping",{},2]})").request_id.has_value());
  EXPECT_FALSE(reject("{").request_id.has_value());
  EXPECT_EQ(reject("{").text(), "invalid message format");
}

TEST(Envelope, MessageValidationFailed) {
  for (const char* bad : {R"({"req":[0,"ping",{},2]})", R"({"req":[1,"ping",{},0]})", R"({"req":[1,"",{},2]})",
                          R"({"req":[1,"ping",null,2]})", R"({"req":[null,"ping",{},2]})", R"({"sig":[]})",
                          R"({"req":null})", R"({"res":[1,"ping",{},2]})", R"({"req":[1,"ping",{},2],"res":[1,"x",{},2]})"}) {
    const auto rejection = reject(bad);
    EXPECT_EQ(rejection.fault, FrameFault::validation_failed) << bad;
    EXPECT_EQ(rejection.text(), "message validation failed");
  }
}

TEST(Envelope, BuildsPayloadsAndFramesByConcatenation) {
  const auto payload = build_payload(3, "get_ledger_balances", "{}", 1733412346000);
  EXPECT_EQ(payload, R"([3,"get_ledger_balances",{},1733412346000])");
  EXPECT_EQ(umpire::crypto::to_hex(umpire::crypto::keccak256(payload)),
            "0x0d7d19fb61516bbfd00b866d919f57bd6450b8d25e321780c663274e8d889219");  // notes §2 vector
  const std::vector<std::string> sigs{"0x01", "0x02"};
  EXPECT_EQ(build_frame("res", payload, sigs), R"({"res":)" + payload + R"(,"sig":["0x01","0x02"]})");
  EXPECT_EQ(build_payload(1, "a<b", "null", 2), R"([1,"a\u003cb",null,2])");
}
