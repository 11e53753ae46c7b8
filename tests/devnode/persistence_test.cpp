// Devnode persistence: state committed to SQLite after each request survives a restart — balances, sub-balances,
// app sessions (version, status, data), session keys and allowance use — and the reloaded node keeps working.
// Saves are incremental (only what changed), and a devnode without a configured broker key keeps the one it made.
#include <sys/stat.h>

#include <filesystem>

#include "devnode/devnode.hpp"
#include "devnode/state_store.hpp"
#include "harness.hpp"

using namespace devnode_test;

namespace {

// A database path under the temp directory, removed (with its -wal and -shm) before and after the test.
class TempDatabase {
 public:
  explicit TempDatabase(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / ("devnode-" + name + "-" + std::to_string(::getpid()) + ".db")) {
    remove();
  }
  ~TempDatabase() { remove(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  void remove() const {
    for (const auto* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }
  std::filesystem::path path_;
};

Json two_party_definition(const std::string& a, const std::string& b, std::uint64_t nonce) {
  return Json{{"application", kApp}, {"protocol", "NitroRPC/0.4"}, {"participants", {a, b}},
              {"weights", {50, 50}}, {"quorum", 100}, {"challenge", 0}, {"nonce", nonce}};
}

Json usdc(const std::string& who, const std::string& amount) {
  return Json{{"participant", who}, {"asset", "usdc"}, {"amount", amount}};
}

}  // namespace

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

// Only changed sessions are written after a restore: sessions untouched since the reload keep their stored rows,
// changed ones are rewritten, new ones added — and a second reload sees exactly the live state.
TEST(DevnodePersistence, IncrementalSavesAfterReloadKeepEverySession) {
  TempDatabase db("incremental");
  auto p1 = crypto::PrivateKey::generate();
  auto p2 = crypto::PrivateKey::generate();
  const std::string a1 = p1.address().checksum(), a2 = p2.address().checksum();
  std::vector<std::string> ids;
  std::int64_t now = kStartMs;
  auto open = [&](Harness& h, devnode::StateStore& store) {
    h.now = now;
    h.engine().set_commit_observer([&store](const devnode::Engine& engine) { store.save(engine); });
    const auto c = h.connect();
    h.authenticate(c, p1, crypto::PrivateKey::generate().address());
    return c;
  };
  {
    Harness h;
    devnode::StateStore store(db.path());
    EXPECT_FALSE(store.load(h.engine()));
    const auto c = open(h, store);
    h.engine().fund(a1, "usdc", *wire::Decimal::parse("100"), h.now);
    h.engine().fund(a2, "usdc", *wire::Decimal::parse("100"), h.now);
    for (std::uint64_t nonce = 1; nonce <= 3; ++nonce) {
      const auto reply = h.response(c, "create_app_session",
                                    {{"definition", two_party_definition(a1, a2, nonce)},
                                     {"allocations", {usdc(a1, "10"), usdc(a2, "10")}}},
                                    {&p1, &p2});
      ASSERT_EQ(reply.error(), "");
      ids.push_back(reply.params["app_session_id"]);
    }
    now = h.now + 1000;
  }
  {
    Harness h;
    devnode::StateStore store(db.path());
    EXPECT_TRUE(store.load(h.engine()));
    const auto c = open(h, store);
    EXPECT_EQ(h.error(c, "submit_app_state",
                      {{"app_session_id", ids[1]}, {"intent", "operate"}, {"version", 2}, {"session_data", "moved"},
                       {"allocations", {usdc(a1, "15"), usdc(a2, "5")}}},
                      {&p1, &p2}),
              "");
    EXPECT_EQ(h.error(c, "close_app_session", {{"app_session_id", ids[2]}, {"allocations", {usdc(a1, "0"), usdc(a2, "20")}}},
                      {&p1, &p2}),
              "");
    const auto created = h.response(c, "create_app_session",
                                    {{"definition", two_party_definition(a1, a2, 4)},
                                     {"allocations", {usdc(a1, "1"), usdc(a2, "1")}}},
                                    {&p1, &p2});
    ASSERT_EQ(created.error(), "");
    ids.push_back(created.params["app_session_id"]);
    now = h.now + 1000;
  }
  Harness h;
  devnode::StateStore store(db.path());
  ASSERT_TRUE(store.load(h.engine()));
  const auto& sessions = h.engine().app_sessions();
  ASSERT_EQ(sessions.all().size(), 4u);
  const std::vector<std::pair<std::string, std::uint64_t>> expected{{"open", 1}, {"open", 2}, {"closed", 2}, {"open", 1}};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto* session = sessions.find(ids[i]);
    ASSERT_NE(session, nullptr) << i;
    EXPECT_EQ(std::make_pair(session->status, session->version), expected[i]) << i;
  }
  EXPECT_EQ(sessions.find(ids[1])->session_data, "moved");
  EXPECT_EQ(h.engine().ledger().balance(devnode::Ledger::unified(a1, "usdc")).to_string(), "69");
  EXPECT_EQ(h.engine().ledger().balance(devnode::Ledger::unified(a2, "usdc")).to_string(), "89");
  EXPECT_EQ(h.engine().ledger().balance(devnode::AccountRef{ids[1], a1, "usdc"}).to_string(), "15");
  const auto audit = h.engine().ledger().audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_TRUE(audit[0].balanced());
}

// Without --broker-key-file, a --db devnode makes its broker key once, keeps it in the (owner-only) database, and
// answers with the same broker address after a restart; a configured key wins and leaves the kept one alone.
TEST(DevnodePersistence, BrokerKeyKeptInTheDatabaseAcrossRestarts) {
  TempDatabase db("broker-key");
  TempDatabase other("broker-key-other");
  // The broker address a devnode on `path` reports; the devnode is then stopped and its database closed.
  auto broker_of = [](const std::filesystem::path& path, std::optional<crypto::PrivateKey> key = std::nullopt) {
    boost::asio::io_context io;
    devnode::DevnodeOptions options;
    options.db_path = path;
    options.broker_key = std::move(key);
    auto node = std::make_unique<devnode::Devnode>(io, std::move(options));
    const crypto::Address address = node->broker_address();
    node.reset();
    io.poll();  // runs the stop work still holding the node's core (and its database)
    return address;
  };
  const crypto::Address kept = broker_of(db.path());

  struct stat info{};
  ASSERT_EQ(::stat(db.path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "the database holds a private key";

  EXPECT_EQ(broker_of(db.path()), kept);
  auto configured = crypto::PrivateKey::generate();
  const crypto::Address configured_address = configured.address();
  EXPECT_EQ(broker_of(db.path(), std::move(configured)), configured_address);
  EXPECT_EQ(broker_of(db.path()), kept);
  EXPECT_NE(broker_of(other.path()), kept);  // another database, another node

  devnode::StateStore store(db.path());
  const auto stored = store.load_broker_key();
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->address(), kept);
}
