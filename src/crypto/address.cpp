// crypto/address.cpp — EIP-55 checksums and address parsing.
#include "crypto/address.hpp"

#include <algorithm>
#include <cctype>

#include "crypto/keccak.hpp"

namespace umpire::crypto {
namespace {

bool has_prefix(std::string_view text) { return text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'); }

// EIP-55: a hex letter is uppercase when the matching nibble of keccak(lowercase hex) is >= 8.
std::string checksum_of(std::string_view lower_hex40) {
  const Hash32 hash = keccak256(lower_hex40);
  std::string out = "0x";
  out.reserve(42);
  for (std::size_t i = 0; i < 40; ++i) {
    const char c = lower_hex40[i];
    const int nibble = (i % 2 == 0) ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f;
    out += (c >= 'a' && c <= 'f' && nibble >= 8) ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

}  // namespace

Address Address::parse(std::string_view text) {
  if (!has_prefix(text)) throw CryptoError("address must start with 0x");
  const std::string_view digits = text.substr(2);
  if (digits.size() != 40) throw CryptoError("address must have 40 hex digits, got " + std::to_string(digits.size()));
  const auto bytes = from_hex_fixed<20>(digits, "address");
  const Address address(bytes);
  const bool has_lower = std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'a' && c <= 'f'; });
  const bool has_upper = std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  if (has_lower && has_upper && address.checksum().substr(2) != digits) {
    throw CryptoError("address has an invalid EIP-55 checksum");
  }
  return address;
}

std::optional<Address> Address::try_parse(std::string_view text) noexcept {
  try {
    return parse(text);
  } catch (...) {
    return std::nullopt;
  }
}

Address Address::from_public_key(std::span<const std::uint8_t, 64> xy) {
  const Hash32 hash = keccak256(std::span<const std::uint8_t>(xy.data(), xy.size()));
  Bytes bytes{};
  std::copy(hash.begin() + 12, hash.end(), bytes.begin());
  return Address(bytes);
}

std::string Address::lowercase() const { return to_hex(bytes_); }

std::string Address::checksum() const { return checksum_of(to_hex(bytes_, false)); }

bool is_checksummed(std::string_view text) noexcept {
  const auto address = Address::try_parse(text);
  return address && address->checksum() == text;
}

}  // namespace umpire::crypto
