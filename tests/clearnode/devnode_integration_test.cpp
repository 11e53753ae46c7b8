// tests/clearnode/devnode_integration_test.cpp — ClearNodeClient against the real devnode binary
// (`umpire devnode`): lifecycle over ws:// and wss://, and a node killed (SIGKILL) mid-stream and restarted on
// its --db. Skipped while the binary is absent or built without the devnode (env UMPIRE_DEVNODE_BINARY overrides).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "clearnode/clearnode_client.hpp"
#include "crypto/eth_messages.hpp"
#include "fake_clearnode.hpp"  // make_test_certificate

namespace umpire::clearnode {
namespace {

wire::Decimal dec(const std::string& text) { return wire::Decimal::parse(text).value(); }

using namespace std::chrono_literals;
namespace fs = std::filesystem;

fs::path devnode_binary() {
  if (const char* env = std::getenv("UMPIRE_DEVNODE_BINARY")) return env;
  return fs::path(UMPIRE_BINARY_DIR) / "src" / "cli" / "umpire";
}

std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

bool port_open(std::uint16_t port) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

// One `umpire devnode` process; killed with SIGKILL on kill() or destruction.
class DevnodeProcess {
 public:
  DevnodeProcess(std::vector<std::string> args, const fs::path& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const auto fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> argv;
      const auto binary = devnode_binary().string();
      argv.push_back(const_cast<char*>(binary.c_str()));
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~DevnodeProcess() { kill(); }
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  // True once `port` accepts connections; false if the process exited first or 10 s passed.
  bool wait_listening(std::uint16_t port) {
    for (int i = 0; i < 1000; ++i) {
      if (port_open(port)) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
};

class DevnodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(devnode_binary())) GTEST_SKIP() << "no umpire binary at " << devnode_binary();
    dir = fs::temp_directory_path() / ("umpire-clearnode-devnode-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    port = free_port();
  }
  void TearDown() override {
    if (client) {
      run(client->stop());
      client.reset();
    }
    work.reset();
    if (worker.joinable()) worker.join();
    process.reset();
    if (!dir.empty()) fs::remove_all(dir);
  }

  std::vector<std::string> devnode_args(bool tls) {
    // A real node runs with one configured broker key; so does this devnode, across its restarts.
    const auto broker_key = dir / "broker.key";
    if (!fs::exists(broker_key)) crypto::write_key_file(broker_key, crypto::PrivateKey::generate());
    std::vector<std::string> args{"devnode", "--listen", "127.0.0.1:" + std::to_string(port), "--db",
                                  (dir / "devnode.db").string(), "--broker-key-file", broker_key.string()};
    for (const auto& who : {alice, bob}) {
      args.push_back("--fund");
      args.push_back(who->address().checksum() + "=usdc:100");
    }
    if (tls) {
      args.insert(args.end(), {"--tls-cert", cert.string(), "--tls-key", key.string()});
    }
    return args;
  }
  // Starts the devnode; skips the test if this build has no devnode.
  void start_devnode(bool tls) {
    process = std::make_unique<DevnodeProcess>(devnode_args(tls), dir / "devnode.log");
    if (!process->wait_listening(port)) {
      std::ifstream log(dir / "devnode.log");
      const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      if (text.find("not available in this build") != std::string::npos) GTEST_SKIP() << "devnode not built";
      FAIL() << "the devnode did not start listening; its log:\n" << text;
    }
  }
  void connect_client(bool tls) {
    ClientOptions options;
    options.url = std::string(tls ? "wss://localhost:" : "ws://127.0.0.1:") + std::to_string(port) + "/ws";
    if (tls) options.ca_file = cert;
    options.wallet = umpire;
    options.application = "clearnode";
    options.reconnect_initial_delay = 50ms;
    options.reconnect_max_delay = 500ms;
    client = ClearNodeClient::create(io.get_executor(), options);
    client->start();
    worker = std::thread([this] { io.run(); });
    run(client->wait_ready(10s));
  }

  template <class T>
  std::future<T> spawn(asio::awaitable<T> op) {
    return asio::co_spawn(io, std::move(op), asio::use_future);
  }
  template <class T>
  T run(asio::awaitable<T> op) {
    auto future = spawn(std::move(op));
    if (future.wait_for(60s) != std::future_status::ready) {
      ADD_FAILURE() << "operation did not finish within 60 s";
      std::abort();
    }
    return future.get();
  }

  AppDefinition definition(std::uint64_t nonce) const {
    AppDefinition d;
    d.application = "clearnode";
    d.protocol = std::string(kProtocol04);
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
  std::vector<crypto::Signature> players_sign(const PreparedRequest& p) const {
    return {crypto::sign_rpc_payload(*alice, p.payload), crypto::sign_rpc_payload(*bob, p.payload)};
  }
  std::string create(std::uint64_t nonce) {
    auto prepared = client->prepare_create_app_session({definition(nonce), allocations("5", "5"), std::nullopt});
    auto signatures = players_sign(prepared);
    return run(client->submit_prepared(std::move(prepared), signatures)).app_session_id;
  }
  void lifecycle(std::uint64_t nonce) {
    const auto id = create(nonce);
    for (std::uint64_t v = 2; v <= 4; ++v) {
      auto p = client->prepare_submit_app_state(
          {id, allocations(std::to_string(4 + v), std::to_string(6 - v)), "s", Intent::operate, v});
      auto signatures = players_sign(p);
      EXPECT_EQ(run(client->submit_prepared(std::move(p), signatures)).version, v);
    }
    auto close = client->prepare_close_app_session({id, allocations("8", "2"), std::nullopt});
    auto signatures = players_sign(close);
    const auto closed = run(client->submit_prepared(std::move(close), signatures));
    EXPECT_EQ(closed.status, "closed");
    const auto info = run(client->find_app_session(id));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->status, "closed");
    EXPECT_EQ(info->version, 5u);
  }

  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::thread worker;
  fs::path dir;
  fs::path cert;
  fs::path key;
  std::uint16_t port = 0;
  std::unique_ptr<DevnodeProcess> process;
  std::shared_ptr<crypto::KeySigner> umpire = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
  std::shared_ptr<crypto::KeySigner> alice = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
  std::shared_ptr<crypto::KeySigner> bob = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
  std::shared_ptr<ClearNodeClient> client;
};

TEST_F(DevnodeTest, LifecycleOverWs) {
  start_devnode(false);
  if (IsSkipped() || HasFatalFailure()) return;
  connect_client(false);
  lifecycle(1);
}

TEST_F(DevnodeTest, LifecycleOverWss) {
  std::tie(cert, key) = testing::make_test_certificate(dir / "tls");
  start_devnode(true);
  if (IsSkipped() || HasFatalFailure()) return;
  connect_client(true);
  lifecycle(2);
}

TEST_F(DevnodeTest, KilledMidStreamAndRestartedEverySessionEndsAsAsked) {
  start_devnode(false);
  if (IsSkipped() || HasFatalFailure()) return;
  connect_client(false);
  constexpr int kSessions = 4;
  constexpr std::uint64_t kFinal = 6;
  std::vector<std::string> ids;
  for (int s = 0; s < kSessions; ++s) ids.push_back(create(100 + s));
  std::vector<std::future<AppSessionResult>> submits;
  for (const auto& id : ids) {
    for (std::uint64_t v = 2; v <= kFinal; ++v) {
      auto p = client->prepare_submit_app_state({id, allocations("6", "4"), "s", Intent::operate, v});
      auto signatures = players_sign(p);
      submits.push_back(spawn(client->submit_prepared(std::move(p), std::move(signatures))));
    }
  }
  std::this_thread::sleep_for(10ms);  // some are in flight; the test does not depend on how many
  process->kill();
  process.reset();
  start_devnode(false);
  ASSERT_FALSE(HasFatalFailure());
  for (auto& f : submits) {
    ASSERT_EQ(f.wait_for(60s), std::future_status::ready);
    EXPECT_NO_THROW(f.get());
  }
  for (const auto& id : ids) {
    const auto info = run(client->find_app_session(id));
    ASSERT_TRUE(info) << id;
    EXPECT_EQ(info->version, kFinal) << id;
  }
  AppSessionsFilter filter;
  filter.participant = umpire->address().checksum();
  filter.limit = 100;
  EXPECT_EQ(run(client->get_app_sessions(filter)).size(), static_cast<std::size_t>(kSessions)) << "a duplicate?";
  EXPECT_GE(client->stats().connects, 2u);
}

}  // namespace
}  // namespace umpire::clearnode
