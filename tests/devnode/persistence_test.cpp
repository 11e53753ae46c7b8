// Devnode persistence: state committed to SQLite after each request survives a restart — balances, sub-balances,
// app sessions (version, status, data), session keys and allowance use — and the reloaded node keeps working.
#include <filesystem>

#include "devnode/state_store.hpp"
#include "harness.hpp"

using namespace devnode_test;

TEST(DevnodePersistence, ReloadRestoresStateAndKeepsGoing) {
  const auto path = std::filesystem::temp_directory_path() / ("devnode-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  auto p1 = crypto::PrivateKey::generate();
  auto p2 = crypto::PrivateKey::generate();
  auto key1 = crypto::PrivateKey::generate();
  const std::string a1 = p1.address().checksum(), a2 = p2.address().checksum();
  std::string id;
  Json audit_before;
  std::int64_t now = kStartMs;
  {
    Harness h;
    devnode::StateStore store(path);
    EXPECT_FALSE(store.load(h.engine()));
    h.engine().set_commit_observer([&](const devnode::Engine& engine) { store.save(engine); });
    const auto c1 = h.connect(), c2 = h.connect();
    h.authenticate(c1, p1, key1.address(), kApp, {{"usdc", "50"}});
    h.authenticate(c2, p2, crypto::PrivateKey::generate().address());
    h.response(c1, "devnode_fund", {{"wallet", a1}, {"asset", "usdc"}, {"amount", "100"}});
    h.engine().fund(a2, "usdc", *wire::Decimal::parse("100"), h.now);
    const Json definition{{"application", kApp}, {"protocol", "NitroRPC/0.4"}, {"participants", {a1, a2}},
                          {"weights", {50, 50}}, {"quorum", 100}, {"challenge", 0}, {"nonce", 7}};
    id = h.response(c1, "create_app_session",
                    {{"definition", definition},
                     {"allocations", {{{"participant", a1}, {"asset", "usdc"}, {"amount", "20"}},
                                      {{"participant", a2}, {"asset", "usdc"}, {"amount", "20"}}}}},
                    {&key1, &p2}).params["app_session_id"];
    EXPECT_EQ(h.response(c1, "submit_app_state",
                         {{"app_session_id", id}, {"intent", "operate"}, {"version", 2}, {"session_data", "round 1"},
                          {"allocations", {{{"participant", a1}, {"asset", "usdc"}, {"amount", "30"}},
                                           {{"participant", a2}, {"asset", "usdc"}, {"amount", "10"}}}}},
                         {&p1, &p2}).method, "submit_app_state");
    EXPECT_EQ(h.response(c1, "transfer", {{"destination", a2}, {"allocations", {{{"asset", "usdc"}, {"amount", "5"}}}}}, {&p1}).method,
              "transfer");
    audit_before = h.response(c1, "devnode_audit", Json::object()).params;
    now = h.now;
  }
  {
    Harness h;
    h.now = now + 1000;
    devnode::StateStore store(path);
    EXPECT_TRUE(store.load(h.engine()));
    h.engine().set_commit_observer([&](const devnode::Engine& engine) { store.save(engine); });
    const auto c1 = h.connect(), c2 = h.connect();
    h.authenticate(c1, p1, key1.address());  // still live: the stored key (allowance 50) is kept
    h.authenticate(c2, p2, crypto::PrivateKey::generate().address());
    EXPECT_EQ(h.balances(c1), (std::map<std::string, std::string>{{"usdc", "75"}}));
    EXPECT_EQ(h.balances(c2), (std::map<std::string, std::string>{{"usdc", "85"}}));
    EXPECT_EQ(h.balances(c1, id), (std::map<std::string, std::string>{{"usdc", "30"}}));
    EXPECT_EQ(h.response(c1, "devnode_audit", Json::object()).params, audit_before);
    const auto keys = h.response(c1, "get_session_keys", Json::object()).params["session_keys"];
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(keys[0]["allowances"][0]["used"], "20");
    const auto sessions = h.response(c1, "get_app_sessions", {{"participant", a1}}).params["app_sessions"];
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0]["version"], 2);
    EXPECT_EQ(sessions[0]["session_data"], "round 1");
    EXPECT_EQ(h.error(c1, "submit_app_state", {{"app_session_id", id}, {"intent", "operate"}, {"version", 2}}, {&p1, &p2}),
              "incorrect app state: incorrect version: expected 3, got 2");
    const auto closed = h.response(c1, "close_app_session",
                                   {{"app_session_id", id}, {"allocations", {{{"participant", a1}, {"asset", "usdc"}, {"amount", "30"}},
                                                                             {{"participant", a2}, {"asset", "usdc"}, {"amount", "10"}}}}},
                                   {&p1, &p2});
    EXPECT_EQ(closed.params["version"], 3);
    const auto tx = h.response(c1, "transfer", {{"destination", a2}, {"allocations", {{{"asset", "usdc"}, {"amount", "1"}}}}}, {&p1});
    EXPECT_EQ(tx.params["transactions"][0]["id"], 2);  // the counter survived the restart
  }
  {
    Harness h;
    devnode::StateStore store(path);
    EXPECT_TRUE(store.load(h.engine()));
    EXPECT_EQ(h.engine().app_sessions().find(id)->status, "closed");
    const auto audit = h.engine().ledger().audit();
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_TRUE(audit[0].balanced());
    EXPECT_EQ(audit[0].minted.to_string(), "200");
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}
