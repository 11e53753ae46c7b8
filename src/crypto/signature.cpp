// crypto/signature.cpp — signature text form and ecrecover through libsecp256k1's recovery module.
#include "crypto/signature.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>

namespace umpire::crypto {
namespace {

// n/2 for secp256k1, big-endian: signatures with s above it are the malleable (high-s) twins.
constexpr std::array<std::uint8_t, 32> kHalfOrder = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

bool is_high_s(const Signature& signature) {
  const auto s_begin = signature.bytes.begin() + 32;
  return std::lexicographical_compare(kHalfOrder.begin(), kHalfOrder.end(), s_begin, s_begin + 32);
}

int recovery_id(std::uint8_t v) {
  if (v == 0 || v == 1) return v;
  if (v == 27 || v == 28) return v - 27;
  throw CryptoError("signature has invalid v " + std::to_string(v) + " (expected 0, 1, 27 or 28)");
}

}  // namespace

std::string Signature::to_hex() const { return crypto::to_hex(bytes); }

Signature Signature::parse(std::string_view text) {
  Signature signature;
  signature.bytes = from_hex_fixed<65>(text, "signature");
  return signature;
}

Address recover_address(const Hash32& digest, const Signature& signature, HighS high_s) {
  const int recid = recovery_id(signature.bytes[64]);
  if (high_s == HighS::reject && is_high_s(signature)) {
    throw CryptoError("signature has a high s value (non-canonical)");
  }
  // Verification and recovery need no secret, so the library's static context is enough.
  const secp256k1_context* ctx = secp256k1_context_static;
  secp256k1_ecdsa_recoverable_signature parsed;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &parsed, signature.bytes.data(), recid)) {
    throw CryptoError("signature has r or s out of range");
  }
  secp256k1_pubkey pubkey;
  if (!secp256k1_ecdsa_recover(ctx, &pubkey, &parsed, digest.data())) {
    throw CryptoError("signature does not recover to a public key");
  }
  std::array<std::uint8_t, 65> uncompressed{};
  std::size_t length = uncompressed.size();
  secp256k1_ec_pubkey_serialize(ctx, uncompressed.data(), &length, &pubkey, SECP256K1_EC_UNCOMPRESSED);
  return Address::from_public_key(std::span<const std::uint8_t, 64>(uncompressed.data() + 1, 64));
}

std::optional<Address> try_recover_address(const Hash32& digest, const Signature& signature, HighS high_s) noexcept {
  try {
    return recover_address(digest, signature, high_s);
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace umpire::crypto
