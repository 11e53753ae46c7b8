// tests/clearnode/fake_clearnode.cpp — see the header. One io_context thread; a reader and a writer coroutine
// per connection; every frame out is signed by the broker key unless a knob says otherwise.
#include "fake_clearnode.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <variant>

#include "clearnode/app_session_types.hpp"
#include "clearnode/rpc_frame.hpp"
#include "crypto/eth_messages.hpp"
#include "crypto/keccak.hpp"
#include "wire/envelope.hpp"

namespace umpire::clearnode::testing {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

struct FakeClearNode::Connection {
  using Plain = websocket::stream<beast::tcp_stream>;
  using Tls = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
  std::variant<std::unique_ptr<Plain>, std::unique_ptr<Tls>> ws;
  std::deque<std::string> outbox;
  std::unique_ptr<asio::steady_timer> wake;
  std::string wallet;  // set once authenticated
  bool closed = false;

  void close() {
    closed = true;
    std::visit(
        [](auto& s) {
          boost::system::error_code ignored;
          beast::get_lowest_layer(*s).socket().close(ignored);
        },
        ws);
    wake->cancel();
  }
  void send(std::string frame) {
    outbox.push_back(std::move(frame));
    wake->cancel();
  }
};

namespace {

std::string base64url(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

bool is_private(std::string_view method) {
  return method == "create_app_session" || method == "submit_app_state" || method == "close_app_session" ||
         method == "get_ledger_balances" || method == "transfer";
}

nlohmann::json session_reply(const std::string& id, const std::string& status, std::uint64_t version) {
  return {{"app_session_id", id}, {"application", ""}, {"status", status},   {"participants", nullptr},
          {"protocol", ""},       {"challenge", 0},    {"weights", nullptr}, {"quorum", 0},
          {"version", version},   {"nonce", 0},        {"created_at", ""},   {"updated_at", ""}};
}

}  // namespace

FakeClearNode::FakeClearNode(Options options)
    : options_(std::move(options)),
      broker_(crypto::PrivateKey::generate()),
      forger_(crypto::PrivateKey::generate()),
      port_(options_.port) {
  if (options_.tls_cert && options_.tls_key) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->use_certificate_chain_file(options_.tls_cert->string());
    tls_->use_private_key_file(options_.tls_key->string(), asio::ssl::context::pem);
  }
}

FakeClearNode::~FakeClearNode() { stop(); }

std::string FakeClearNode::url(std::string_view host) const {
  return std::string(tls_ ? "wss://" : "ws://") + std::string(host) + ":" + std::to_string(port_) + "/ws";
}

std::uint64_t FakeClearNode::now_ms() const {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

void FakeClearNode::start() {
  io_ = std::make_unique<asio::io_context>();
  acceptor_ = std::make_unique<tcp::acceptor>(*io_);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port_);
  acceptor_->open(endpoint.protocol());
  acceptor_->set_option(asio::socket_base::reuse_address(true));
  acceptor_->bind(endpoint);
  acceptor_->listen();
  port_ = acceptor_->local_endpoint().port();
  asio::co_spawn(*io_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { io_->run(); });
}

void FakeClearNode::stop() {
  if (!io_) return;
  io_->stop();  // abrupt, like a killed process: nothing more is written
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(mutex_);
    connections_.clear();
    held_replies_.clear();
  }
  // Destroying the io_context destroys the suspended coroutines and with them the sockets.
  acceptor_.reset();
  io_.reset();
}

void FakeClearNode::drop_before_apply(std::string method) {
  std::lock_guard lock(mutex_);
  drop_before_ = std::move(method);
}

void FakeClearNode::drop_after_apply(std::string method) {
  std::lock_guard lock(mutex_);
  drop_after_ = std::move(method);
}

void FakeClearNode::drop_at_request(std::uint64_t n, bool after_apply) {
  std::lock_guard lock(mutex_);
  drop_countdown_ = n;
  drop_countdown_after_apply_ = after_apply;
}

bool FakeClearNode::drop_armed() {
  std::lock_guard lock(mutex_);
  return drop_countdown_ != 0;
}

void FakeClearNode::corrupt_next(std::string method, Corruption corruption) {
  std::lock_guard lock(mutex_);
  corruptions_.emplace_back(std::move(method), corruption);
}

void FakeClearNode::push_raw(std::string frame) {
  asio::post(*io_, [this, frame = std::move(frame)] {
    std::lock_guard lock(mutex_);
    for (auto& weak : connections_) {
      if (auto conn = weak.lock(); conn && !conn->wallet.empty()) conn->send(frame);
    }
  });
}

void FakeClearNode::push_notification(std::string_view method, const nlohmann::json& params) {
  push_raw(reply_frame(0, method, params));
}

void FakeClearNode::push_forged_notification(std::string_view method) {
  const auto payload = build_payload(0, method, {{"balance_updates", nlohmann::json::array()}}, now_ms());
  const std::string sig = crypto::sign_rpc_payload(forger_, payload).to_hex();
  push_raw("{\"res\":" + payload + ",\"sig\":[\"" + sig + "\"]}");
}

std::optional<FakeClearNode::SessionState> FakeClearNode::session(const std::string& app_session_id) {
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(app_session_id);
  if (it == sessions_.end()) return std::nullopt;
  return it->second;
}

std::size_t FakeClearNode::session_count() {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::uint64_t FakeClearNode::requests_seen(const std::string& method) {
  std::lock_guard lock(mutex_);
  return requests_seen_[method];
}

asio::awaitable<void> FakeClearNode::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_->async_accept(asio::as_tuple(use_awaitable));
    if (ec) co_return;
    ++accepted_;
    auto conn = std::make_shared<Connection>();
    conn->wake = std::make_unique<asio::steady_timer>(*io_, asio::steady_timer::time_point::max());
    if (tls_) {
      conn->ws = std::make_unique<Connection::Tls>(std::move(socket), *tls_);
    } else {
      conn->ws = std::make_unique<Connection::Plain>(std::move(socket));
    }
    {
      std::lock_guard lock(mutex_);
      connections_.push_back(conn);
    }
    asio::co_spawn(*io_, serve(conn), asio::detached);
  }
}

asio::awaitable<void> FakeClearNode::serve(std::shared_ptr<Connection> conn) {
  try {
    if (auto* tls = std::get_if<std::unique_ptr<Connection::Tls>>(&conn->ws)) {
      co_await (*tls)->next_layer().async_handshake(asio::ssl::stream_base::server, use_awaitable);
    }
    co_await std::visit(
        [](auto& ws) {
          ws->read_message_max(64u << 20);
          return ws->async_accept(use_awaitable);
        },
        conn->ws);
    // The writer: one write at a time, in queue order.
    asio::co_spawn(
        *io_,
        [conn]() -> asio::awaitable<void> {
          try {
            while (!conn->closed) {
              if (conn->outbox.empty()) {
                conn->wake->expires_at(asio::steady_timer::time_point::max());
                co_await conn->wake->async_wait(asio::as_tuple(use_awaitable));
                continue;
              }
              auto frame = std::move(conn->outbox.front());
              conn->outbox.pop_front();
              co_await std::visit(
                  [&frame](auto& ws) {
                    ws->text(true);
                    return ws->async_write(asio::buffer(frame), use_awaitable);
                  },
                  conn->ws);
            }
          } catch (const std::exception&) {
          }
        },
        asio::detached);
    conn->send(reply_frame(0, "assets", {{"assets", nlohmann::json::array()}}));
    beast::flat_buffer buffer;
    for (;;) {
      buffer.clear();
      co_await std::visit([&buffer](auto& ws) { return ws->async_read(buffer, use_awaitable); }, conn->ws);
      const auto frames = handle(*conn, beast::buffers_to_string(buffer.cdata()));
      if (conn->closed) co_return;
      for (const auto& f : frames) conn->send(f);
    }
  } catch (const std::exception&) {
    conn->closed = true;
    if (conn->wake) conn->wake->cancel();
  }
}

std::string FakeClearNode::reply_frame(std::uint64_t id, std::string_view method, const nlohmann::json& params) {
  const auto payload = build_payload(id, method, params, now_ms());
  return "{\"res\":" + payload + ",\"sig\":[\"" + crypto::sign_rpc_payload(broker_, payload).to_hex() + "\"]}";
}

std::string FakeClearNode::error_frame(std::uint64_t id, std::string_view text) {
  return reply_frame(id, "error", {{"error", std::string(text)}});
}

std::string FakeClearNode::spoil(std::string frame, Corruption how, std::uint64_t id) {
  switch (how) {
    case Corruption::none:
      return frame;
    case Corruption::bad_signature: {
      const auto raw = std::string(wire::find_top_level_member(frame, "res").value());
      return "{\"res\":" + raw + ",\"sig\":[\"" + crypto::sign_rpc_payload(forger_, raw).to_hex() + "\"]}";
    }
    case Corruption::unsigned_frame:
      return "{\"res\":" + std::string(wire::find_top_level_member(frame, "res").value()) + "}";
    case Corruption::malformed_json:
      return "{\"res\":[" + std::to_string(id) + ",\"oops\",{}";
    case Corruption::truncated:
      return frame.substr(0, frame.size() / 2);
    case Corruption::wrong_method:
      return reply_frame(id, "bu", {{"balance_updates", nlohmann::json::array()}});
    case Corruption::oversized:
      return reply_frame(id, "ping_padding", {{"padding", std::string(256 * 1024, 'x')}});
    case Corruption::duplicate:
      return frame;
  }
  return frame;
}

std::vector<std::string> FakeClearNode::handle(Connection& conn, std::string_view text) {
  std::vector<std::string> out;
  ParsedFrame req;
  try {
    req = parse_frame(text, "req");
  } catch (const std::exception&) {
    out.push_back(error_frame(now_ms(), "invalid message format"));
    return out;
  }
  std::unique_lock lock(mutex_);
  ++requests_seen_[req.method];
  if (stalled_) return out;
  const auto& m = req.method;
  const auto& p = req.params;
  bool drop_after = false;
  if (drop_before_ && *drop_before_ == m) {
    drop_before_.reset();
    conn.close();
    return out;
  }
  if (drop_after_ && *drop_after_ == m) {
    drop_after_.reset();
    drop_after = true;
  }
  if (drop_countdown_ != 0 && --drop_countdown_ == 0) {
    if (!drop_countdown_after_apply_) {
      conn.close();
      return out;
    }
    drop_after = true;
  }
  // Signers of the raw req, mapped from session keys to wallets.
  std::set<std::string> signer_wallets;
  for (const auto& s : req.signatures) {
    try {
      const auto a =
          crypto::recover_address(crypto::keccak256(req.raw), crypto::Signature::parse(s), crypto::HighS::accept)
              .checksum();
      const auto mapped = session_keys_.find(a);
      signer_wallets.insert(mapped != session_keys_.end() ? mapped->second : a);
    } catch (const std::exception&) {
      out.push_back(error_frame(req.id, "invalid message format"));
      return out;
    }
  }
  auto reply = [&](const nlohmann::json& params) { out.push_back(reply_frame(req.id, m, params)); };
  auto fail = [&](const std::string& text) { out.push_back(error_frame(req.id, text)); };

  if (is_private(m)) {
    if (conn.wallet.empty()) {
      fail("authentication required");
      return out;
    }
    if (req.timestamp_ms + 60'000 < now_ms()) {
      fail("invalid message timestamp");
      return out;
    }
  }
  auto quorum_of = [&](const SessionState& s, std::string& error) -> bool {
    const auto& participants = s.definition["participants"];
    const auto& weights = s.definition["weights"];
    std::int64_t total = 0;
    for (const auto& w : signer_wallets) {
      bool found = false;
      for (std::size_t i = 0; i < participants.size(); ++i) {
        if (participants[i].get<std::string>() == w) {
          total += weights[i].get<std::int64_t>();
          found = true;
        }
      }
      if (!found) {
        error = "signature from unknown participant wallet " + w;
        return false;
      }
    }
    const auto quorum = s.definition["quorum"].get<std::int64_t>();
    if (total < quorum) {
      error = "incorrect submit_state request: quorum not reached: " + std::to_string(total) + " / " +
              std::to_string(quorum);
      return false;
    }
    return true;
  };

  if (m == "ping") {
    out.push_back(reply_frame(req.id, "pong", nullptr));
  } else if (m == "get_config") {
    reply({{"broker_address", broker_.address().checksum()}, {"networks", nlohmann::json::array()}});
  } else if (m == "get_assets") {
    reply({{"assets",
            {{{"token", "0x0000000000000000000000000000000000000001"},
              {"chain_id", 1},
              {"symbol", "usdc"},
              {"decimals", 6}}}}});
  } else if (m == "auth_request") {
    const auto uuid = "550e8400-e29b-41d4-a716-" + std::to_string(100000000000 + ++counter_);
    challenges_[uuid] = p;
    out.push_back(reply_frame(req.id, "auth_challenge", {{"challenge_message", uuid}}));
  } else if (m == "auth_verify") {
    if (p.contains("jwt")) {
      const auto it = jwts_.find(p["jwt"].get<std::string>());
      if (it == jwts_.end()) {
        fail("invalid JWT token");
        return out;
      }
      conn.wallet = it->second;
      ++jwt_auths_;
      reply({{"address", conn.wallet}, {"session_key", ""}, {"success", true}});
      return out;
    }
    const auto it = challenges_.find(p.value("challenge", ""));
    if (it == challenges_.end() || req.signatures.empty()) {
      fail("invalid challenge");
      return out;
    }
    const auto stored = it->second;
    challenges_.erase(it);
    crypto::AuthPolicy policy;
    policy.application = stored["application"];
    policy.challenge = p["challenge"];
    policy.scope = stored["scope"];
    policy.wallet = crypto::Address::parse(stored["address"].get<std::string>());
    policy.session_key = crypto::Address::parse(stored["session_key"].get<std::string>());
    policy.expires_at = stored["expires_at"];
    for (const auto& a : stored["allowances"]) policy.allowances.push_back({a["asset"], a["amount"]});
    const auto recovered = crypto::try_recover_address(
        crypto::auth_policy_digest(policy), crypto::Signature::parse(req.signatures[0]), crypto::HighS::accept);
    if (!recovered || recovered->checksum() != stored["address"].get<std::string>()) {
      fail("invalid challenge or signature");
      return out;
    }
    conn.wallet = stored["address"];
    session_keys_[stored["session_key"].get<std::string>()] = conn.wallet;
    const auto jwt = "eyJhbGciOiJFUzI1NiJ9." +
                     base64url(nlohmann::json({{"exp", now_ms() / 1000 + 86400}, {"wallet", conn.wallet}}).dump()) +
                     ".sig" + std::to_string(++counter_);
    jwts_[jwt] = conn.wallet;
    reply({{"address", conn.wallet}, {"jwt_token", jwt}, {"session_key", stored["session_key"]}, {"success", true}});
    out.push_back(reply_frame(0, "channels", {{"channels", nlohmann::json::array()}}));
    out.push_back(reply_frame(0, "bu", {{"balance_updates", nlohmann::json::array()}}));
  } else if (m == "create_app_session") {
    const auto& d = p["definition"];
    AppDefinition def;
    def.application = d["application"];
    def.protocol = d["protocol"];
    def.participants = d["participants"].get<std::vector<std::string>>();
    def.weights = d["weights"].get<std::vector<std::int64_t>>();
    def.quorum = d["quorum"];
    def.challenge = d["challenge"];
    def.nonce = d["nonce"];
    for (const auto& a : p["allocations"]) {
      if (a["amount"].get<std::string>() != "0" && !signer_wallets.contains(a["participant"].get<std::string>())) {
        fail("missing signature for participant " + a["participant"].get<std::string>());
        return out;
      }
    }
    const auto id = app_session_id(def);
    auto& s = sessions_[id];
    if (s.times_created > 0) {
      fail("failed to create application session");
      return out;
    }
    s.definition = d;
    s.times_created = 1;
    s.applied_versions.push_back(1);
    reply(session_reply(id, "open", 1));
  } else if (m == "submit_app_state" || m == "close_app_session") {
    const auto id = p.value("app_session_id", "");
    const auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.status != "open") {
      fail("an open app session not found: record not found");
      return out;
    }
    auto& s = it->second;
    if (m == "submit_app_state") {
      if (s.definition["protocol"] == "NitroRPC/0.4") {
        const auto asked = p.value("version", std::uint64_t{0});
        if (asked != s.version + 1) {
          fail("incorrect app state: incorrect version: expected " + std::to_string(s.version + 1) + ", got " +
               std::to_string(asked));
          return out;
        }
      } else if (p.contains("intent") || p.value("version", std::uint64_t{0}) != 0) {
        fail("incorrect request: specified parameters are not supported in this protocol");
        return out;
      }
    }
    std::string error;
    if (!quorum_of(s, error)) {
      fail(error);
      return out;
    }
    ++s.version;
    s.applied_versions.push_back(s.version);
    if (m == "close_app_session") {
      s.status = "closed";
    } else {
      out.push_back(reply_frame(0, "asu",
                                {{"app_session", {{"app_session_id", id}, {"version", s.version}}},
                                 {"participant_allocations", p["allocations"]}}));
    }
    reply(session_reply(id, s.status, s.version));
  } else if (m == "get_app_definition") {
    const auto it = sessions_.find(p.value("app_session_id", ""));
    if (it == sessions_.end()) {
      fail("failed to get application session");
      return out;
    }
    auto d = it->second.definition;
    d["application"] = "";
    reply(d);
  } else if (m == "get_app_sessions") {
    const auto participant = p.value("participant", "");
    const auto offset = p.value("offset", std::uint64_t{0});
    const auto limit = std::min<std::uint64_t>(p.value("limit", std::uint64_t{10}), 100);
    auto list = nlohmann::json::array();
    std::uint64_t index = 0;
    for (const auto& [id, s] : sessions_) {
      const auto& ps = s.definition["participants"];
      if (!participant.empty() && std::find(ps.begin(), ps.end(), participant) == ps.end()) continue;
      if (index++ < offset) continue;
      if (list.size() >= limit) break;
      list.push_back({{"app_session_id", id},
                      {"application", s.definition["application"]},
                      {"status", s.status},
                      {"participants", ps},
                      {"protocol", s.definition["protocol"]},
                      {"challenge", s.definition["challenge"]},
                      {"weights", s.definition["weights"]},
                      {"quorum", s.definition["quorum"]},
                      {"version", s.version},
                      {"nonce", s.definition["nonce"]},
                      {"created_at", "2025-01-01T00:00:00Z"},
                      {"updated_at", "2025-01-01T00:00:00Z"}});
    }
    reply({{"app_sessions", list}});
  } else if (m == "get_ledger_balances") {
    reply({{"ledger_balances", {{{"asset", "usdc"}, {"amount", "100"}}}}});
  } else {
    fail("unknown method: " + m);
  }

  if (drop_after) {
    conn.close();
    out.clear();
    return out;
  }
  // Knobs that spoil or reorder replies.
  for (auto it = corruptions_.begin(); it != corruptions_.end(); ++it) {
    if (it->first.empty() || it->first == m) {
      const auto how = it->second;
      corruptions_.erase(it);
      for (auto& f : out) {
        if (f.find("\"res\":[" + std::to_string(req.id) + ",") != std::string::npos) {
          if (how == Corruption::duplicate) {
            out.push_back(f);
          } else {
            f = spoil(f, how, req.id);
          }
          break;
        }
      }
      break;
    }
  }
  if (reverse_batch_ > 0) {
    for (auto& f : out) held_replies_.push_back(std::move(f));
    out.clear();
    if (held_replies_.size() >= reverse_batch_) {
      reverse_batch_ = 0;
      out.assign(held_replies_.rbegin(), held_replies_.rend());
      held_replies_.clear();
    }
  }
  return out;
}

std::pair<std::filesystem::path, std::filesystem::path> make_test_certificate(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const auto cert = dir / "cert.pem";
  const auto key = dir / "key.pem";
  const std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout '" +
                              key.string() + "' -out '" + cert.string() +
                              "' -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
                              ">/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl could not make a test certificate");
  return {cert, key};
}

}  // namespace umpire::clearnode::testing
