// devnode/session_keys.cpp — registration rules and lookups of session keys.
#include "devnode/session_keys.hpp"

#include "devnode/rpc_error.hpp"

namespace umpire::devnode {

const SessionKey* SessionKeyRegistry::live(const std::string& address, std::int64_t now_ms) const {
  const auto it = keys_.find(address);
  return it != keys_.end() && it->second.live_at(now_ms) ? &it->second : nullptr;
}

std::string SessionKeyRegistry::wallet_for(const std::string& signer, std::int64_t now_ms) const {
  const SessionKey* key = live(signer, now_ms);
  return key ? key->wallet : signer;
}

std::vector<const SessionKey*> SessionKeyRegistry::live_keys_of(const std::string& wallet, std::int64_t now_ms) const {
  std::vector<const SessionKey*> out;
  for (const auto& [address, key] : keys_) {
    if (key.wallet == wallet && key.live_at(now_ms)) out.push_back(&key);
  }
  return out;
}

void SessionKeyRegistry::register_key(SessionKey key, std::int64_t now_ms) {
  const auto existing = keys_.find(key.address);
  if (existing != keys_.end()) {
    if (existing->second.wallet != key.wallet) throw RpcError("signer is already in use for another wallet");
    if (!existing->second.live_at(now_ms)) throw RpcError("session key already exists but is expired");
    return;  // a live key keeps its original application, allowances and expiry
  }
  if (key.expires_at_s * 1000 <= now_ms) throw RpcError("expiration time must be set and in the future");
  // One key per (wallet, application): the new one replaces the old.
  std::erase_if(keys_, [&](const auto& item) {
    return item.second.wallet == key.wallet && item.second.application == key.application;
  });
  key.id = next_id_++;
  key.created_ms = now_ms;
  keys_.emplace(key.address, std::move(key));
  ++revision_;
}

void SessionKeyRegistry::revoke(const std::string& address, std::int64_t now_ms) {
  const auto it = keys_.find(address);
  if (it != keys_.end()) it->second.expires_at_s = now_ms / 1000;
  ++revision_;
}

void SessionKeyRegistry::restore(SessionKey key) {
  if (key.id >= next_id_) next_id_ = key.id + 1;
  keys_[key.address] = std::move(key);
  ++revision_;
}

}  // namespace umpire::devnode
