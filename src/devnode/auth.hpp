// devnode/auth.hpp — authentication state: one-shot auth challenges (5 min, at most 1000 pending), the per-wallet
// 24 h sliding auth session that gates private methods, and JWTs signed by the broker key. The devnode's JWT is
// its own format (ES256-labelled, secp256k1 r‖s‖v over keccak256 of the signing input): only tokens it issued verify.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "crypto/eth_messages.hpp"
#include "crypto/private_key.hpp"

namespace umpire::devnode {

struct AuthChallenge {
  std::string wallet;       // auth_request `address`, as sent (0x prepended if missing)
  std::string session_key;  // as sent
  std::string application;
  std::string scope;
  std::vector<crypto::AuthAllowance> allowances;
  std::uint64_t expires_at_s = 0;
  std::int64_t issued_ms = 0;
  bool used = false;
};

class ChallengeStore {
 public:
  static constexpr std::int64_t kLifetimeMs = 5 * 60 * 1000;
  static constexpr std::size_t kMaxPending = 1000;

  explicit ChallengeStore(std::uint64_t seed) : random_(seed) {}
  // Returns a lowercase UUID v4; throws RpcError("failed to generate challenge") when too many are pending.
  std::string issue(AuthChallenge challenge, std::int64_t now_ms);
  AuthChallenge* find(const std::string& uuid);

 private:
  void forget_expired(std::int64_t now_ms);
  std::map<std::string, AuthChallenge> pending_;
  std::mt19937_64 random_;
};

struct JwtClaims {
  std::string wallet;
  std::string session_key;
  std::string scope;
  std::string application;
  std::vector<crypto::AuthAllowance> allowances;
  std::uint64_t expires_at_s = 0;  // the session key's expiry (policy.expiration)
  std::int64_t token_expiry_s = 0; // exp: issue + 24 h
};

std::string issue_jwt(const crypto::PrivateKey& broker, const JwtClaims& claims);
std::optional<JwtClaims> verify_jwt(const crypto::Address& broker, const std::string& token, std::int64_t now_ms);

// Private methods need a wallet session refreshed within the last 24 h (notes §3.6 gate 2).
class AuthSessions {
 public:
  static constexpr std::int64_t kLifetimeMs = 24LL * 60 * 60 * 1000;
  void start(const std::string& wallet, std::int64_t now_ms) { last_activity_[wallet] = now_ms; }
  bool touch(const std::string& wallet, std::int64_t now_ms);  // false if expired or never started

 private:
  std::map<std::string, std::int64_t> last_activity_;
};

}  // namespace umpire::devnode
