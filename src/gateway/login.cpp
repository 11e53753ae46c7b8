// gateway/login.cpp — see the header.
#include "gateway/login.hpp"

#include "crypto/eth_messages.hpp"

namespace umpire::gateway {

std::string login_text(std::string_view server_address, std::string_view nonce) {
  std::string text = "Umpire login\nServer: ";
  text.append(server_address).append("\nNonce: ").append(nonce);
  return text;
}

std::optional<crypto::Address> verify_login(std::string_view server_address, std::string_view nonce,
                                            std::string_view claimed_address, std::string_view signature_hex) {
  const auto claimed = crypto::Address::try_parse(claimed_address);
  if (!claimed) return std::nullopt;
  try {
    const auto signature = crypto::Signature::parse(signature_hex);
    const auto signer = crypto::try_recover_address(crypto::personal_message_hash(login_text(server_address, nonce)),
                                                    signature);
    if (signer && *signer == *claimed) return signer;
  } catch (const crypto::CryptoError&) {
  }
  return std::nullopt;
}

}  // namespace umpire::gateway
