// Devnode engine: envelope errors, public methods, EIP-712/JWT auth, private gates, balances, transfer, session keys.
#include "harness.hpp"

using namespace devnode_test;
using devnode::Engine;

TEST(DevnodeEnvelope, FrameLevelErrorsNeverStopTheConnection) {
  Harness h;
  const auto c = h.connect();
  h.take(c);
  auto replies = h.raw(c, "not json");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].error(), "invalid message format");
  EXPECT_EQ(replies[0].id, static_cast<std::uint64_t>(h.now));  // no client id decoded: server ms
  EXPECT_EQ(h.raw(c, R"({"req":[42,"ping",{},1],"sig":["zz"]})")[0].id, 42u);
  replies = h.raw(c, R"({"req":[0,"ping",{},1]})");
  EXPECT_EQ(replies[0].error(), "message validation failed");
  EXPECT_EQ(replies[0].id, static_cast<std::uint64_t>(h.now));
  EXPECT_EQ(h.raw(c, R"({"res":[1,"ping",{},1]})")[0].error(), "message validation failed");
  replies = h.raw(c, R"({"req":[9,"message",{},1]})");
  EXPECT_EQ(replies[0].error(), "unknown method: message");
  EXPECT_EQ(replies[0].id, 9u);
  EXPECT_TRUE(h.raw(c, "").empty());
  EXPECT_EQ(h.response(c, "ping", Json::object()).method, "pong");  // still alive
}

TEST(DevnodePublic, AssetsPushPingConfigAssets) {
  devnode::EngineOptions options;
  options.assets = devnode::parse_asset_list("usdc:6,weth:18");
  Harness h(options);
  const auto c = h.connect();
  const auto pushed = h.take(c);
  ASSERT_EQ(pushed.size(), 1u);
  EXPECT_EQ(pushed[0].method, "assets");
  EXPECT_EQ(pushed[0].id, 0u);
  EXPECT_EQ(pushed[0].params["assets"].size(), 2u);
  EXPECT_EQ(pushed[0].params["assets"][1]["decimals"], 18);

  const auto pong = h.response(c, "ping", Json::object());
  EXPECT_EQ(pong.method, "pong");
  EXPECT_TRUE(pong.params.is_null());
  const auto config = h.response(c, "get_config", Json::object());
  EXPECT_EQ(config.params["broker_address"], h.engine().broker_address().checksum());
  EXPECT_EQ(config.params["networks"], Json::array());
  EXPECT_EQ(h.response(c, "get_assets", {{"chain_id", 1}}).params["assets"], Json::array());
  EXPECT_EQ(h.response(c, "get_assets", {{"chain_id", 31337}}).params["assets"].size(), 2u);
  EXPECT_EQ(h.error(c, "get_assets", Json::array()), "failed to parse parameters");
  EXPECT_EQ(h.error(c, "create_channel", Json::object()), "authentication required");
  EXPECT_EQ(h.error(c, "cleanup_session_key_cache", Json::object()), "test mode endpoints are disabled");
  EXPECT_NE(h.error(c, "get_ledger_entries", Json::object()).find("not supported by devnode"), std::string::npos);
}

TEST(DevnodeAuth, Eip712FlowRepliesThenPushesChannelsAndBalances) {
  Harness h;
  auto wallet = crypto::PrivateKey::generate();
  auto session = crypto::PrivateKey::generate();
  const auto c = h.connect();
  h.take(c);
  h.authenticate(c, wallet, session.address());
  const auto c2 = h.connect();
  h.take(c2);
  const auto challenge = h.response(c2, "auth_request",
                                    {{"address", wallet.address().checksum()}, {"session_key", session.address().checksum()},
                                     {"application", kApp}, {"allowances", Json::array()}, {"expires_at", h.now / 1000 + 60},
                                     {"scope", ""}});
  EXPECT_EQ(challenge.method, "auth_challenge");
  const std::string uuid = challenge.params["challenge_message"];
  EXPECT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[14], '4');
  crypto::AuthPolicy policy{kApp, uuid, "", wallet.address(), session.address(),
                            static_cast<std::uint64_t>(h.now / 1000 + 60), {}};
  const auto sig = wallet.sign_digest(crypto::auth_policy_digest(policy)).to_hex();
  const auto verify = wire::build_frame("req", h.payload("auth_verify", {{"challenge", uuid}}), std::vector<std::string>{sig});
  const auto replies = h.raw(c2, verify);
  ASSERT_EQ(methods(replies), (std::vector<std::string>{"auth_verify", "channels", "bu"}));
  EXPECT_EQ(replies[0].params["address"], wallet.address().checksum());
  EXPECT_EQ(replies[0].params["session_key"], session.address().checksum());
  EXPECT_EQ(replies[0].params["success"], true);
  EXPECT_TRUE(replies[0].params["jwt_token"].is_string());
  EXPECT_EQ(replies[1].params, Json::parse(R"({"channels":[]})"));
  EXPECT_EQ(replies[2].params, Json::parse(R"({"balance_updates":[]})"));
  // The challenge is one-shot.
  EXPECT_EQ(h.raw(c2, wire::build_frame("req", h.payload("auth_verify", {{"challenge", uuid}}), std::vector<std::string>{sig}))[0].error(),
            "invalid challenge or signature");

  // JWT re-auth on a new socket: no new token.
  const auto c3 = h.connect();
  const auto jwt_reply = h.response(c3, "auth_verify", {{"jwt", replies[0].params["jwt_token"]}});
  EXPECT_EQ(jwt_reply.params, (Json{{"address", wallet.address().checksum()}, {"session_key", session.address().checksum()}, {"success", true}}));
  EXPECT_EQ(h.balances(c3), (std::map<std::string, std::string>{}));
  EXPECT_EQ(h.error(h.connect(), "auth_verify", {{"jwt", "a.b.c"}}), "invalid JWT token");
}

TEST(DevnodeAuth, FailuresInOrder) {
  Harness h;
  auto wallet = crypto::PrivateKey::generate();
  auto other = crypto::PrivateKey::generate();
  const auto c = h.connect();
  EXPECT_EQ(h.error(c, "auth_verify", {{"challenge", "550e8400-e29b-41d4-a716-446655440000"}}),
            "invalid authentication method: expected JWT or signature");
  EXPECT_EQ(h.error(c, "auth_verify", {{"challenge", "550e8400-e29b-41d4-a716-446655440000"}}, {&wallet}), "invalid challenge");
  EXPECT_EQ(h.error(c, "auth_verify", {{"challenge", "nope"}}, {&wallet}), "failed to parse auth parameters");
  EXPECT_EQ(h.error(c, "auth_request", {{"address", "0xabc"}, {"expires_at", "soon"}}), "failed to parse auth parameters");
  // Signed by someone else → recovered address differs.
  const auto challenge = h.response(c, "auth_request", {{"address", wallet.address().checksum()}, {"session_key", other.address().checksum()},
                                                        {"application", kApp}, {"expires_at", h.now / 1000 + 60}});
  crypto::AuthPolicy policy{kApp, challenge.params["challenge_message"], "", wallet.address(), other.address(),
                            static_cast<std::uint64_t>(h.now / 1000 + 60), {}};
  const auto bad_sig = other.sign_digest(crypto::auth_policy_digest(policy)).to_hex();
  EXPECT_EQ(h.raw(c, wire::build_frame("req", h.payload("auth_verify", {{"challenge", challenge.params["challenge_message"]}}),
                                       std::vector<std::string>{bad_sig}))[0].error(),
            "invalid challenge or signature");
  // A lowercase wallet never matches the EIP-55 recovered address.
  const auto lower = h.response(c, "auth_request", {{"address", wallet.address().lowercase()}, {"session_key", other.address().checksum()},
                                                    {"application", kApp}, {"expires_at", h.now / 1000 + 60}});
  policy.challenge = lower.params["challenge_message"];
  EXPECT_EQ(h.raw(c, wire::build_frame("req", h.payload("auth_verify", {{"challenge", policy.challenge}}),
                                       std::vector<std::string>{wallet.sign_digest(crypto::auth_policy_digest(policy)).to_hex()}))[0].error(),
            "invalid challenge or signature");
  EXPECT_EQ(h.authenticate(c, wallet, other.address(), kApp, {{"btc", "1"}}).error(), "unsupported token: asset 'btc' is not supported");
  EXPECT_EQ(h.authenticate(c, wallet, other.address(), kApp, {}, h.now / 1000 - 1).error(),
            "expiration time must be set and in the future");
  ASSERT_EQ(h.authenticate(c, wallet, other.address()).method, "auth_verify");
  auto wallet2 = crypto::PrivateKey::generate();
  EXPECT_EQ(h.authenticate(c, wallet2, other.address()).error(), "signer is already in use for another wallet");
}

TEST(DevnodeGates, PrivateMethodGatesInOrder) {
  Harness h;
  auto wallet = crypto::PrivateKey::generate();
  const auto c = h.connect();
  EXPECT_EQ(h.error(c, "get_ledger_balances", Json::object()), "authentication required");
  h.authenticate(c, wallet, crypto::PrivateKey::generate().address());
  EXPECT_EQ(h.raw(c, Harness::frame(h.payload("get_ledger_balances", Json::object(), h.now - 60'001), {}))[0].error(),
            "invalid message timestamp");
  EXPECT_EQ(h.raw(c, Harness::frame(h.payload("get_ledger_balances", Json::object(), h.now / 1000), {}))[0].error(),
            "invalid message timestamp");  // 10 digits
  EXPECT_EQ(h.raw(c, Harness::frame(h.payload("get_ledger_balances", Json::object(), h.now + 3'600'000), {}))[0].method,
            "get_ledger_balances");  // the future passes
  h.now += 24LL * 3600 * 1000 + 1;
  EXPECT_EQ(h.error(c, "get_ledger_balances", Json::object()), "session expired, please re-authenticate");
}

TEST(DevnodeLedger, FundBalancesAndAudit) {
  Harness h;
  auto wallet = crypto::PrivateKey::generate();
  const auto c = h.connect();
  h.authenticate(c, wallet, crypto::PrivateKey::generate().address());
  h.take(c);
  const auto replies = h.call(c, "devnode_fund", {{"wallet", wallet.address().lowercase()}, {"asset", "usdc"}, {"amount", "100.50"}});
  ASSERT_EQ(methods(replies), (std::vector<std::string>{"bu", "devnode_fund"}));
  EXPECT_EQ(replies[0].params, Json::parse(R"({"balance_updates":[{"asset":"usdc","amount":"100.5"}]})"));
  EXPECT_EQ(replies[1].params["wallet"], wallet.address().checksum());
  EXPECT_EQ(replies[1].params["balance"], "100.5");
  EXPECT_EQ(h.error(c, "devnode_fund", {{"wallet", "0x12"}, {"asset", "usdc"}, {"amount", "1"}}), "devnode_fund: invalid wallet 0x12");
  EXPECT_EQ(h.error(c, "devnode_fund", {{"wallet", wallet.address().checksum()}, {"asset", "doge"}, {"amount", "1"}}),
            "devnode_fund: unsupported asset doge");
  EXPECT_EQ(h.error(c, "devnode_fund", {{"wallet", wallet.address().checksum()}, {"asset", "usdc"}, {"amount", "-1"}}),
            "devnode_fund: amount must be positive");
  EXPECT_EQ(h.balances(c), (std::map<std::string, std::string>{{"usdc", "100.5"}}));
  // devnode_balance reads any wallet's balance without its key and changes nothing.
  const auto read = h.response(c, "devnode_balance", {{"wallet", wallet.address().lowercase()}, {"asset", "usdc"}}).params;
  EXPECT_EQ(read["wallet"], wallet.address().checksum());
  EXPECT_EQ(read["balance"], "100.5");
  EXPECT_EQ(h.response(c, "devnode_balance", {{"wallet", crypto::PrivateKey::generate().address().checksum()},
                                              {"asset", "usdc"}}).params["balance"], "0");
  EXPECT_EQ(h.error(c, "devnode_balance", {{"wallet", "0x12"}, {"asset", "usdc"}}), "devnode_balance: invalid wallet 0x12");
  EXPECT_EQ(h.error(c, "devnode_balance", {{"wallet", wallet.address().checksum()}, {"asset", "doge"}}),
            "devnode_balance: unsupported asset doge");
  const auto audit = h.response(c, "devnode_audit", Json::object()).params;
  EXPECT_EQ(audit["balanced"], true);
  EXPECT_EQ(audit["assets"][0]["minted"], "100.5");
  EXPECT_EQ(audit["assets"][0]["held"], "100.5");
}

TEST(DevnodeTransfer, RulesTextsAndNotificationOrder) {
  Harness h;
  auto alice = crypto::PrivateKey::generate();
  auto bob = crypto::PrivateKey::generate();
  auto alice_key = crypto::PrivateKey::generate();
  const auto ca = h.connect();
  const auto cb = h.connect();
  h.authenticate(ca, alice, alice_key.address(), kApp, {{"usdc", "10"}});
  h.authenticate(cb, bob, crypto::PrivateKey::generate().address());
  h.engine().fund(alice.address().checksum(), "usdc", *wire::Decimal::parse("50"), h.now);
  h.take(ca);
  h.take(cb);
  const std::string bob_addr = bob.address().checksum();
  const Json one{{"asset", "usdc"}, {"amount", "5"}};

  EXPECT_EQ(h.error(ca, "transfer", {{"allocations", {one}}}, {&alice}), "destination or destination_tag must be provided");
  EXPECT_EQ(h.error(ca, "transfer", {{"destination", "bob"}, {"allocations", {one}}}, {&alice}), "invalid destination account: bob");
  EXPECT_EQ(h.error(ca, "transfer", {{"destination", bob_addr}, {"allocations", Json::array()}}, {&alice}), "allocations cannot be empty");
  EXPECT_EQ(h.error(ca, "transfer", {{"destination", bob_addr}, {"allocations", {one}}}), "missing participant signature");
  EXPECT_EQ(h.error(ca, "transfer", {{"destination", bob_addr}, {"allocations", {one}}}, {&bob}), "invalid signature");
  EXPECT_EQ(h.error(ca, "transfer", {{"destination", alice.address().lowercase()}, {"allocations", {one}}}, {&alice}), "cannot transfer to self");
  EXPECT_EQ(h.error(ca, "transfer", {{"destination", bob_addr}, {"allocations", {{{"asset", "usdc"}, {"amount", "0"}}}}}, {&alice}),
            "invalid allocation: 0 for asset usdc");
  EXPECT_EQ(h.error(ca, "transfer", {{"destination", bob_addr}, {"allocations", {{{"asset", "usdc"}, {"amount", "51"}}}}}, {&alice}),
            "insufficient funds: " + alice.address().checksum() + " for asset usdc");
  EXPECT_EQ(h.error(ca, "transfer", {{"destination", bob_addr}, {"allocations", {{{"asset", "usdc"}, {"amount", "11"}}}}}, {&alice_key}),
            "session key spending validation failed: operation denied: insufficient session key allowance: 11 required, 10 available");
  h.take(ca);
  h.take(cb);

  // Success, signed by the session key: bu (sender), bu (recipient), tr, tr, middleware bu, response.
  const auto payload = h.payload("transfer", {{"destination", bob_addr}, {"allocations", {{{"asset", "usdc"}, {"amount", 7.25}}}}});
  const auto frame = Harness::frame(payload, {&alice_key});
  const auto replies = h.raw(ca, frame);
  ASSERT_EQ(methods(replies), (std::vector<std::string>{"bu", "tr", "bu", "transfer"}));
  EXPECT_EQ(replies[0].params["balance_updates"][0]["amount"], "42.75");
  const auto& tx = replies[3].params["transactions"][0];
  EXPECT_EQ(tx["tx_type"], "transfer");
  EXPECT_EQ(tx["from_account"], alice.address().checksum());
  EXPECT_EQ(tx["to_account"], bob_addr);
  EXPECT_EQ(tx["amount"], "7.25");
  EXPECT_TRUE(tx["id"].is_number());
  EXPECT_EQ(methods(h.take(cb)), (std::vector<std::string>{"bu", "tr"}));
  EXPECT_EQ(h.raw(ca, frame).back().error(), "operation denied: the request has already been processed");
  EXPECT_EQ(h.error(ca, "transfer", {{"destination", bob_addr}, {"allocations", {{{"asset", "usdc"}, {"amount", "3"}}}}}, {&alice_key}),
            "session key spending validation failed: operation denied: insufficient session key allowance: 3 required, 2.75 available");
  // A failed transfer still pushes the caller's bu before the error.
  EXPECT_EQ(methods(h.call(ca, "transfer", {{"destination", bob_addr}, {"allocations", {{{"asset", "usdc"}, {"amount", "0"}}}}}, {&alice})),
            (std::vector<std::string>{"bu", "error"}));
  // By user tag.
  const std::string tag = h.response(cb, "get_user_tag", Json::object()).params["tag"];
  EXPECT_EQ(h.response(ca, "transfer", {{"destination_user_tag", tag}, {"allocations", {one}}}, {&alice}).method, "transfer");
  EXPECT_EQ(h.balances(cb), (std::map<std::string, std::string>{{"usdc", "12.25"}}));
}

TEST(DevnodeSessionKeys, ListAndRevoke) {
  Harness h;
  auto wallet = crypto::PrivateKey::generate();
  auto key = crypto::PrivateKey::generate();
  const auto c = h.connect();
  h.authenticate(c, wallet, key.address(), kApp, {{"usdc", "10.0"}});
  const auto listed = h.response(c, "get_session_keys", Json::object()).params["session_keys"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["session_key"], key.address().checksum());
  EXPECT_EQ(listed[0]["application"], kApp);
  EXPECT_EQ(listed[0]["allowances"][0], (Json{{"asset", "usdc"}, {"allowance", "10"}, {"used", "0"}}));
  EXPECT_EQ(h.error(c, "revoke_session_key", Json::object(), {&wallet}), "session_key parameter is required");
  EXPECT_EQ(h.error(c, "revoke_session_key", {{"session_key", wallet.address().checksum()}}, {&wallet}),
            "operation denied: provided address is not an active session key of this user");
  EXPECT_EQ(h.response(c, "revoke_session_key", {{"session_key", key.address().checksum()}}, {&key}).params["session_key"],
            key.address().checksum());
  EXPECT_EQ(h.response(c, "get_session_keys", Json::object()).params["session_keys"], Json::array());
  EXPECT_EQ(h.authenticate(h.connect(), wallet, key.address()).error(), "session key already exists but is expired");
}
