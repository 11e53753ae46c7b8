// tests/recovery/sessions_test.cpp — `umpire sessions` against an `umpire devnode` process. An open app session
// with Umpire as participant that the journal has never seen is listed as UNKNOWN; `close --refund` will not guess
// how to pay it out and changes nothing; with the allocations stated it closes it and the players have their stakes
// back.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "clearnode/clearnode_client.hpp"
#include "crypto/eth_messages.hpp"
#include "crypto/private_key.hpp"
#include "support/node_client.hpp"
#include "support/umpire_process.hpp"

namespace umpire::testing {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

wire::Decimal usdc_of(const std::vector<clearnode::LedgerBalance>& balances) {
  for (const auto& item : balances) {
    if (item.asset == "usdc") return item.amount;
  }
  return {};
}

TEST(SessionsCommand, ListsAnUnknownSessionAndRefundsItOnlyWithStatedAllocations) {
  if (!fs::exists(umpire_binary())) GTEST_SKIP() << "no umpire binary";
  const auto dir = fs::temp_directory_path() / ("umpire-sessions-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "state");
  ASSERT_EQ(run_umpire({"key", "new", "--out", (dir / "umpire.key").string()}, dir / "key.log", 30s).status, 0);
  const auto port = free_port();
  const std::string url = "ws://127.0.0.1:" + std::to_string(port) + "/ws";
  UmpireProcess devnode({"devnode", "--listen", "127.0.0.1:" + std::to_string(port)}, dir / "devnode.log");
  ASSERT_TRUE(devnode.wait_listening({port})) << read_text(dir / "devnode.log");

  auto umpire = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::load_file(dir / "umpire.key"));
  auto alice = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
  auto bob = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
  std::string id;
  // Alice and Bob lock 1 usdc each in a session with Umpire deciding, as a room would, but nothing is journaled.
  with_node(
      url, umpire, [&](clearnode::ClearNodeClient& node) -> asio::awaitable<void> {
    for (const auto& player : {alice, bob}) {
      nlohmann::json fund = nlohmann::json::object();
      fund["wallet"] = player->address().checksum();
      fund["asset"] = "usdc";
      fund["amount"] = "1";
      co_await node.call("devnode_fund", fund);
    }
    clearnode::CreateAppSessionParams params;
    params.definition.application = "umpire";
    params.definition.participants = {alice->address().checksum(), bob->address().checksum(),
                                      umpire->address().checksum()};
    params.definition.weights = {0, 0, 100};
    params.definition.quorum = 100;
    params.definition.nonce = 424242;
    for (const auto& player : {alice, bob}) {
      clearnode::AppAllocation stake;
      stake.participant = player->address().checksum();
      stake.asset = "usdc";
      stake.amount = wire::Decimal::parse("1").value();
      params.allocations.push_back(stake);
    }
    const auto prepared = node.prepare_create_app_session(params);
    std::vector<crypto::Signature> signatures{crypto::sign_rpc_payload(*alice, prepared.payload),
                                              crypto::sign_rpc_payload(*bob, prepared.payload)};
    id = (co_await node.submit_prepared(prepared, signatures)).app_session_id;
  }, "umpire");
  ASSERT_EQ(id.size(), 66u);

  const std::vector<std::string> common{"--clearnode", url, "--key-file", (dir / "umpire.key").string(),
                                        "--state-dir", (dir / "state").string()};
  auto sessions = [&](std::vector<std::string> words) {
    words.insert(words.begin(), "sessions");
    words.insert(words.end(), common.begin(), common.end());
    return run_umpire(words, dir / "sessions.log", 60s);
  };
  const auto listed = sessions({"list"});
  EXPECT_EQ(listed.status, 0) << read_text(dir / "sessions.log");
  EXPECT_NE(listed.out.find("1 open app session"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(id + "  version 1"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("UNKNOWN to the journal"), std::string::npos) << listed.out;

  const auto guessed = sessions({"close", id, "--refund"});
  EXPECT_EQ(guessed.status, 1);
  EXPECT_NE(read_text(dir / "sessions.log").find("unknown to the journal: state the refund"), std::string::npos);
  EXPECT_EQ(sessions({"close", id}).status, 2) << "close without --refund is a usage error";

  const auto refunded = sessions({"close", id, "--refund", "--allocations",
                                  alice->address().checksum() + "=1," + bob->address().checksum() + "=1"});
  EXPECT_EQ(refunded.status, 0) << read_text(dir / "sessions.log");
  EXPECT_NE(refunded.out.find("closed " + id), std::string::npos) << refunded.out;
  EXPECT_NE(sessions({"list"}).out.find("0 open app session"), std::string::npos);

  for (const auto& player : {alice, bob}) {
    with_node(url, player, [&](clearnode::ClearNodeClient& node) -> asio::awaitable<void> {
      EXPECT_EQ(usdc_of(co_await node.get_ledger_balances()).to_string(), "1");
    });
  }
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace umpire::testing
