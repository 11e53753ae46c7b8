// crypto/eth_messages.cpp — EIP-191 and EIP-712 (auth Policy) hashing.
// The EIP-712 encoder is written by hand for the one fixed type the ClearNode uses: no Debian package offers a
// C++ typed-data encoder, and the encoding is a dozen lines, checked against the official SDK's vectors.
#include "crypto/eth_messages.hpp"

#include <cstring>

namespace umpire::crypto {
namespace {

constexpr std::string_view kDomainType = "EIP712Domain(string name)";
constexpr std::string_view kPolicyType =
    "Policy(string challenge,string scope,address wallet,address session_key,uint64 expires_at,"
    "Allowance[] allowances)Allowance(string asset,string amount)";
constexpr std::string_view kAllowanceType = "Allowance(string asset,string amount)";

// Concatenates 32-byte words and hashes them: hashStruct = keccak(typeHash || enc(field) ...).
class StructEncoder {
 public:
  explicit StructEncoder(std::string_view type) { add(keccak256(type)); }
  StructEncoder& add(const Hash32& word) {
    buffer_.insert(buffer_.end(), word.begin(), word.end());
    return *this;
  }
  StructEncoder& add_string(std::string_view text) { return add(keccak256(text)); }
  StructEncoder& add_address(const Address& address) {
    Hash32 word{};
    std::copy(address.bytes().begin(), address.bytes().end(), word.begin() + 12);
    return add(word);
  }
  StructEncoder& add_uint64(std::uint64_t value) {
    Hash32 word{};
    for (int i = 0; i < 8; ++i) word[31 - i] = static_cast<std::uint8_t>(value >> (8 * i));
    return add(word);
  }
  Hash32 hash() const { return keccak256(buffer_); }

 private:
  std::vector<std::uint8_t> buffer_;
};

Hash32 allowances_hash(const std::vector<AuthAllowance>& allowances) {
  std::vector<std::uint8_t> concatenated;
  for (const auto& allowance : allowances) {
    const Hash32 item = StructEncoder(kAllowanceType).add_string(allowance.asset).add_string(allowance.amount).hash();
    concatenated.insert(concatenated.end(), item.begin(), item.end());
  }
  return keccak256(concatenated);
}

}  // namespace

Signature sign_rpc_payload(const Signer& signer, std::string_view raw) {
  return signer.sign_digest(rpc_payload_hash(raw));
}

Hash32 personal_message_hash(std::string_view message) {
  std::string prefixed = "\x19" "Ethereum Signed Message:\n" + std::to_string(message.size());
  prefixed.append(message);
  return keccak256(prefixed);
}

Signature sign_personal_message(const Signer& signer, std::string_view message) {
  return signer.sign_digest(personal_message_hash(message));
}

Hash32 eip712_domain_separator(std::string_view application) {
  return StructEncoder(kDomainType).add_string(application).hash();
}

Hash32 auth_policy_struct_hash(const AuthPolicy& policy) {
  return StructEncoder(kPolicyType)
      .add_string(policy.challenge)
      .add_string(policy.scope)
      .add_address(policy.wallet)
      .add_address(policy.session_key)
      .add_uint64(policy.expires_at)
      .add(allowances_hash(policy.allowances))
      .hash();
}

Hash32 auth_policy_digest(const AuthPolicy& policy) {
  std::vector<std::uint8_t> buffer = {0x19, 0x01};
  const Hash32 domain = eip712_domain_separator(policy.application);
  const Hash32 body = auth_policy_struct_hash(policy);
  buffer.insert(buffer.end(), domain.begin(), domain.end());
  buffer.insert(buffer.end(), body.begin(), body.end());
  return keccak256(buffer);
}

}  // namespace umpire::crypto
