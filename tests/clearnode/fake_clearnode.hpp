// tests/clearnode/fake_clearnode.hpp — a small in-test ClearNode for the connector's tests: ws:// or wss://,
// broker-signed replies, the EIP-712/JWT auth flow, app sessions with version/quorum/status rules and the
// protocol's error texts, plus knobs to misbehave (stall, drop around a write, corrupt or reorder replies).
// Runs on its own thread; state survives stop()/start() on the same port, like a node restarted with its database.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/signer.hpp"

namespace umpire::clearnode::testing {

namespace asio = boost::asio;

// How the next reply of a given method is spoiled.
enum class Corruption {
  none,
  bad_signature,
  unsigned_frame,
  malformed_json,
  truncated,
  wrong_method,
  oversized,
  duplicate
};

class FakeClearNode {
 public:
  struct Options {
    std::optional<std::filesystem::path> tls_cert;  // both set: wss://
    std::optional<std::filesystem::path> tls_key;
    std::uint16_t port = 0;  // 0: pick one (kept across restarts)
  };
  struct SessionState {
    nlohmann::json definition;
    std::string status = "open";
    std::uint64_t version = 1;
    std::uint64_t times_created = 0;
    std::vector<std::uint64_t> applied_versions;  // every version reached, in order (duplicates = applied twice)
  };

  explicit FakeClearNode(Options options);
  ~FakeClearNode();

  void start();
  void stop();  // closes the listener and every connection abruptly; keeps the state
  std::uint16_t port() const { return port_; }
  std::string url(std::string_view host = "127.0.0.1") const;
  const crypto::Address& broker_address() const { return broker_.address(); }

  // --- Knobs (thread-safe).
  void set_stalled(bool stalled) { stalled_ = stalled; }
  // The next request of `method`: close the connection without applying / after applying but before answering.
  void drop_before_apply(std::string method);
  void drop_after_apply(std::string method);
  // Counting from now, the n-th request of any method closes the connection, before or after it is applied.
  void drop_at_request(std::uint64_t n, bool after_apply);
  bool drop_armed();  // true while that drop has not happened yet
  // The next reply to `method` (any reply if empty) is spoiled; the request itself is processed normally.
  void corrupt_next(std::string method, Corruption corruption);
  // Hold the next `count` replies and send them in reverse order.
  void reverse_next_replies(std::size_t count) { reverse_batch_ = count; }
  // Sends `frame` as is to every authenticated connection.
  void push_raw(std::string frame);
  // Signs `res_payload` with a key that is not the broker's and pushes it.
  void push_forged_notification(std::string_view method);
  void push_notification(std::string_view method, const nlohmann::json& params);

  // --- Inspection (thread-safe copies).
  std::optional<SessionState> session(const std::string& app_session_id);
  std::size_t session_count();
  std::uint64_t requests_seen(const std::string& method);
  std::size_t connections_accepted() const { return accepted_.load(); }
  std::uint64_t auth_verify_jwt_count() const { return jwt_auths_.load(); }

 private:
  struct Connection;
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<Connection> conn);
  std::vector<std::string> handle(Connection& conn, std::string_view text);
  std::string reply_frame(std::uint64_t id, std::string_view method, const nlohmann::json& params);
  std::string error_frame(std::uint64_t id, std::string_view text);
  std::string spoil(std::string frame, Corruption how, std::uint64_t id);
  std::uint64_t now_ms() const;

  Options options_;
  crypto::KeySigner broker_;
  crypto::KeySigner forger_;
  std::uint16_t port_ = 0;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::thread thread_;
  std::atomic<bool> stalled_{false};
  std::atomic<std::size_t> reverse_batch_{0};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::uint64_t> jwt_auths_{0};

  std::mutex mutex_;  // guards everything below (the server thread and the test thread share it)
  std::vector<std::weak_ptr<Connection>> connections_;
  std::optional<std::string> drop_before_;
  std::optional<std::string> drop_after_;
  std::uint64_t drop_countdown_ = 0;  // 0: disarmed
  bool drop_countdown_after_apply_ = false;
  std::vector<std::pair<std::string, Corruption>> corruptions_;
  std::map<std::string, SessionState> sessions_;
  std::map<std::string, nlohmann::json> challenges_;  // uuid → auth_request params
  std::map<std::string, std::string> jwts_;           // token → wallet
  std::map<std::string, std::string> session_keys_;   // session key → wallet
  std::map<std::string, std::uint64_t> requests_seen_;
  std::vector<std::string> held_replies_;
  std::uint64_t counter_ = 0;
};

// Writes a self-signed certificate for localhost/127.0.0.1 into `dir` with the openssl command.
// Returns {cert, key}; throws std::runtime_error if openssl fails.
std::pair<std::filesystem::path, std::filesystem::path> make_test_certificate(const std::filesystem::path& dir);

}  // namespace umpire::clearnode::testing
