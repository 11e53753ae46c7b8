// bench/raw_load.cpp — setup over blocking WebSockets, then the timed run on one io_context with completion
// handlers: a reply is recognised by cutting its id and method out of the frame text, without a JSON parse.
#include "raw_load.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <stdexcept>

#include "crypto/eth_messages.hpp"
#include "crypto/keccak.hpp"
#include "crypto/private_key.hpp"
#include "scenario.hpp"
#include "wire/app_session.hpp"
#include "wire/envelope.hpp"
#include "wire/go_json.hpp"

namespace umpire::bench {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kFirstLifecycleId = 1000;  // ids below are the setup's

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

struct Url {
  std::string host;
  std::string port;
  std::string path;
};

Url parse_ws_url(const std::string& url) {
  constexpr std::string_view scheme = "ws://";
  if (url.rfind(scheme, 0) != 0) throw std::runtime_error("only ws:// URLs are benchmarked, got " + url);
  const auto rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("URL without a port: " + url);
  return {authority.substr(0, colon), authority.substr(colon + 1), slash == std::string::npos ? "/" : rest.substr(slash)};
}

// The id and method of a node frame `{"res":[ID,"METHOD",…`, read without parsing the rest.
struct ReplyHead {
  bool readable = false;
  std::uint64_t id = 0;
  std::string_view method;
};

ReplyHead reply_head(std::string_view frame) {
  constexpr std::string_view marker = "\"res\":[";
  const auto at = frame.find(marker);
  if (at == std::string_view::npos) return {};
  std::size_t i = at + marker.size();
  const std::size_t digits_start = i;
  std::uint64_t id = 0;
  while (i < frame.size() && frame[i] >= '0' && frame[i] <= '9') id = id * 10 + static_cast<std::uint64_t>(frame[i++] - '0');
  if (i == digits_start || i + 1 >= frame.size() || frame[i] != ',' || frame[i + 1] != '"') return {};
  const auto end = frame.find('"', i + 2);
  if (end == std::string_view::npos) return {};
  return {true, id, frame.substr(i + 2, end - i - 2)};
}

std::string signed_request(std::uint64_t id, std::string_view method, const Json& params, std::uint64_t timestamp_ms,
                           const std::vector<const crypto::PrivateKey*>& signers) {
  const std::string payload = wire::build_payload(id, method, wire::go_marshal(params), timestamp_ms);
  const auto digest = crypto::keccak256(payload);
  std::vector<std::string> signatures;
  for (const auto* key : signers) signatures.push_back(key->sign_digest(digest).to_hex());
  return wire::build_frame("req", payload, signatures);
}

Json allocation(const std::string& participant, const char* amount) {
  return Json{{"participant", participant}, {"asset", kAsset}, {"amount", amount}};
}

// One referee's socket, its keys, its players and its pre-built frames.
struct Connection {
  explicit Connection(asio::io_context& io) : ws(io) {}

  websocket::stream<asio::ip::tcp::socket> ws;
  beast::flat_buffer buffer;
  crypto::PrivateKey referee = crypto::PrivateKey::generate();
  crypto::PrivateKey session_key = crypto::PrivateKey::generate();  // the referee's; signs its requests
  crypto::PrivateKey player_a = crypto::PrivateKey::generate();
  crypto::PrivateKey player_b = crypto::PrivateKey::generate();
  std::vector<std::string> creates;  // frame of lifecycle k: id kFirstLifecycleId + 2k
  std::vector<std::string> closes;   // id kFirstLifecycleId + 2k + 1
  std::size_t next = 0;              // next lifecycle to start
  std::deque<const std::string*> outbox;
  bool writing = false;
};

}  // namespace

struct RawLoad::State {
  asio::io_context io;
  std::vector<std::unique_ptr<Connection>> connections;
  std::size_t total = 0;
  LoadOutcome outcome;
  Clock::time_point started;
};

namespace {

using State = RawLoad::State;

// Sends `frame` and reads until the reply with `id` (notifications are skipped). Throws on an error reply.
Json exchange(Connection& connection, std::uint64_t id, const std::string& frame) {
  connection.ws.write(asio::buffer(frame));
  for (;;) {
    beast::flat_buffer buffer;
    connection.ws.read(buffer);
    const std::string text = beast::buffers_to_string(buffer.data());
    const auto head = reply_head(text);
    if (!head.readable) throw std::runtime_error("unreadable frame from the devnode: " + text.substr(0, 200));
    if (head.id != id) continue;
    const auto res = Json::parse(*wire::find_top_level_member(text, "res"));
    if (head.method == "error") throw std::runtime_error("setup request " + std::to_string(id) + ": " + res[2].value("error", ""));
    return res[2];
  }
}

void open_socket(Connection& connection, const Url& url, const asio::ip::tcp::resolver::results_type& endpoints) {
  asio::connect(connection.ws.next_layer(), endpoints);
  connection.ws.next_layer().set_option(asio::ip::tcp::no_delay(true));
  connection.ws.secure_prng(false);  // masking keys need no CSPRNG here; keeps the generator cheap
  connection.ws.text(true);
  connection.ws.handshake(url.host + ":" + url.port, url.path);
  beast::flat_buffer assets;  // the node's first push
  connection.ws.read(assets);
}

void authenticate(Connection& c) {
  const std::uint64_t expires_at = unix_ms() / 1000 + 24 * 3600;
  const Json request{{"address", c.referee.address().checksum()}, {"session_key", c.session_key.address().checksum()},
                     {"application", kApplication}, {"allowances", Json::array()}, {"expires_at", expires_at},
                     {"scope", "app.create"}};
  const Json challenge = exchange(c, 1, signed_request(1, "auth_request", request, unix_ms(), {}));
  const std::string uuid = challenge.at("challenge_message");
  const crypto::AuthPolicy policy{kApplication, uuid, "app.create", c.referee.address(), c.session_key.address(), expires_at, {}};
  const std::vector<std::string> signature{c.referee.sign_digest(crypto::auth_policy_digest(policy)).to_hex()};
  const std::string payload = wire::build_payload(2, "auth_verify", wire::go_marshal(Json{{"challenge", uuid}}), unix_ms());
  exchange(c, 2, wire::build_frame("req", payload, signature));
}

void fund_players(Connection& c) {
  std::uint64_t id = 3;
  for (const auto* player : {&c.player_a, &c.player_b}) {
    const Json grant{{"wallet", player->address().checksum()}, {"asset", kAsset}, {"amount", kPlayerFunding}};
    exchange(c, id, signed_request(id, "devnode_fund", grant, unix_ms(), {}));
    ++id;
  }
}

void build_lifecycles(Connection& c, std::size_t count, std::uint64_t timestamp_ms, CloseSigners close_signers) {
  const std::string a = c.player_a.address().checksum(), b = c.player_b.address().checksum();
  const std::string referee = c.referee.address().checksum();
  const std::vector<const crypto::PrivateKey*> everyone{&c.player_a, &c.player_b, &c.session_key};
  const std::vector<const crypto::PrivateKey*> referee_alone{&c.session_key};
  const auto& closers = close_signers == CloseSigners::all ? everyone : referee_alone;
  for (std::size_t k = 0; k < count; ++k) {
    const std::uint64_t nonce = k + 1;
    const wire::AppDefinition definition{kApplication, kProtocol, std::vector<std::string>{a, b, referee},
                                         std::vector<std::int64_t>{0, 0, 100}, 100, kChallengeSeconds, nonce};
    const Json definition_json{{"application", kApplication}, {"protocol", kProtocol}, {"participants", {a, b, referee}},
                               {"weights", {0, 0, 100}}, {"quorum", 100}, {"challenge", kChallengeSeconds}, {"nonce", nonce}};
    const Json create{{"definition", definition_json}, {"allocations", {allocation(a, kStake), allocation(b, kStake)}}};
    const bool a_wins = player_a_wins(k);
    const Json close{{"app_session_id", wire::app_session_id(definition)},
                     {"allocations", {allocation(a, a_wins ? kPot : "0"), allocation(b, a_wins ? "0" : kPot),
                                      allocation(referee, "0")}}};
    c.creates.push_back(signed_request(kFirstLifecycleId + 2 * k, "create_app_session", create, timestamp_ms, everyone));
    c.closes.push_back(signed_request(kFirstLifecycleId + 2 * k + 1, "close_app_session", close, timestamp_ms, closers));
  }
}

// ---- the timed run: completion handlers on one thread ----

void fail(State& state, std::string what) {
  if (state.outcome.errors++ == 0) state.outcome.first_error = std::move(what);
  state.io.stop();  // a failed request makes the figure meaningless: end the run
}

void write_next(State& state, Connection& c) {
  c.writing = true;
  c.ws.async_write(asio::buffer(*c.outbox.front()), [&state, &c](beast::error_code error, std::size_t) {
    if (error) return fail(state, "write: " + error.message());
    c.outbox.pop_front();
    if (c.outbox.empty()) c.writing = false;
    else write_next(state, c);
  });
}

void send(State& state, Connection& c, const std::string& frame) {
  c.outbox.push_back(&frame);
  if (!c.writing) write_next(state, c);
}

void start_lifecycle(State& state, Connection& c) { send(state, c, c.creates[c.next++]); }

void on_reply(State& state, Connection& c, std::string_view frame) {
  const auto head = reply_head(frame);
  if (!head.readable) return fail(state, "unreadable frame: " + std::string(frame.substr(0, 200)));
  if (head.id == 0) return;  // a notification (bu)
  if (head.method == "error" || head.id < kFirstLifecycleId) {
    return fail(state, "error reply: " + std::string(frame.substr(0, 300)));
  }
  const std::uint64_t offset = head.id - kFirstLifecycleId;
  const std::size_t lifecycle = offset / 2;
  if (offset % 2 == 0) {
    if (head.method != "create_app_session") return fail(state, "unexpected reply: " + std::string(frame.substr(0, 200)));
    return send(state, c, c.closes[lifecycle]);
  }
  if (head.method != "close_app_session") return fail(state, "unexpected reply: " + std::string(frame.substr(0, 200)));
  if (++state.outcome.completed == state.total) {
    state.outcome.seconds = std::chrono::duration<double>(Clock::now() - state.started).count();
    state.io.stop();
    return;
  }
  if (c.next < c.creates.size()) start_lifecycle(state, c);
}

void read_next(State& state, Connection& c) {
  c.ws.async_read(c.buffer, [&state, &c](beast::error_code error, std::size_t) {
    if (error) return fail(state, "read: " + error.message());
    const auto data = c.buffer.cdata();
    on_reply(state, c, std::string_view(static_cast<const char*>(data.data()), data.size()));
    c.buffer.clear();
    read_next(state, c);
  });
}

}  // namespace

RawLoad::RawLoad(RawLoadOptions options) : options_(std::move(options)), state_(std::make_unique<State>()) {
  if (options_.connections == 0 || options_.window == 0 || options_.lifecycles < options_.connections) {
    throw std::invalid_argument("need at least one connection, a window of one, and a lifecycle per connection");
  }
  state_->total = options_.lifecycles;
}

RawLoad::~RawLoad() = default;

void RawLoad::setup() {
  const Url url = parse_ws_url(options_.url);
  asio::ip::tcp::resolver resolver(state_->io);
  const auto endpoints = resolver.resolve(url.host, url.port);
  for (std::size_t i = 0; i < options_.connections; ++i) {
    auto connection = std::make_unique<Connection>(state_->io);
    open_socket(*connection, url, endpoints);
    authenticate(*connection);
    fund_players(*connection);
    state_->connections.push_back(std::move(connection));
  }
}

void RawLoad::prebuild() {
  const std::uint64_t timestamp = unix_ms();
  const std::size_t count = state_->connections.size();
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t share = options_.lifecycles / count + (i < options_.lifecycles % count ? 1 : 0);
    build_lifecycles(*state_->connections[i], share, timestamp, options_.close_signers);
  }
}

LoadOutcome RawLoad::run() {
  State& state = *state_;
  state.io.restart();
  state.started = Clock::now();
  for (auto& connection : state.connections) {
    read_next(state, *connection);
    for (std::size_t w = 0; w < options_.window && connection->next < connection->creates.size(); ++w) {
      start_lifecycle(state, *connection);
    }
  }
  state.io.run();
  if (state.outcome.seconds == 0) state.outcome.seconds = std::chrono::duration<double>(Clock::now() - state.started).count();
  return state.outcome;
}

Json RawLoad::audit() {
  // A fresh socket: the run's sockets still have reads pending on the stopped io_context.
  asio::io_context io;
  Connection auditor(io);
  const Url url = parse_ws_url(options_.url);
  asio::ip::tcp::resolver resolver(io);
  open_socket(auditor, url, resolver.resolve(url.host, url.port));
  return exchange(auditor, 1, signed_request(1, "devnode_audit", Json::object(), unix_ms(), {}));
}

}  // namespace umpire::bench
