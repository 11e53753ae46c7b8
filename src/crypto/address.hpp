// crypto/address.hpp — 20-byte Ethereum addresses and their EIP-55 text form.
// The ClearNode compares address strings case-sensitively, so everything Umpire sends uses checksum().
#pragma once

#include <compare>
#include <optional>

#include "crypto/bytes.hpp"

namespace umpire::crypto {

class Address {
 public:
  using Bytes = std::array<std::uint8_t, 20>;

  Address() = default;  // the zero address
  explicit Address(const Bytes& bytes) : bytes_(bytes) {}

  // Parses "0x" + 40 hex digits. All-lowercase and all-uppercase input is accepted as is; mixed case must be a
  // valid EIP-55 checksum. Throws CryptoError otherwise.
  static Address parse(std::string_view text);
  static std::optional<Address> try_parse(std::string_view text) noexcept;

  // The address of an uncompressed secp256k1 public key given as its 64 bytes X||Y (no 0x04 prefix).
  static Address from_public_key(std::span<const std::uint8_t, 64> xy);

  std::string checksum() const;   // EIP-55, e.g. 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
  std::string lowercase() const;  // 0x + lowercase hex
  const Bytes& bytes() const { return bytes_; }

  friend auto operator<=>(const Address&, const Address&) = default;

 private:
  Bytes bytes_{};
};

// True if `text` is exactly the EIP-55 form of some address (what the ClearNode's string comparisons need).
bool is_checksummed(std::string_view text) noexcept;

}  // namespace umpire::crypto
