// crypto/eth_messages.hpp — the three digests Umpire signs or checks:
//   * ClearNode RPC: keccak256 of the exact raw bytes of the `req` (or `res`) array, no prefix;
//   * EIP-191 personal_sign, used for player login so that browser wallets can sign;
//   * EIP-712 typed data for the ClearNode auth `Policy` (domain with `name` only).
#pragma once

#include <vector>

#include "crypto/keccak.hpp"
#include "crypto/signer.hpp"

namespace umpire::crypto {

// keccak256(raw) — `raw` must be the request text exactly as sent, never a re-serialization.
inline Hash32 rpc_payload_hash(std::string_view raw) { return keccak256(raw); }
Signature sign_rpc_payload(const Signer& signer, std::string_view raw);

// keccak256("\x19Ethereum Signed Message:\n" + decimal length + message)
Hash32 personal_message_hash(std::string_view message);
Signature sign_personal_message(const Signer& signer, std::string_view message);

struct AuthAllowance {
  std::string asset;
  std::string amount;  // byte-for-byte as sent in auth_request ("100" and "100.0" hash differently)
};

// Values as frozen by the ClearNode when it issued the challenge.
struct AuthPolicy {
  std::string application;  // EIP-712 domain name
  std::string challenge;    // the UUID string as issued
  std::string scope;
  Address wallet;
  Address session_key;
  std::uint64_t expires_at = 0;  // Unix seconds
  std::vector<AuthAllowance> allowances;
};

Hash32 eip712_domain_separator(std::string_view application);
Hash32 auth_policy_struct_hash(const AuthPolicy& policy);
Hash32 auth_policy_digest(const AuthPolicy& policy);  // keccak(0x1901 || domainSeparator || structHash)

}  // namespace umpire::crypto
