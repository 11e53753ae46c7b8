// crypto/signature.hpp — 65-byte recoverable ECDSA signatures (r||s||v) and public-key recovery.
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

}  // namespace umpire::crypto
