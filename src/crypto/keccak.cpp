// crypto/keccak.cpp — Keccak-256 through Crypto++ (Keccak_256 keeps Ethereum's pre-standard padding).
#include "crypto/keccak.hpp"

#include <cryptopp/keccak.h>

namespace umpire::crypto {

Hash32 keccak256(std::span<const std::uint8_t> data) {
  CryptoPP::Keccak_256 hasher;
  hasher.Update(data.data(), data.size());
  Hash32 digest{};
  hasher.Final(digest.data());
  return digest;
}

}  // namespace umpire::crypto
