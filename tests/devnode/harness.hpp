// tests/devnode/harness.hpp — drives a devnode Engine in-process: signs request frames like the SDK, decodes and
// broker-verifies every reply, and keeps a mailbox per connection so notifications to other sockets are visible.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "crypto/keccak.hpp"
#include "devnode/engine.hpp"
#include "wire/envelope.hpp"
#include "wire/go_json.hpp"

namespace devnode_test {

using namespace umpire;
using Json = nlohmann::json;

inline constexpr std::int64_t kStartMs = 1'733'412'346'000;
inline constexpr const char* kApp = "Test Game";

struct Reply {
  std::uint64_t id = 0;
  std::string method;
  Json params;
  std::uint64_t ts = 0;
  std::string error() const { return method == "error" ? params.value("error", "") : ""; }
};

inline std::vector<crypto::PrivateKey> keys(std::size_t n) {
  std::vector<crypto::PrivateKey> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(crypto::PrivateKey::generate());
  return out;
}

class Harness {
 public:
  explicit Harness(devnode::EngineOptions options = {})
      : broker_(crypto::PrivateKey::generate()), broker_address_(broker_.address()),
        engine_(std::move(options), crypto::PrivateKey::from_hex(broker_.to_secret_hex())) {}

  devnode::Engine& engine() { return engine_; }
  std::int64_t now = kStartMs;
  std::uint64_t next_id = 1;

  std::uint64_t connect() {
    const auto id = next_connection_++;
    collect(engine_.open_connection(id, now));
    return id;
  }

  // Sends one raw frame; returns what reached `connection`, other sockets' frames go to their mailboxes.
  std::vector<Reply> raw(std::uint64_t connection, std::string_view frame) {
    collect(engine_.handle_frame(connection, frame, now));
    return take(connection);
  }

  std::string payload(std::string_view method, const Json& params, std::optional<std::uint64_t> ts = {}) {
    return wire::build_payload(next_id++, method, wire::go_marshal(params), ts.value_or(static_cast<std::uint64_t>(now)));
  }
  static std::string frame(const std::string& payload, const std::vector<const crypto::PrivateKey*>& signers) {
    std::vector<std::string> sigs;
    for (const auto* key : signers) sigs.push_back(key->sign_digest(crypto::keccak256(payload)).to_hex());
    return wire::build_frame("req", payload, sigs);
  }
  std::vector<Reply> call(std::uint64_t connection, std::string_view method, const Json& params,
                          const std::vector<const crypto::PrivateKey*>& signers = {}) {
    return raw(connection, frame(payload(method, params), signers));
  }
  // The response (the last frame carrying the request's id).
  Reply response(std::uint64_t connection, std::string_view method, const Json& params,
                 const std::vector<const crypto::PrivateKey*>& signers = {}) {
    const auto id = next_id;
    const auto replies = call(connection, method, params, signers);
    for (auto it = replies.rbegin(); it != replies.rend(); ++it) {
      if (it->id == id) return *it;
    }
    ADD_FAILURE() << "no response to " << method;
    return {};
  }
  std::string error(std::uint64_t connection, std::string_view method, const Json& params,
                    const std::vector<const crypto::PrivateKey*>& signers = {}) {
    return response(connection, method, params, signers).error();
  }

  // EIP-712 auth of `wallet` with `session_key` for `application`; returns the auth_verify reply.
  Reply authenticate(std::uint64_t connection, const crypto::PrivateKey& wallet, const crypto::Address& session_key,
                     std::string application = kApp, std::vector<crypto::AuthAllowance> allowances = {},
                     std::optional<std::uint64_t> expires_at = {}) {
    Json allowance_json = Json::array();
    for (const auto& a : allowances) allowance_json.push_back({{"asset", a.asset}, {"amount", a.amount}});
    const std::uint64_t expiry = expires_at.value_or(static_cast<std::uint64_t>(now / 1000 + 3600));
    const auto challenge = response(connection, "auth_request",
                                    {{"address", wallet.address().checksum()}, {"session_key", session_key.checksum()},
                                     {"application", application}, {"allowances", allowance_json},
                                     {"expires_at", expiry}, {"scope", "app.create"}});
    const std::string uuid = challenge.params.value("challenge_message", "");
    crypto::AuthPolicy policy{application, uuid, "app.create", wallet.address(), session_key, expiry, allowances};
    const auto sig = wallet.sign_digest(crypto::auth_policy_digest(policy)).to_hex();
    const auto verify_payload = payload("auth_verify", {{"challenge", uuid}});
    const auto replies = raw(connection, wire::build_frame("req", verify_payload, std::vector<std::string>{sig}));
    return replies.empty() ? Reply{} : replies.front();
  }

  std::map<std::string, std::string> balances(std::uint64_t connection, const std::string& account = "") {
    Json params = Json::object();
    if (!account.empty()) params["account_id"] = account;
    std::map<std::string, std::string> out;
    const auto reply = response(connection, "get_ledger_balances", params);
    EXPECT_EQ(reply.error(), "");
    for (const auto& row : reply.params["ledger_balances"]) {
      out[row["asset"]] = row["amount"];
    }
    return out;
  }

  std::vector<Reply> take(std::uint64_t connection) { return std::exchange(mailbox_[connection], {}); }

 private:
  void collect(const std::vector<devnode::Delivery>& deliveries) {
    for (const auto& delivery : deliveries) mailbox_[delivery.connection].push_back(decode(*delivery.frame));
  }
  Reply decode(const std::string& frame) const {
    const auto res = wire::find_top_level_member(frame, "res");
    const auto sig = wire::find_top_level_member(frame, "sig");
    EXPECT_TRUE(res && sig) << frame;
    if (!res || !sig) return {};
    const auto signatures = Json::parse(*sig);
    EXPECT_EQ(signatures.size(), 1u);
    const auto signer = crypto::recover_address(crypto::keccak256(*res), crypto::Signature::parse(signatures[0].get<std::string>()));
    EXPECT_EQ(signer, broker_address_) << "frame not signed by the broker";
    EXPECT_EQ(frame.find("\"sid\""), std::string::npos);
    const auto array = Json::parse(*res);
    return Reply{array[0].get<std::uint64_t>(), array[1].get<std::string>(), array[2], array[3].get<std::uint64_t>()};
  }

  crypto::PrivateKey broker_;
  crypto::Address broker_address_;
  devnode::Engine engine_;
  std::uint64_t next_connection_ = 1;
  std::map<std::uint64_t, std::vector<Reply>> mailbox_;
};

inline std::vector<std::string> methods(const std::vector<Reply>& replies) {
  std::vector<std::string> out;
  for (const auto& r : replies) out.push_back(r.method);
  return out;
}

}  // namespace devnode_test
