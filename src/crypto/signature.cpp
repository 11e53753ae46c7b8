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

namespace {

secp256k1_ecdsa_recoverable_signature parse_recoverable(const Signature& signature, HighS high_s) {
  const int recid = recovery_id(signature.bytes[64]);
  if (high_s == HighS::reject && is_high_s(signature)) {
    throw CryptoError("signature has a high s value (non-canonical)");
  }
  secp256k1_ecdsa_recoverable_signature parsed;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(secp256k1_context_static, &parsed, signature.bytes.data(),
                                                           recid)) {
    throw CryptoError("signature has r or s out of range");
  }
  return parsed;
}

PublicKey recover_public_key(const Hash32& digest, const Signature& signature, HighS high_s) {
  const auto parsed = parse_recoverable(signature, high_s);
  // Verification and recovery need no secret, so the library's static context is enough.
  const secp256k1_context* ctx = secp256k1_context_static;
  secp256k1_pubkey pubkey;
  if (!secp256k1_ecdsa_recover(ctx, &pubkey, &parsed, digest.data())) {
    throw CryptoError("signature does not recover to a public key");
  }
  std::array<std::uint8_t, 65> uncompressed{};
  std::size_t length = uncompressed.size();
  secp256k1_ec_pubkey_serialize(ctx, uncompressed.data(), &length, &pubkey, SECP256K1_EC_UNCOMPRESSED);
  PublicKey key;
  std::copy(uncompressed.begin() + 1, uncompressed.end(), key.xy.begin());
  return key;
}

}  // namespace

Address recover_address(const Hash32& digest, const Signature& signature, HighS high_s) {
  return recover_public_key(digest, signature, high_s).address();
}

std::optional<Address> try_recover_address(const Hash32& digest, const Signature& signature, HighS high_s) noexcept {
  try {
    return recover_address(digest, signature, high_s);
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<PublicKey> try_recover_public_key(const Hash32& digest, const Signature& signature,
                                                HighS high_s) noexcept {
  try {
    return recover_public_key(digest, signature, high_s);
  } catch (...) {
    return std::nullopt;
  }
}

bool verifies(const Hash32& digest, const Signature& signature, const PublicKey& key, HighS high_s) noexcept {
  try {
    const secp256k1_context* ctx = secp256k1_context_static;
    const auto recoverable = parse_recoverable(signature, high_s);
    secp256k1_ecdsa_signature plain;
    secp256k1_ecdsa_recoverable_signature_convert(ctx, &plain, &recoverable);
    // secp256k1_ecdsa_verify accepts only low s. (r, s) and (r, n - s) are valid for the same key, so a high s
    // accepted above is checked as its low twin.
    secp256k1_ecdsa_signature_normalize(ctx, &plain, &plain);
    std::array<std::uint8_t, 65> uncompressed{};
    uncompressed[0] = 0x04;
    std::copy(key.xy.begin(), key.xy.end(), uncompressed.begin() + 1);
    secp256k1_pubkey pubkey;
    if (!secp256k1_ec_pubkey_parse(ctx, &pubkey, uncompressed.data(), uncompressed.size())) return false;
    return secp256k1_ecdsa_verify(ctx, &plain, digest.data(), &pubkey) == 1;
  } catch (...) {
    return false;
  }
}

}  // namespace umpire::crypto
