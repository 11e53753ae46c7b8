// Devnode app sessions: create / submit_app_state (0.2, 0.4 operate/deposit/withdraw) / close rules with the
// node's exact texts and order, reads, and notifications.
#include "harness.hpp"

using namespace devnode_test;

namespace {

struct Table {
  Harness h;
  crypto::PrivateKey p1 = crypto::PrivateKey::generate();
  crypto::PrivateKey p2 = crypto::PrivateKey::generate();
  crypto::PrivateKey referee = crypto::PrivateKey::generate();
  crypto::PrivateKey p1_key = crypto::PrivateKey::generate();  // p1's session key for kApp, allowance 30 usdc
  std::uint64_t c1 = 0, c2 = 0, cr = 0;
  std::uint64_t nonce = 1;

  Table() {
    c1 = h.connect();
    c2 = h.connect();
    cr = h.connect();
    EXPECT_EQ(h.authenticate(c1, p1, p1_key.address(), kApp, {{"usdc", "30"}}).method, "auth_verify");
    EXPECT_EQ(h.authenticate(c2, p2, crypto::PrivateKey::generate().address()).method, "auth_verify");
    EXPECT_EQ(h.authenticate(cr, referee, crypto::PrivateKey::generate().address()).method, "auth_verify");
    h.engine().fund(a1(), "usdc", *wire::Decimal::parse("100"), h.now);
    h.engine().fund(a2(), "usdc", *wire::Decimal::parse("100"), h.now);
    drain();
  }
  std::string a1() const { return p1.address().checksum(); }
  std::string a2() const { return p2.address().checksum(); }
  std::string ar() const { return referee.address().checksum(); }
  void drain() { h.take(c1), h.take(c2), h.take(cr); }

  Json definition(std::string protocol = "NitroRPC/0.4") {
    return {{"application", kApp}, {"protocol", protocol}, {"participants", {a1(), a2(), ar()}},
            {"weights", {0, 0, 100}}, {"quorum", 100}, {"challenge", 86400}, {"nonce", nonce++}};
  }
  static Json alloc(const std::string& who, const std::string& amount, const std::string& asset = "usdc") {
    return {{"participant", who}, {"asset", asset}, {"amount", amount}};
  }
  // Creates a session funded 10/10 and returns its id.
  std::string open(std::string protocol = "NitroRPC/0.4") {
    const auto reply = h.response(cr, "create_app_session",
                                  {{"definition", definition(protocol)}, {"allocations", {alloc(a1(), "10"), alloc(a2(), "10")}}},
                                  {&p1, &p2});
    EXPECT_EQ(reply.method, "create_app_session") << reply.error();
    drain();
    return reply.params.value("app_session_id", "");
  }
  Json submit(const std::string& id, std::uint64_t version, const std::string& intent, Json allocations) {
    return {{"app_session_id", id}, {"intent", intent}, {"version", version}, {"allocations", allocations}};
  }
};

}  // namespace

TEST(DevnodeCreateAppSession, ChecksInOrder) {
  Table t;
  auto& h = t.h;
  auto def = t.definition();
  auto with = [&](const char* key, Json value) { auto d = t.definition(); d[key] = value; return Json{{"definition", d}}; };
  EXPECT_EQ(h.error(t.cr, "create_app_session", with("protocol", "NitroRPC/0.3")), "unsupported protocol: NitroRPC/0.3");
  EXPECT_EQ(h.error(t.cr, "create_app_session", with("participants", {t.a1()})), "invalid number of participants");
  EXPECT_EQ(h.error(t.cr, "create_app_session", with("weights", {1})), "number of weights must be equal to participants");
  EXPECT_EQ(h.error(t.cr, "create_app_session", with("nonce", 0)), "nonce is zero or not provided");
  EXPECT_EQ(h.error(t.cr, "create_app_session", with("weights", {-1, 1, 100})), "participant " + t.a1() + " weight cannot be negative");
  EXPECT_EQ(h.error(t.cr, "create_app_session", with("quorum", 300)), "target quorum (300) cannot be greater than total sum of weights (100)");
  EXPECT_EQ(h.error(t.cr, "create_app_session", with("quorum", "100")), "failed to parse parameters");

  auto create = [&](Json allocations, std::vector<const crypto::PrivateKey*> signers) {
    return h.error(t.cr, "create_app_session", {{"definition", t.definition()}, {"allocations", allocations}}, signers);
  };
  EXPECT_EQ(create({Table::alloc(t.a1(), "-5")}, {&t.p1}), "negative allocation: -5 for asset usdc");
  EXPECT_EQ(create({Table::alloc(t.a1(), "5"), Table::alloc(t.a2(), "5")}, {&t.p1}), "missing signature for participant " + t.a2());
  EXPECT_EQ(create({Table::alloc(t.a1(), "101")}, {&t.p1}), "insufficient funds: " + t.a1() + " for asset usdc");
  EXPECT_EQ(create({Table::alloc(t.a1(), "31")}, {&t.p1_key}),
            "session key spending validation failed: operation denied: insufficient session key allowance: 31 required, 30 available");
  EXPECT_EQ(create({Table::alloc(t.a1(), "1", "eth")}, {&t.p1_key}),
            "session key spending validation failed: operation denied: asset eth not allowed in session key spending cap");
  auto other_app_key = crypto::PrivateKey::generate();
  h.authenticate(h.connect(), t.p2, other_app_key.address(), "Other");
  EXPECT_EQ(create({Table::alloc(t.a2(), "1")}, {&other_app_key}),
            "session key application validation failed: session key application mismatch: session key is for 'Other', but app session is for 'Test Game'");
  EXPECT_EQ(create({Table::alloc(t.a1(), "1")}, {}), "missing signature for participant " + t.a1());
  // Nothing moved.
  EXPECT_EQ(h.balances(t.c1), (std::map<std::string, std::string>{{"usdc", "100"}}));
  t.drain();

  // Success through the session key (charged to its allowance); zero allocations need no signature.
  const auto replies = h.call(t.cr, "create_app_session",
                              {{"definition", def}, {"allocations", {Table::alloc(t.a1(), "20"), Table::alloc(t.a2(), "0")}}},
                              {&t.p1_key});
  ASSERT_EQ(methods(replies), (std::vector<std::string>{"bu", "create_app_session"}));  // the referee's middleware bu
  const std::string id = replies[1].params["app_session_id"];
  wire::AppDefinition expected{kApp, "NitroRPC/0.4", std::vector<std::string>{t.a1(), t.a2(), t.ar()}, std::vector<std::int64_t>{0, 0, 100},
                               100, 86400, def["nonce"].get<std::uint64_t>()};
  EXPECT_EQ(id, wire::app_session_id(expected));
  const auto& r = replies[1].params;
  EXPECT_EQ(r["status"], "open");
  EXPECT_EQ(r["version"], 1);
  EXPECT_TRUE(r["participants"].is_null() && r["weights"].is_null());
  EXPECT_EQ(r["application"], "");
  EXPECT_EQ(r["created_at"], "");
  EXPECT_EQ(methods(h.take(t.c1)), (std::vector<std::string>{"bu"}));
  EXPECT_EQ(h.balances(t.c1), (std::map<std::string, std::string>{{"usdc", "80"}}));
  EXPECT_EQ(h.balances(t.c1, id), (std::map<std::string, std::string>{{"usdc", "20"}}));
  EXPECT_EQ(h.error(t.cr, "create_app_session", {{"definition", def}}), "failed to create application session");
  EXPECT_EQ(h.response(t.c1, "get_session_keys", Json::object()).params["session_keys"][0]["allowances"][0]["used"], "20");
}

TEST(DevnodeSubmitAppState, VersionQuorumAndIntentChecks) {
  Table t;
  auto& h = t.h;
  const auto id = t.open();
  const Json even{Table::alloc(t.a1(), "10"), Table::alloc(t.a2(), "10")};
  EXPECT_EQ(h.error(t.cr, "submit_app_state", t.submit("0x00", 2, "operate", even), {&t.referee}),
            "an open app session not found: record not found");
  EXPECT_EQ(h.error(t.cr, "submit_app_state", t.submit(id, 3, "operate", even), {&t.referee}),
            "incorrect app state: incorrect version: expected 2, got 3");
  auto outsider = crypto::PrivateKey::generate();
  EXPECT_EQ(h.error(t.cr, "submit_app_state", t.submit(id, 2, "operate", even), {&t.referee, &outsider}),
            "signature from unknown participant wallet " + outsider.address().checksum());
  EXPECT_EQ(h.error(t.cr, "submit_app_state", t.submit(id, 2, "operate", even), {&t.p1, &t.p2}),
            "incorrect submit_state request: quorum not reached: 0 / 100");
  EXPECT_EQ(h.error(t.cr, "submit_app_state", t.submit(id, 2, "deposit", even), {&t.p1}),
            "incorrect deposit request: quorum not reached: 0 / 100");
  EXPECT_EQ(h.error(t.cr, "submit_app_state", t.submit(id, 2, "withdraw", even), {}),
            "incorrect withdrawal request: quorum not reached: 0 / 100");
  EXPECT_EQ(h.error(t.cr, "submit_app_state", t.submit(id, 2, "burn", even), {&t.referee}),
            "incorrect app state: unsupported intent: burn");
  auto referee_other = crypto::PrivateKey::generate();
  h.authenticate(h.connect(), t.referee, referee_other.address(), "Other");
  EXPECT_EQ(h.error(t.cr, "submit_app_state", t.submit(id, 2, "operate", even), {&referee_other}),
            "session key application validation failed for signer " + referee_other.address().checksum() +
                ": session key application mismatch: session key is for 'Other', but app session is for 'Test Game'");
  EXPECT_EQ(h.error(t.cr, "submit_app_state", {{"app_session_id", id}, {"version", 2}, {"allocations", "x"}}, {&t.referee}),
            "failed to parse parameters");
}

TEST(DevnodeSubmitAppState, OperateSetsAndConserves) {
  Table t;
  auto& h = t.h;
  const auto id = t.open();
  auto operate = [&](Json allocations, std::uint64_t version = 2) {
    return h.error(t.cr, "submit_app_state", t.submit(id, version, "operate", allocations), {&t.referee});
  };
  const std::string prefix = "incorrect operate request: non-zero allocations sum delta: ";
  EXPECT_EQ(operate({Table::alloc(t.a1(), "-1")}), "negative allocation: -1 for asset usdc");
  EXPECT_EQ(operate({Table::alloc("0x0000000000000000000000000000000000000001", "1")}),
            "allocation to non-participant 0x0000000000000000000000000000000000000001");
  EXPECT_EQ(operate({Table::alloc(t.a1(), "15"), Table::alloc(t.a2(), "6")}), prefix + "asset usdc not fully redistributed");
  EXPECT_EQ(operate({Table::alloc(t.a1(), "10"), Table::alloc(t.a2(), "10"), Table::alloc(t.a2(), "1", "eth")}),
            prefix + "allocation references unknown asset eth");
  h.take(t.c1);
  const auto replies = h.call(t.cr, "submit_app_state",
                              {{"app_session_id", id}, {"intent", "operate"}, {"version", 2}, {"session_data", "{\"turn\":1}"},
                               {"allocations", {Table::alloc(t.a1(), "15"), Table::alloc(t.a2(), "5"), Table::alloc(t.ar(), "0")}}},
                              {&t.referee});
  ASSERT_EQ(methods(replies), (std::vector<std::string>{"asu", "bu", "submit_app_state"}));
  EXPECT_EQ(replies[2].params["version"], 2);
  const auto& asu = replies[0].params;
  EXPECT_EQ(asu["app_session"]["application"], "");
  EXPECT_EQ(asu["app_session"]["version"], 2);
  EXPECT_EQ(asu["app_session"]["session_data"], "{\"turn\":1}");
  EXPECT_EQ(asu["participant_allocations"], Json::parse(R"([{"participant":")" + t.a1() + R"(","asset":"usdc","amount":"15"},{"participant":")" +
                                                        t.a2() + R"(","asset":"usdc","amount":"5"}])"));
  EXPECT_EQ(methods(h.take(t.c1)), (std::vector<std::string>{"asu"}));
  EXPECT_EQ(h.balances(t.c1, id), (std::map<std::string, std::string>{{"usdc", "15"}}));
  EXPECT_EQ(h.balances(t.c2, id), (std::map<std::string, std::string>{{"usdc", "5"}}));
  EXPECT_EQ(operate({Table::alloc(t.a1(), "15"), Table::alloc(t.a2(), "5")}), "incorrect app state: incorrect version: expected 3, got 2");
  EXPECT_EQ(h.response(t.cr, "devnode_audit", Json::object()).params["balanced"], true);
}

TEST(DevnodeSubmitAppState, DepositAndWithdraw) {
  Table t;
  auto& h = t.h;
  const auto id = t.open();
  auto submit = [&](std::uint64_t version, const char* intent, Json allocations, std::vector<const crypto::PrivateKey*> signers) {
    return h.response(t.cr, "submit_app_state", t.submit(id, version, intent, allocations), signers);
  };
  EXPECT_EQ(submit(2, "deposit", {Table::alloc(t.a1(), "9")}, {&t.referee}).error(),
            "incorrect deposit request: decreased allocation for participant " + t.a1());
  EXPECT_EQ(submit(2, "deposit", {Table::alloc(t.a1(), "15")}, {&t.referee}).error(),
            "incorrect deposit request: depositor signature is required");
  EXPECT_EQ(submit(2, "deposit", {Table::alloc(t.a1(), "200")}, {&t.referee, &t.p1}).error(),
            "incorrect deposit request: insufficient unified balance");
  EXPECT_EQ(submit(2, "deposit", {Table::alloc(t.a1(), "10")}, {&t.referee}).error(),
            "incorrect deposit request: non-positive allocations sum delta");
  EXPECT_EQ(submit(2, "deposit", {Table::alloc(t.a1(), "41")}, {&t.referee, &t.p1_key}).error(),
            "session key spending validation failed: operation denied: insufficient session key allowance: 31 required, 30 available");
  t.drain();
  const auto deposit = h.call(t.cr, "submit_app_state", t.submit(id, 2, "deposit", {Table::alloc(t.a1(), "15"), Table::alloc(t.a2(), "10")}),
                              {&t.referee, &t.p1});
  ASSERT_EQ(methods(deposit), (std::vector<std::string>{"asu", "bu", "submit_app_state"}));
  EXPECT_EQ(methods(h.take(t.c1)), (std::vector<std::string>{"bu", "asu"}));
  EXPECT_EQ(methods(h.take(t.c2)), (std::vector<std::string>{"asu"}));
  EXPECT_EQ(h.balances(t.c1), (std::map<std::string, std::string>{{"usdc", "85"}}));

  EXPECT_EQ(submit(3, "withdraw", {Table::alloc(t.a2(), "11")}, {&t.referee}).error(),
            "incorrect withdrawal request: increased allocation for participant " + t.a2());
  EXPECT_EQ(submit(3, "withdraw", {Table::alloc(t.a2(), "10")}, {&t.referee}).error(),
            "incorrect withdrawal request: non-negative allocations sum delta");
  EXPECT_EQ(submit(3, "withdraw", {Table::alloc(t.a2(), "4")}, {&t.referee}).method, "submit_app_state");
  EXPECT_EQ(h.balances(t.c2), (std::map<std::string, std::string>{{"usdc", "96"}}));  // 100 - 10 + 6
  EXPECT_EQ(h.balances(t.c2, id), (std::map<std::string, std::string>{{"usdc", "4"}}));
}

TEST(DevnodeSubmitAppState, ProtocolV02RejectsIntentAndVersion) {
  Table t;
  auto& h = t.h;
  const auto id = t.open("NitroRPC/0.2");
  const Json even{Table::alloc(t.a1(), "12"), Table::alloc(t.a2(), "8")};
  EXPECT_EQ(h.error(t.cr, "submit_app_state", t.submit(id, 2, "", even), {&t.referee}),
            "incorrect request: specified parameters are not supported in this protocol");
  EXPECT_EQ(h.error(t.cr, "submit_app_state", {{"app_session_id", id}, {"intent", "operate"}, {"allocations", even}}, {&t.referee}),
            "incorrect request: specified parameters are not supported in this protocol");
  EXPECT_EQ(h.response(t.cr, "submit_app_state", {{"app_session_id", id}, {"allocations", even}}, {&t.referee}).params["version"], 2);
}

TEST(DevnodeCloseAppSession, PayoutAndAfterClose) {
  Table t;
  auto& h = t.h;
  const auto id = t.open();
  auto close = [&](Json allocations, std::vector<const crypto::PrivateKey*> signers) {
    return h.response(t.cr, "close_app_session", {{"app_session_id", id}, {"allocations", allocations}}, signers);
  };
  EXPECT_EQ(close(Json::array(), {&t.referee}).error(), "missing required parameters: app_id or allocations");
  EXPECT_EQ(close({Table::alloc(t.a1(), "20")}, {&t.p1}).error(), "incorrect submit_state request: quorum not reached: 0 / 100");
  EXPECT_EQ(close({Table::alloc(t.a1(), "21")}, {&t.referee}).error(), "asset usdc not fully redistributed");
  EXPECT_EQ(close({Table::alloc(t.a1(), "-1")}, {&t.referee}).error(), "negative allocation: -1 for asset usdc");
  t.drain();
  const auto replies = h.call(t.cr, "close_app_session",
                              {{"app_session_id", id}, {"allocations", {Table::alloc(t.a1(), "20"), Table::alloc(t.a2(), "0")}}},
                              {&t.referee});
  ASSERT_EQ(methods(replies), (std::vector<std::string>{"bu", "close_app_session"}));
  EXPECT_EQ(replies[1].params["status"], "closed");
  EXPECT_EQ(replies[1].params["version"], 2);
  EXPECT_EQ(methods(h.take(t.c1)), (std::vector<std::string>{"bu"}));  // no asu on close
  EXPECT_TRUE(h.take(t.c2).empty());                                   // zero payout: no bu
  EXPECT_EQ(h.balances(t.c1), (std::map<std::string, std::string>{{"usdc", "110"}}));
  EXPECT_EQ(h.balances(t.c2), (std::map<std::string, std::string>{{"usdc", "90"}}));
  EXPECT_EQ(h.balances(t.c2, id), (std::map<std::string, std::string>{{"usdc", "0"}}));  // zero rows stay
  EXPECT_EQ(h.error(t.cr, "submit_app_state", t.submit(id, 3, "operate", {Table::alloc(t.a1(), "0")}), {&t.referee}),
            "an open app session not found: record not found");
  EXPECT_EQ(close({Table::alloc(t.a1(), "0")}, {&t.referee}).error(), "an open app session not found: record not found");
  EXPECT_EQ(h.response(t.cr, "devnode_audit", Json::object()).params["balanced"], true);
}

TEST(DevnodeReads, AppSessionsAndDefinition) {
  Table t;
  auto& h = t.h;
  h.engine().fund(t.a1(), "usdc", *wire::Decimal::parse("100"), h.now);
  h.engine().fund(t.a2(), "usdc", *wire::Decimal::parse("100"), h.now);
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    h.now += 1;
    ids.push_back(t.open());
  }
  h.now += 1;
  h.response(t.cr, "close_app_session", {{"app_session_id", ids[0]}, {"allocations", {Table::alloc(t.a1(), "10"), Table::alloc(t.a2(), "10")}}},
             {&t.referee});
  const auto c = h.connect();  // public: no auth needed
  auto list = [&](Json params) { return h.response(c, "get_app_sessions", params).params["app_sessions"]; };
  EXPECT_EQ(list(Json::object()).size(), 10u);
  EXPECT_EQ(list({{"limit", 500}}).size(), 12u);
  EXPECT_EQ(list({{"status", "closed"}}).size(), 1u);
  EXPECT_EQ(list({{"status", "closed"}})[0]["app_session_id"], ids[0]);
  EXPECT_EQ(list({{"participant", t.a1()}, {"limit", 100}}).size(), 12u);
  EXPECT_EQ(list({{"participant", t.p1.address().lowercase()}}).size(), 0u);  // exact-string filter
  EXPECT_EQ(list({{"limit", 1}})[0]["app_session_id"], ids[0]);               // most recently updated first
  EXPECT_EQ(list({{"limit", 1}, {"sort", "asc"}})[0]["app_session_id"], ids[1]);
  const auto item = list({{"limit", 1}, {"sort", "asc"}})[0];
  EXPECT_EQ(item["application"], kApp);
  EXPECT_FALSE(item.contains("session_data"));
  EXPECT_EQ(item["weights"], Json::parse("[0,0,100]"));
  EXPECT_EQ(h.error(c, "get_app_definition", Json::object()), "missing account ID");
  EXPECT_EQ(h.error(c, "get_app_definition", {{"app_session_id", "0x01"}}), "failed to get application session");
  const auto definition = h.response(c, "get_app_definition", {{"app_session_id", ids[1]}}).params;
  EXPECT_EQ(definition["application"], "");
  EXPECT_EQ(definition["quorum"], 100);
  EXPECT_EQ(definition["participants"][2], t.ar());
}
