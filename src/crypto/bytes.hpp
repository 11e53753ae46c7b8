// crypto/bytes.hpp — byte containers, hex encoding and the one error type of the crypto component.
// Owns: Hash32, hex <-> bytes. Leaves meaning of the bytes to the callers.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace umpire::crypto {

using Hash32 = std::array<std::uint8_t, 32>;

// Every failure of this component (bad hex, bad key, bad signature) is a CryptoError with a message fit for a user.
// Messages never contain key material.
class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Lowercase hex, "0x"-prefixed unless with_prefix is false.
std::string to_hex(std::span<const std::uint8_t> bytes, bool with_prefix = true);

// Accepts an optional "0x"/"0X" prefix and either case. Throws CryptoError on odd length or a non-hex character.
std::vector<std::uint8_t> from_hex(std::string_view text);

// from_hex into a fixed size; throws CryptoError naming `what` when the length differs.
template <std::size_t N>
std::array<std::uint8_t, N> from_hex_fixed(std::string_view text, std::string_view what) {
  const auto bytes = from_hex(text);
  if (bytes.size() != N) {
    throw CryptoError(std::string(what) + ": expected " + std::to_string(N) + " bytes, got " +
                      std::to_string(bytes.size()));
  }
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace umpire::crypto
