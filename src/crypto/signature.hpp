// crypto/signature.hpp — 65-byte recoverable ECDSA signatures (r||s||v), public-key recovery, and verification
// against a known public key.
// Recovery uses libsecp256k1's static context: it needs no secret, so no key material is involved here.
#pragma once

#include "crypto/address.hpp"

namespace umpire::crypto {

struct Signature {
  std::array<std::uint8_t, 65> bytes{};  // r (32) || s (32) || v (1), v = 27 or 28 as produced here

  std::string to_hex() const;  // 0x + 130 lowercase hex digits
  // Parses 0x + 130 hex digits; throws CryptoError on any other length or non-hex input.
  static Signature parse(std::string_view text);

  friend bool operator==(const Signature&, const Signature&) = default;
};

// Whether recovery accepts signatures whose s is in the upper half of the curve order. Umpire rejects them
// (they are malleable twins of a valid signature); the ClearNode (go-ethereum's ecrecover) accepts them, so the
// devnode emulates it with `accept`.
enum class HighS { reject, accept };

// Recovers the signer of a 32-byte digest. v may be 0/1 or 27/28. Throws CryptoError with a clear message on a
// bad v, r or s out of range, high s (unless accepted), or a signature that recovers no key.
Address recover_address(const Hash32& digest, const Signature& signature, HighS high_s = HighS::reject);
std::optional<Address> try_recover_address(const Hash32& digest, const Signature& signature,
                                           HighS high_s = HighS::reject) noexcept;

// An uncompressed secp256k1 public key (x || y, 64 bytes), as recovered from a signature.
struct PublicKey {
  std::array<std::uint8_t, 64> xy{};
  Address address() const { return Address::from_public_key(xy); }
  friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

// The key that signed the digest, or nothing (same rules as recover_address).
std::optional<PublicKey> try_recover_public_key(const Hash32& digest, const Signature& signature,
                                                HighS high_s = HighS::reject) noexcept;

// Whether (r, s) is a valid signature of the digest by `key`. For a signer whose key is already known this is
// cheaper than recovering it (no square root, no keccak of the key: about 15% less CPU here), which matters for
// the ClearNode broker's signature on every frame. v must still be 0/1/27/28 but is not used: it only selects
// which key recovery yields, and the key is given.
bool verifies(const Hash32& digest, const Signature& signature, const PublicKey& key,
              HighS high_s = HighS::reject) noexcept;

}  // namespace umpire::crypto
