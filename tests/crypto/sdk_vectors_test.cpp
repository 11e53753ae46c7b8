// The crypto core against vectors computed by the official SDK (@erc7824/nitrolite 0.5.3 + viem), produced by
// tests/sdk/make-vectors.mjs into tests/vectors/sdk_vectors.json.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "crypto/eth_messages.hpp"

using namespace umpire::crypto;
using nlohmann::json;

namespace {
const json& vectors() {
  static const json loaded = [] {
    std::ifstream in(std::string(UMPIRE_SOURCE_DIR) + "/tests/vectors/sdk_vectors.json");
    return json::parse(in);
  }();
  return loaded;
}
}  // namespace

TEST(SdkVectors, AddressesMatch) {
  ASSERT_GE(vectors()["addresses"].size(), 10u);
  for (const auto& v : vectors()["addresses"]) {
    EXPECT_EQ(PrivateKey::from_hex(v["private_key"].get<std::string>()).address().checksum(), v["address"]);
  }
}

TEST(SdkVectors, RpcSignaturesMatchOverRawRequestBytes) {
  ASSERT_GE(vectors()["rpc"].size(), 5u);
  for (const auto& v : vectors()["rpc"]) {
    const std::string raw = v["raw_req"];
    const std::string frame = v["frame"];
    ASSERT_NE(frame.find(raw), std::string::npos) << "the SDK sends the bytes it signs";
    EXPECT_EQ(to_hex(rpc_payload_hash(raw)), v["keccak"]);
    KeySigner signer(PrivateKey::from_hex(v["private_key"].get<std::string>()));
    EXPECT_EQ(sign_rpc_payload(signer, raw).to_hex(), v["signature"]) << raw;
    EXPECT_EQ(recover_address(rpc_payload_hash(raw), Signature::parse(v["signature"].get<std::string>())).checksum(),
              v["address"]);
  }
}

TEST(SdkVectors, PersonalSignMatches) {
  for (const auto& v : vectors()["personal_sign"]) {
    KeySigner signer(PrivateKey::from_hex(v["private_key"].get<std::string>()));
    const std::string message = v["message"];
    EXPECT_EQ(sign_personal_message(signer, message).to_hex(), v["signature"]);
    EXPECT_EQ(recover_address(personal_message_hash(message), Signature::parse(v["signature"].get<std::string>()))
                  .checksum(),
              v["address"]);
  }
}

TEST(SdkVectors, Eip712AuthPolicyDigestAndSignatureMatch) {
  ASSERT_GE(vectors()["eip712_auth"].size(), 3u);
  for (const auto& v : vectors()["eip712_auth"]) {
    AuthPolicy policy;
    policy.application = v["application"];
    policy.challenge = v["challenge"];
    policy.scope = v["scope"];
    policy.wallet = Address::parse(v["wallet"].get<std::string>());
    policy.session_key = Address::parse(v["session_key"].get<std::string>());
    policy.expires_at = v["expires_at"];
    for (const auto& a : v["allowances"]) policy.allowances.push_back({a["asset"], a["amount"]});

    EXPECT_EQ(to_hex(eip712_domain_separator(policy.application)), v["domain_separator"]);
    EXPECT_EQ(to_hex(auth_policy_struct_hash(policy)), v["struct_hash"]);
    EXPECT_EQ(to_hex(auth_policy_digest(policy)), v["digest"]);
    KeySigner wallet(PrivateKey::from_hex(v["wallet_private_key"].get<std::string>()));
    EXPECT_EQ(wallet.sign_digest(auth_policy_digest(policy)).to_hex(), v["signature"]);
  }
}

TEST(SdkVectors, NotesPolicyVector) {
  // The worked example in shared/protocol/clearnode-v0.5.md §3.2.
  AuthPolicy policy{"Example App", "550e8400-e29b-41d4-a716-446655440000", "app.create",
                    Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
                    Address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), 1767225600, {{"usdc", "100"}}};
  EXPECT_EQ(to_hex(eip712_domain_separator(policy.application)),
            "0xa622a4bd4755c78b53a7cee599c294c2543b7ea5908ff7bf7d40536e12cc8154");
  EXPECT_EQ(to_hex(auth_policy_struct_hash(policy)),
            "0x3d25b5ce41090770b31680d01cdfba41d803f33d42dab8c2469dfc5fb7892333");
  EXPECT_EQ(to_hex(auth_policy_digest(policy)), "0x648af733dfe524c713d44aaa0f5661261166ad9f8cbc8d051e6f7704aa52e064");
}
