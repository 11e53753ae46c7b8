// tests/clearnode/client_test.cpp — ClearNodeClient against the in-test FakeClearNode: lifecycle with players'
// signatures collected separately (ws:// and wss://), pipelining, reconnect + outcome resolution, silent server,
// hostile replies, stale prepared requests and per-session ordering. Timing uses short configured timeouts only.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "clearnode/clearnode_client.hpp"
#include "crypto/eth_messages.hpp"
#include "fake_clearnode.hpp"

namespace umpire::clearnode {
namespace {

wire::Decimal dec(const std::string& text) { return wire::Decimal::parse(text).value(); }

using namespace std::chrono_literals;
using testing::Corruption;
using testing::FakeClearNode;

std::shared_ptr<crypto::KeySigner> new_signer() {
  return std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
}

class ClientTest : public ::testing::Test {
 protected:
  void TearDown() override { shutdown(); }

  void boot(FakeClearNode::Options node_options = {}, std::function<void(ClientOptions&)> tweak = {}) {
    node = std::make_unique<FakeClearNode>(node_options);
    node->start();
    ClientOptions options;
    options.url = node->url(node_options.tls_cert ? "localhost" : "127.0.0.1");
    options.ca_file = node_options.tls_cert;
    options.wallet = umpire;
    options.application = "clearnode";
    options.call_timeout = 5s;
    options.reconnect_initial_delay = 20ms;
    options.reconnect_max_delay = 200ms;
    options.log = [this](LogLevel, std::string_view line) {
      std::lock_guard lock(log_mutex);
      log_lines.emplace_back(line);
    };
    if (tweak) tweak(options);
    client = ClearNodeClient::create(io.get_executor(), options);
    subscription = client->subscribe([this](const Notification& n) {
      std::lock_guard lock(log_mutex);
      notifications.push_back(n.method);
    });
    client->start();
    worker = std::thread([this] { io.run(); });
    run(client->wait_ready(5s));
  }

  void shutdown() {
    if (client) {
      run(client->stop());
      subscription.reset();
      client.reset();
    }
    work.reset();
    if (worker.joinable()) worker.join();
    if (node) node->stop();
  }

  template <class T>
  std::future<T> spawn(asio::awaitable<T> op) {
    return asio::co_spawn(io, std::move(op), asio::use_future);
  }

  template <class T>
  T run(asio::awaitable<T> op) {
    auto future = spawn(std::move(op));
    if (future.wait_for(30s) != std::future_status::ready) {
      ADD_FAILURE() << "operation did not finish within 30 s";
      std::abort();
    }
    return future.get();
  }

  template <class T>
  ClearNodeError run_error(asio::awaitable<T> op) {
    try {
      run(std::move(op));
    } catch (const ClearNodeError& e) {
      return e;
    }
    ADD_FAILURE() << "expected a ClearNodeError";
    return ClearNodeError(ErrorKind::invalid_argument, "no error");
  }

  // Participants: two players and Umpire; all three needed for quorum (40+40+20 = 100).
  AppDefinition definition(std::string protocol, std::uint64_t nonce) const {
    AppDefinition d;
    d.application = "clearnode";
    d.protocol = std::move(protocol);
    d.participants = {alice->address().checksum(), bob->address().checksum(), umpire->address().checksum()};
    d.weights = {40, 40, 20};
    d.quorum = 100;
    d.challenge = 3600;
    d.nonce = nonce;
    return d;
  }
  std::vector<AppAllocation> allocations(const std::string& a, const std::string& b) const {
    return {{alice->address().checksum(), "usdc", dec(a)},
            {bob->address().checksum(), "usdc", dec(b)},
            {umpire->address().checksum(), "usdc", dec("0")}};
  }
  std::vector<crypto::Signature> players_sign(const PreparedRequest& prepared) const {
    // What each player's client does with the bytes shown to it.
    return {crypto::sign_rpc_payload(*alice, prepared.payload), crypto::sign_rpc_payload(*bob, prepared.payload)};
  }
  std::string create_session(std::string protocol, std::uint64_t nonce) {
    CreateAppSessionParams create;
    create.definition = definition(std::move(protocol), nonce);
    create.allocations = allocations("10", "10");
    auto prepared = client->prepare_create_app_session(create);
    auto signatures = players_sign(prepared);
    const auto result = run(client->submit_prepared(std::move(prepared), signatures));
    EXPECT_EQ(result.version, 1u);
    return result.app_session_id;
  }
  AppSessionResult submit_v(const std::string& id, std::uint64_t version, const std::string& a = "11",
                            const std::string& b = "9") {
    auto prepared = client->prepare_submit_app_state({id, allocations(a, b), "state", Intent::operate, version});
    auto signatures = players_sign(prepared);
    return run(client->submit_prepared(std::move(prepared), signatures));
  }
  std::size_t count_notifications(std::string_view method) {
    std::lock_guard lock(log_mutex);
    return static_cast<std::size_t>(std::count(notifications.begin(), notifications.end(), method));
  }
  void expect_applied_once(const std::string& id, std::uint64_t final_version) {
    const auto state = node->session(id);
    ASSERT_TRUE(state);
    EXPECT_EQ(state->times_created, 1u);
    EXPECT_EQ(state->version, final_version);
    std::vector<std::uint64_t> expected;
    for (std::uint64_t v = 1; v <= final_version; ++v) expected.push_back(v);
    EXPECT_EQ(state->applied_versions, expected) << "a state was applied twice or skipped";
  }

  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::thread worker;
  std::unique_ptr<FakeClearNode> node;
  std::shared_ptr<crypto::KeySigner> umpire = new_signer();
  std::shared_ptr<crypto::KeySigner> alice = new_signer();
  std::shared_ptr<crypto::KeySigner> bob = new_signer();
  std::shared_ptr<ClearNodeClient> client;
  Subscription subscription;
  std::mutex log_mutex;
  std::vector<std::string> log_lines;
  std::vector<std::string> notifications;
};

// The server runs the client on a loop of its own, whose io_context it hands over as the executor's owner. The
// client's coroutines hold it by shared_from_this(); a pending one may be the last to let go (at shutdown, when the
// main loop destroys its queued operations), and the context must still be there when the client's strand goes.
TEST(ClientLifetime, TheExecutorsOwnerIsLetGoOnlyAfterTheLastReferenceIncludingSharedFromThis) {
  auto loop_io = std::make_shared<asio::io_context>();
  const std::weak_ptr<asio::io_context> watched = loop_io;
  ClientOptions options;
  options.url = "ws://127.0.0.1:9/ws";
  options.wallet = new_signer();
  auto client = ClearNodeClient::create(loop_io->get_executor(), options, loop_io);
  auto held_by_a_coroutine = client->shared_from_this();
  loop_io.reset();
  client.reset();  // the owner's reference (the Server's, at shutdown) goes first
  EXPECT_FALSE(watched.expired()) << "the io_context went while a reference to the client remained";
  held_by_a_coroutine.reset();
  EXPECT_TRUE(watched.expired()) << "the io_context outlived the client's last reference";
}

TEST_F(ClientTest, LifecycleWithPlayersSignaturesOverWs) {
  boot();
  const auto id = create_session(std::string(kProtocol04), 1);
  for (std::uint64_t v = 2; v <= 6; ++v) EXPECT_EQ(submit_v(id, v).version, v);
  auto close = client->prepare_close_app_session({id, allocations("12", "8"), std::nullopt});
  auto signatures = players_sign(close);
  const auto closed = run(client->submit_prepared(std::move(close), signatures));
  EXPECT_EQ(closed.status, "closed");
  EXPECT_EQ(closed.version, 7u);
  expect_applied_once(id, 7);
  EXPECT_EQ(node->session(id)->status, "closed");
  EXPECT_EQ(count_notifications("asu"), 5u);
  EXPECT_GE(count_notifications("assets"), 1u);
  EXPECT_GE(count_notifications("channels"), 1u);
  EXPECT_EQ(client->broker_address(), node->broker_address().checksum());
  EXPECT_EQ(client->stats().bad_signature_frames, 0u);
  // No line ever carries the JWT in full.
  std::lock_guard lock(log_mutex);
  for (const auto& line : log_lines) EXPECT_EQ(line.find(".sig"), std::string::npos) << line;
}

TEST_F(ClientTest, LifecycleOverWssWithATestCertificate) {
  const auto dir = std::filesystem::temp_directory_path() / ("umpire-clearnode-tls-" + std::to_string(::getpid()));
  const auto [cert, key] = testing::make_test_certificate(dir);
  FakeClearNode::Options options;
  options.tls_cert = cert;
  options.tls_key = key;
  boot(options);
  const auto id = create_session(std::string(kProtocol04), 2);
  for (std::uint64_t v = 2; v <= 4; ++v) EXPECT_EQ(submit_v(id, v).version, v);
  auto close = client->prepare_close_app_session({id, allocations("10", "10"), std::nullopt});
  auto signatures = players_sign(close);
  EXPECT_EQ(run(client->submit_prepared(std::move(close), signatures)).status, "closed");
  expect_applied_once(id, 5);
  std::filesystem::remove_all(dir);
}

TEST_F(ClientTest, WssRefusesAnUntrustedCertificate) {
  const auto dir = std::filesystem::temp_directory_path() / ("umpire-clearnode-tls2-" + std::to_string(::getpid()));
  const auto [cert, key] = testing::make_test_certificate(dir);
  node = std::make_unique<FakeClearNode>(FakeClearNode::Options{cert, key, 0});
  node->start();
  ClientOptions options;
  options.url = node->url("localhost");  // no ca_file: the self-signed certificate is not trusted
  options.wallet = umpire;
  options.reconnect_initial_delay = 20ms;
  client = ClearNodeClient::create(io.get_executor(), options);
  client->start();
  worker = std::thread([this] { io.run(); });
  const auto error = run_error(client->wait_ready(500ms));
  EXPECT_EQ(error.kind(), ErrorKind::timeout);
  EXPECT_NE(std::string(error.what()).find("certificate"), std::string::npos) << error.what();
  std::filesystem::remove_all(dir);
}

TEST_F(ClientTest, TypedCallsSignedByUmpireAloneWithNitroRpc02) {
  boot();
  CreateAppSessionParams create;
  create.definition = definition(std::string(kProtocol02), 3);
  create.definition.weights = {0, 0, 100};
  create.allocations = allocations("0", "0");
  const auto created = run(client->create_app_session(create));
  for (int i = 0; i < 3; ++i) {
    const auto r = run(client->submit_app_state({created.app_session_id, allocations("0", "0"), "s", {}, {}}));
    EXPECT_EQ(r.version, 2u + i);
  }
  EXPECT_EQ(run(client->close_app_session({created.app_session_id, allocations("0", "0"), {}})).status, "closed");
  expect_applied_once(created.app_session_id, 5);
  // Reads.
  EXPECT_EQ(run(client->get_app_definition(created.app_session_id)).quorum, 100u);
  EXPECT_EQ(run(client->get_assets()).at(0).symbol, "usdc");
  EXPECT_EQ(run(client->get_ledger_balances()).at(0).amount.to_string(), "100");
  EXPECT_EQ(run(client->get_config()).broker_address, node->broker_address().checksum());
  run(client->ping());
  AppSessionsFilter filter;
  filter.participant = umpire->address().checksum();
  EXPECT_EQ(run(client->get_app_sessions(filter)).size(), 1u);
  EXPECT_EQ(run(client->find_app_session(created.app_session_id))->status, "closed");
}

TEST_F(ClientTest, RemoteErrorsKeepTheNodesTextVerbatim) {
  boot();
  const auto id = create_session(std::string(kProtocol04), 4);
  auto prepared = client->prepare_submit_app_state({id, allocations("10", "10"), {}, Intent::operate, 1});
  auto signatures = players_sign(prepared);
  const auto error = run_error(client->submit_prepared(std::move(prepared), signatures));
  EXPECT_EQ(error.kind(), ErrorKind::remote_error);
  EXPECT_EQ(std::string(error.what()), "incorrect app state: incorrect version: expected 2, got 1");
  // A version beyond the next one waits for the ones before it, and says so when its deadline passes.
  auto ahead = client->prepare_submit_app_state({id, allocations("10", "10"), {}, Intent::operate, 5});
  CallOptions quick;
  quick.timeout = 200ms;
  const auto waited = run_error(client->submit_prepared(ahead, players_sign(ahead), true, quick));
  EXPECT_EQ(waited.kind(), ErrorKind::timeout);
  EXPECT_NE(std::string(waited.what()).find("version 5 waited for versions after 1"), std::string::npos)
      << waited.what();
  EXPECT_EQ(node->requests_seen("submit_app_state"), 1u);
  const auto unknown = run_error(client->call("no_such_method", {}));
  EXPECT_EQ(std::string(unknown.what()), "unknown method: no_such_method");
}

TEST_F(ClientTest, ReconnectUsesTheJwtUntilItExpiresThenAuthenticatesAgain) {
  std::atomic<std::int64_t> skew_ms{0};
  boot({}, [&skew_ms](ClientOptions& o) {
    o.now_ms = [&skew_ms] {
      return static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count() +
          skew_ms.load());
    };
  });
  EXPECT_EQ(client->stats().full_auths, 1u);
  node->drop_at_request(1, false);
  run(client->ping());  // cut, reconnected, asked again
  EXPECT_EQ(client->stats().full_auths, 1u);
  EXPECT_EQ(client->stats().jwt_auths, 1u);
  skew_ms = 25LL * 3600 * 1000;  // the JWT (24 h) and the generated session key (24 h) have expired
  node->drop_at_request(1, false);
  run(client->ping());
  EXPECT_EQ(client->stats().full_auths, 2u);
  EXPECT_EQ(client->stats().jwt_auths, 1u);
  // Private calls work with the new session key.
  CreateAppSessionParams create;
  create.definition = definition(std::string(kProtocol02), 77);
  create.definition.weights = {0, 0, 100};
  create.allocations = allocations("0", "0");
  EXPECT_EQ(run(client->create_app_session(create)).version, 1u);
}

TEST_F(ClientTest, TheWalletItselfCanBeTheSessionKey) {
  boot({}, [this](ClientOptions& o) { o.session_key = umpire; });
  CreateAppSessionParams create;
  create.definition = definition(std::string(kProtocol04), 78);
  create.definition.weights = {0, 0, 100};
  create.allocations = allocations("0", "0");
  const auto id = run(client->create_app_session(create)).app_session_id;
  EXPECT_EQ(run(client->submit_app_state({id, allocations("0", "0"), {}, Intent::operate, 2})).version, 2u);
}

TEST_F(ClientTest, AThousandRequestsInFlightCompleteCorrectly) {
  boot({}, [](ClientOptions& o) { o.max_in_flight = 1024; });
  const auto id = create_session(std::string(kProtocol04), 5);
  std::vector<std::future<nlohmann::json>> calls;
  for (int i = 0; i < 1000; ++i) {
    if (i % 2 == 0) {
      calls.push_back(spawn(client->call("ping", nlohmann::json::object())));
    } else {
      calls.push_back(spawn(client->call("get_app_definition", {{"app_session_id", id}})));
    }
  }
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(calls[i].wait_for(30s), std::future_status::ready);
    const auto reply = calls[i].get();
    if (i % 2 == 0) {
      EXPECT_TRUE(reply.is_null());
    } else {
      EXPECT_EQ(reply.at("nonce"), 5);
    }
  }
  EXPECT_EQ(node->requests_seen("ping") >= 500u, true);
  EXPECT_EQ(client->stats().unmatched_responses, 0u);
}

TEST_F(ClientTest, InFlightCapQueuesTheRest) {
  boot({}, [](ClientOptions& o) { o.max_in_flight = 4; });
  std::vector<std::future<nlohmann::json>> calls;
  for (int i = 0; i < 200; ++i) calls.push_back(spawn(client->call("ping", nlohmann::json::object())));
  for (auto& c : calls) EXPECT_TRUE(c.get().is_null());
}

TEST_F(ClientTest, CallsBeyondTheWaitingCapAreRefusedAsOverloaded) {
  boot({}, [](ClientOptions& o) {
    o.max_in_flight = 1;
    o.max_waiting_calls = 2;
  });
  node->set_stalled(true);
  CallOptions quick;
  quick.timeout = 300ms;
  std::vector<std::future<NodeConfig>> calls;
  for (int i = 0; i < 4; ++i) calls.push_back(spawn(client->get_config(quick)));
  std::size_t overloaded = 0;
  for (auto& c : calls) {
    try {
      c.get();
    } catch (const ClearNodeError& e) {
      if (e.kind() == ErrorKind::overloaded) ++overloaded;
    }
  }
  EXPECT_EQ(overloaded, 1u);  // one in flight, two waiting, the fourth refused
  node->set_stalled(false);
}

TEST_F(ClientTest, APinnedBrokerThatDoesNotMatchIsRefused) {
  node = std::make_unique<FakeClearNode>(FakeClearNode::Options{});
  node->start();
  ClientOptions options;
  options.url = node->url();
  options.wallet = umpire;
  options.expected_broker_address = alice->address().checksum();  // not the node's broker
  options.reconnect_initial_delay = 20ms;
  client = ClearNodeClient::create(io.get_executor(), options);
  client->start();
  worker = std::thread([this] { io.run(); });
  const auto error = run_error(client->wait_ready(300ms));
  EXPECT_EQ(error.kind(), ErrorKind::timeout);
  EXPECT_GE(client->stats().bad_signature_frames, 1u) << error.what();
  EXPECT_NE(std::string(error.what()).find("not signed by broker " + alice->address().checksum()), std::string::npos)
      << error.what();
}

TEST_F(ClientTest, ReorderedRepliesAreMatchedById) {
  boot();
  node->reverse_next_replies(8);
  std::vector<std::future<NodeConfig>> calls;
  for (int i = 0; i < 8; ++i) calls.push_back(spawn(client->get_config()));
  for (auto& c : calls) EXPECT_EQ(c.get().broker_address, node->broker_address().checksum());
}

TEST_F(ClientTest, DroppedAfterApplyIsResolvedNotRepeated) {
  boot();
  const auto id = create_session(std::string(kProtocol04), 6);
  node->drop_after_apply("submit_app_state");
  const auto r = submit_v(id, 2);
  EXPECT_EQ(r.version, 2u);
  EXPECT_TRUE(r.resolved_after_disconnect);
  EXPECT_EQ(node->requests_seen("submit_app_state"), 1u);
  EXPECT_EQ(submit_v(id, 3).version, 3u);
  expect_applied_once(id, 3);
  EXPECT_GE(client->stats().resolved_outcomes, 1u);
  EXPECT_GE(node->auth_verify_jwt_count(), 1u) << "the reconnect should re-authenticate with the JWT";
}

TEST_F(ClientTest, DroppedBeforeApplyIsSentAgain) {
  boot();
  const auto id = create_session(std::string(kProtocol04), 7);
  node->drop_before_apply("submit_app_state");
  const auto r = submit_v(id, 2);
  EXPECT_EQ(r.version, 2u);
  EXPECT_EQ(node->requests_seen("submit_app_state"), 2u);
  expect_applied_once(id, 2);
}

TEST_F(ClientTest, CreateAndCloseLostToADropAreResolved) {
  boot();
  node->drop_after_apply("create_app_session");
  const auto id = create_session(std::string(kProtocol04), 8);
  EXPECT_EQ(node->requests_seen("create_app_session"), 1u);
  node->drop_after_apply("close_app_session");
  auto close = client->prepare_close_app_session({id, allocations("10", "10"), std::nullopt});
  auto signatures = players_sign(close);
  const auto closed = run(client->submit_prepared(std::move(close), signatures));
  EXPECT_EQ(closed.status, "closed");
  EXPECT_TRUE(closed.resolved_after_disconnect);
  expect_applied_once(id, 2);
}

TEST_F(ClientTest, NitroRpc02SubmitLostToADropIsResolvedByVersion) {
  boot();
  CreateAppSessionParams create;
  create.definition = definition(std::string(kProtocol02), 9);
  create.definition.weights = {0, 0, 100};
  create.allocations = allocations("0", "0");
  const auto id = run(client->create_app_session(create)).app_session_id;
  node->drop_after_apply("submit_app_state");
  EXPECT_EQ(run(client->submit_app_state({id, allocations("0", "0"), "x", {}, {}})).version, 2u);
  node->drop_before_apply("submit_app_state");
  EXPECT_EQ(run(client->submit_app_state({id, allocations("0", "0"), "y", {}, {}})).version, 3u);
  expect_applied_once(id, 3);
}

// doFailLoop style: the link is cut at the 1st, 2nd, 3rd… request of a whole lifecycle (reconnect handshakes
// and outcome-resolution reads included), before and after the node applies it, until a run passes untouched.
TEST_F(ClientTest, LifecycleSurvivesALinkCutAtEveryStep) {
  boot();
  std::uint64_t nonce = 1000;
  for (const bool after_apply : {false, true}) {
    bool untouched = false;
    for (std::uint64_t step = 1; step < 60 && !untouched; ++step) {
      SCOPED_TRACE("cut at request " + std::to_string(step) + (after_apply ? " after apply" : " before apply"));
      node->drop_at_request(step, after_apply);
      const auto id = create_session(std::string(kProtocol04), ++nonce);
      for (std::uint64_t v = 2; v <= 4; ++v) EXPECT_EQ(submit_v(id, v).version, v);
      auto close = client->prepare_close_app_session({id, allocations("12", "8"), std::nullopt});
      auto signatures = players_sign(close);
      EXPECT_EQ(run(client->submit_prepared(std::move(close), signatures)).status, "closed");
      expect_applied_once(id, 5);
      untouched = node->drop_armed();
      node->drop_at_request(0, false);
    }
    EXPECT_TRUE(untouched) << "the loop never reached a run without a cut";
  }
  EXPECT_GE(client->stats().connects, 10u);
  EXPECT_GE(client->stats().resolved_outcomes, 3u);
}

TEST_F(ClientTest, NodeRestartedMidStreamEverySessionEndsAsAsked) {
  boot();
  constexpr int kSessions = 6;
  constexpr std::uint64_t kFinalVersion = 6;
  std::vector<std::string> ids;
  for (int s = 0; s < kSessions; ++s) ids.push_back(create_session(std::string(kProtocol04), 100 + s));
  // Every session gets versions 2..6 submitted at once; the node is killed and restarted in the middle.
  std::vector<std::future<AppSessionResult>> submits;
  for (const auto& id : ids) {
    for (std::uint64_t v = 2; v <= kFinalVersion; ++v) {
      auto prepared = client->prepare_submit_app_state({id, allocations("11", "9"), "s", Intent::operate, v});
      auto signatures = players_sign(prepared);
      submits.push_back(spawn(client->submit_prepared(std::move(prepared), std::move(signatures))));
    }
  }
  std::this_thread::sleep_for(5ms);  // let some go out; the test does not depend on how many
  node->stop();
  std::this_thread::sleep_for(100ms);
  node->start();
  for (auto& f : submits) {
    ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
    f.get();
  }
  for (const auto& id : ids) expect_applied_once(id, kFinalVersion);
  EXPECT_EQ(node->session_count(), static_cast<std::size_t>(kSessions));
  EXPECT_GE(client->stats().connects, 2u);
}

TEST_F(ClientTest, SilentServerTimesOutAndTheClientRecovers) {
  boot({}, [](ClientOptions& o) { o.ping_interval = 60s; });
  node->set_stalled(true);
  CallOptions quick;
  quick.timeout = 200ms;
  const auto error = run_error(client->get_config(quick));
  EXPECT_EQ(error.kind(), ErrorKind::timeout);
  EXPECT_NE(std::string(error.what()).find("no answer to get_config"), std::string::npos) << error.what();
  EXPECT_NE(std::string(error.what()).find("outcome is unknown"), std::string::npos) << error.what();
  node->set_stalled(false);
  EXPECT_EQ(run(client->get_config()).broker_address, node->broker_address().checksum());
}

TEST_F(ClientTest, UnansweredPingsDropTheLinkAndTheClientReconnects) {
  boot({}, [](ClientOptions& o) {
    o.ping_interval = 50ms;
    o.ping_timeout = 100ms;
    o.call_timeout = 300ms;  // also bounds the handshake calls of each reconnect attempt
  });
  node->set_stalled(true);
  for (int i = 0; i < 500 && client->stats().connects < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_GE(client->stats().connects, 2u) << "an unanswered ping should have dropped and re-made the link";
  node->set_stalled(false);
  CallOptions patient;
  patient.timeout = 5s;
  EXPECT_EQ(run(client->get_config(patient)).broker_address, node->broker_address().checksum());
}

TEST_F(ClientTest, BadlySignedRepliesAndNotificationsAreDroppedAndCounted) {
  boot();
  CallOptions quick;
  quick.timeout = 300ms;
  node->corrupt_next("get_config", Corruption::bad_signature);
  EXPECT_EQ(run_error(client->get_config(quick)).kind(), ErrorKind::timeout);
  node->corrupt_next("get_config", Corruption::unsigned_frame);
  EXPECT_EQ(run_error(client->get_config(quick)).kind(), ErrorKind::timeout);
  EXPECT_EQ(client->stats().bad_signature_frames, 2u);
  const auto before = count_notifications("bu");
  node->push_forged_notification("bu");
  node->push_notification("tr", {{"transactions", nlohmann::json::array()}});
  run(client->ping());
  for (int i = 0; i < 100 && count_notifications("tr") == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(count_notifications("tr"), 1u);
  EXPECT_EQ(count_notifications("bu"), before);
  EXPECT_EQ(client->stats().bad_signature_frames, 3u);
  EXPECT_EQ(run(client->get_config()).broker_address, node->broker_address().checksum());
}

TEST_F(ClientTest, NotificationsNobodyListensToAreDroppedUnreadAndListenedOnesAreStillVerified) {
  boot();
  run(client->ping());   // the node's own notifications after authentication (channels, bu) are in by the pong
  subscription.reset();  // no subscriber left
  const auto before = client->stats();
  node->push_forged_notification("bu");
  node->push_notification("tr", {{"transactions", nlohmann::json::array()}});
  run(client->ping());  // the node sends in order: both notifications are in before the pong
  const auto unread = client->stats();
  EXPECT_EQ(unread.notifications_unread, before.notifications_unread + 2);
  EXPECT_EQ(unread.notifications, before.notifications);
  EXPECT_EQ(unread.bad_signature_frames, before.bad_signature_frames) << "an unread frame is not checked";

  subscription = client->subscribe([this](const Notification& n) {
    std::lock_guard lock(log_mutex);
    notifications.push_back(n.method);
  });
  node->push_forged_notification("bu");
  node->push_notification("tr", {{"transactions", nlohmann::json::array()}});
  run(client->ping());
  EXPECT_EQ(client->stats().bad_signature_frames, before.bad_signature_frames + 1);
  EXPECT_EQ(count_notifications("tr"), 1u);
  EXPECT_EQ(client->stats().notifications_unread, unread.notifications_unread);
}

TEST_F(ClientTest, MalformedTruncatedWrongAndDuplicateRepliesGiveClearOutcomes) {
  boot();
  CallOptions quick;
  quick.timeout = 300ms;
  node->corrupt_next("get_config", Corruption::malformed_json);
  EXPECT_EQ(run_error(client->get_config(quick)).kind(), ErrorKind::timeout);
  node->corrupt_next("get_config", Corruption::truncated);
  EXPECT_EQ(run_error(client->get_config(quick)).kind(), ErrorKind::timeout);
  EXPECT_EQ(client->stats().malformed_frames, 2u);
  node->corrupt_next("get_config", Corruption::wrong_method);
  const auto wrong = run_error(client->get_config(quick));
  EXPECT_EQ(wrong.kind(), ErrorKind::protocol_violation);
  node->corrupt_next("get_config", Corruption::duplicate);
  run(client->get_config());
  run(client->ping());
  EXPECT_EQ(client->stats().unmatched_responses, 1u);
}

TEST_F(ClientTest, OversizedReplyDropsTheLinkAndTheClientReconnects) {
  boot({}, [](ClientOptions& o) { o.max_frame_bytes = 64 * 1024; });
  node->corrupt_next("get_config", Corruption::oversized);
  // The frame cap drops the link; a read is safe to repeat, so it is asked again on the next link.
  EXPECT_EQ(run(client->get_config()).broker_address, node->broker_address().checksum());
  EXPECT_GE(client->stats().connects, 2u);
  std::lock_guard lock(log_mutex);
  EXPECT_TRUE(std::any_of(log_lines.begin(), log_lines.end(),
                          [](const std::string& line) { return line.find("read failed") != std::string::npos; }));
}

TEST_F(ClientTest, StalePreparedRequestIsRefusedAndNotSent) {
  std::atomic<std::int64_t> skew_ms{0};
  boot({}, [&skew_ms](ClientOptions& o) {
    o.max_prepared_age = 30s;
    o.now_ms = [&skew_ms] {
      return static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count() +
          skew_ms.load());
    };
  });
  const auto id = create_session(std::string(kProtocol04), 10);
  auto prepared = client->prepare_submit_app_state({id, allocations("11", "9"), {}, Intent::operate, 2});
  auto signatures = players_sign(prepared);
  skew_ms = 31'000;  // the players took 31 s to sign
  const auto error = run_error(client->submit_prepared(prepared, signatures));
  EXPECT_EQ(error.kind(), ErrorKind::stale_request);
  EXPECT_NE(std::string(error.what()).find("prepare it again"), std::string::npos) << error.what();
  EXPECT_EQ(node->requests_seen("submit_app_state"), 0u);
  // Re-prepared and re-signed, it goes through.
  EXPECT_EQ(submit_v(id, 2).version, 2u);
}

TEST_F(ClientTest, SubmitsForOneSessionGoOutInVersionOrder) {
  boot();
  const auto id = create_session(std::string(kProtocol04), 11);
  std::vector<PreparedRequest> prepared;
  for (std::uint64_t v = 2; v <= 9; ++v) {
    prepared.push_back(client->prepare_submit_app_state({id, allocations("11", "9"), {}, Intent::operate, v}));
  }
  std::reverse(prepared.begin(), prepared.end());  // handed in backwards
  std::vector<std::future<AppSessionResult>> futures;
  for (auto& p : prepared) futures.push_back(spawn(client->submit_prepared(p, players_sign(p))));
  for (auto& f : futures) f.get();
  expect_applied_once(id, 9);
}

TEST_F(ClientTest, AFailedSubmitStopsTheOnesQueuedBehindIt) {
  boot();
  const auto id = create_session(std::string(kProtocol04), 12);
  auto v2 = client->prepare_submit_app_state({id, allocations("11", "9"), {}, Intent::operate, 2});
  auto v3 = client->prepare_submit_app_state({id, allocations("12", "8"), {}, Intent::operate, 3});
  auto v4 = client->prepare_submit_app_state({id, allocations("13", "7"), {}, Intent::operate, 4});
  // v2 carries only Alice's signature: 40 + 20 < 100, the node refuses it.
  std::vector<crypto::Signature> alice_only{crypto::sign_rpc_payload(*alice, v2.payload)};
  auto f2 = spawn(client->submit_prepared(v2, alice_only));
  auto f3 = spawn(client->submit_prepared(v3, players_sign(v3)));
  auto f4 = spawn(client->submit_prepared(v4, players_sign(v4)));
  try {
    f2.get();
    FAIL();
  } catch (const ClearNodeError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::remote_error);
    EXPECT_EQ(std::string(e.what()), "incorrect submit_state request: quorum not reached: 60 / 100");
  }
  for (auto* f : {&f3, &f4}) {
    try {
      f->get();
      FAIL();
    } catch (const ClearNodeError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::earlier_request_failed);
      EXPECT_NE(std::string(e.what()).find("quorum not reached"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(node->requests_seen("submit_app_state"), 1u);
  expect_applied_once(id, 1);
  // The session is usable again afterwards.
  EXPECT_EQ(submit_v(id, 2).version, 2u);
}

TEST_F(ClientTest, CallsBeforeTheLinkIsUpWaitAndStopFailsThemCleanly) {
  node = std::make_unique<FakeClearNode>(FakeClearNode::Options{});
  node->start();
  const auto port = node->port();
  node->stop();  // nothing listens yet
  ClientOptions options;
  options.url = "ws://127.0.0.1:" + std::to_string(port) + "/ws";
  options.wallet = umpire;
  options.reconnect_initial_delay = 20ms;
  options.reconnect_max_delay = 50ms;
  client = ClearNodeClient::create(io.get_executor(), options);
  client->start();
  worker = std::thread([this] { io.run(); });
  auto early = spawn(client->get_config());
  node = std::make_unique<FakeClearNode>(FakeClearNode::Options{{}, {}, port});
  node->start();
  EXPECT_EQ(early.get().broker_address, node->broker_address().checksum());
  node->set_stalled(true);
  auto hanging = spawn(client->get_config());
  std::this_thread::sleep_for(20ms);
  run(client->stop());
  try {
    hanging.get();
    FAIL();
  } catch (const ClearNodeError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::shut_down);
  }
}

}  // namespace
}  // namespace umpire::clearnode
