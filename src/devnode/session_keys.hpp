// devnode/session_keys.hpp — session keys registered by auth_verify: the signer → wallet mapping used by every
// signed method, the application binding, expiry (Unix seconds), revocation and allowances (notes §4). Address
// strings are kept exactly as the client sent them, because the node compares them case-sensitively.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "crypto/eth_messages.hpp"

namespace umpire::devnode {

inline constexpr const char* kRootApplication = "clearnode";  // keys for this application skip app/allowance checks

struct SessionKey {
  std::uint64_t id = 0;
  std::string address;  // as sent in auth_request
  std::string wallet;
  std::string application;
  std::vector<crypto::AuthAllowance> allowances;  // amounts as sent (validated decimals)
  std::string scope;
  std::int64_t expires_at_s = 0;
  std::int64_t created_ms = 0;

  bool live_at(std::int64_t now_ms) const { return expires_at_s * 1000 > now_ms; }
  bool is_root() const { return application == kRootApplication; }
};

class SessionKeyRegistry {
 public:
  // The live key record for a recovered signer, or null (unknown, expired or revoked).
  const SessionKey* live(const std::string& address, std::int64_t now_ms) const;
  // The wallet a signer stands for: its wallet if it is a live session key, else the signer itself.
  std::string wallet_for(const std::string& signer, std::int64_t now_ms) const;
  std::vector<const SessionKey*> live_keys_of(const std::string& wallet, std::int64_t now_ms) const;

  // auth_verify step 6: throws RpcError with the node's texts; a live key is left as it was.
  void register_key(SessionKey key, std::int64_t now_ms);
  void revoke(const std::string& address, std::int64_t now_ms);  // expiry := now

  const std::map<std::string, SessionKey>& all() const { return keys_; }
  void restore(SessionKey key);
  // Bumps whenever the set of keys or an expiry changes (persistence saves keys only then).
  std::uint64_t revision() const { return revision_; }

 private:
  std::map<std::string, SessionKey> keys_;  // by address string
  std::uint64_t next_id_ = 1;
  std::uint64_t revision_ = 0;
};

}  // namespace umpire::devnode
