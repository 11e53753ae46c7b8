// crypto/keccak.hpp — Keccak-256 as Ethereum uses it (original 0x01 padding, not SHA3-256).
// Backed by Crypto++ Keccak_256; owns nothing else.
#pragma once

#include "crypto/bytes.hpp"

namespace umpire::crypto {

Hash32 keccak256(std::span<const std::uint8_t> data);
inline Hash32 keccak256(std::string_view text) { return keccak256(as_bytes(text)); }

}  // namespace umpire::crypto
