// gateway/login.hpp — the player login text and its check. The text is what a browser wallet shows the player
// before signing it with EIP-191 personal_sign; see proto/umpire/v1/umpire.proto (Hello) for the contract.
#pragma once

#include <optional>
#include <string>

#include "crypto/address.hpp"

namespace umpire::gateway {

// "Umpire login\nServer: <server_address>\nNonce: <nonce>"
std::string login_text(std::string_view server_address, std::string_view nonce);

// The address that signed the login text, if `signature_hex` is a valid signature of it by `claimed_address`.
std::optional<crypto::Address> verify_login(std::string_view server_address, std::string_view nonce,
                                            std::string_view claimed_address, std::string_view signature_hex);

}  // namespace umpire::gateway
