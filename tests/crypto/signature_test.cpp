// Signing and recovery: v forms, high-s rejection, malformed signatures.
#include <gtest/gtest.h>

#include "crypto/eth_messages.hpp"

using namespace umpire::crypto;

namespace {
const PrivateKey& hardhat1() {
  static const PrivateKey key =
      PrivateKey::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  return key;
}
const Hash32 kDigest = keccak256(std::string_view{R"([3,"get_ledger_balances",{},1733412346000])"});

// s' = n - s and v flipped: the malleable twin of a valid signature.
Signature high_s_twin(Signature signature) {
  static const std::array<std::uint8_t, 32> order = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
      0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int value = order[i] - signature.bytes[32 + i] - borrow;
    borrow = value < 0;
    signature.bytes[32 + i] = static_cast<std::uint8_t>(value + (borrow ? 256 : 0));
  }
  signature.bytes[64] = signature.bytes[64] == 27 ? 28 : 27;
  return signature;
}
}  // namespace

TEST(Signature, SignsTheNotesVectorDeterministically) {
  const Signature signature = hardhat1().sign_digest(kDigest);
  EXPECT_EQ(signature.to_hex(),
            "0xcf348705a6bf62256828242bbe5c5c89c0b49dce0cb4d6fc22e4e415aa67bd760cd16ccc91f5e06ac4d42947082d5aa0d4f1e2f037bcc70a82a14429b860570c1c");
  EXPECT_EQ(recover_address(kDigest, signature).checksum(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
}

TEST(Signature, RecoveryAcceptsVAsZeroOneOr27And28) {
  Signature signature = hardhat1().sign_digest(kDigest);
  ASSERT_TRUE(signature.bytes[64] == 27 || signature.bytes[64] == 28);
  const Address expected = hardhat1().address();
  signature.bytes[64] -= 27;
  EXPECT_EQ(recover_address(kDigest, signature), expected);
  signature.bytes[64] = 2;
  EXPECT_THROW(recover_address(kDigest, signature), CryptoError);
  signature.bytes[64] = 29;
  EXPECT_THROW(recover_address(kDigest, signature), CryptoError);
}

TEST(Signature, HighSIsRejectedByDefaultAndAcceptedOnRequest) {
  const Signature low = hardhat1().sign_digest(kDigest);
  const Signature high = high_s_twin(low);
  try {
    recover_address(kDigest, high);
    FAIL() << "high-s accepted";
  } catch (const CryptoError& error) {
    EXPECT_NE(std::string(error.what()).find("high s"), std::string::npos);
  }
  EXPECT_EQ(recover_address(kDigest, high, HighS::accept), hardhat1().address());
}

TEST(Signature, MalformedSignaturesGiveClearErrors) {
  EXPECT_THROW(Signature::parse("0x1234"), CryptoError);
  EXPECT_THROW(Signature::parse(std::string(132, 'z')), CryptoError);
  Signature zero;  // r = s = 0
  zero.bytes[64] = 27;
  EXPECT_THROW(recover_address(kDigest, zero), CryptoError);
  Signature overflow;  // r = s = 2^256 - 1, above the curve order
  overflow.bytes.fill(0xff);
  overflow.bytes[64] = 27;
  EXPECT_FALSE(try_recover_address(kDigest, overflow, HighS::accept));
}

TEST(Signature, TamperedDigestRecoversSomeoneElse) {
  const Signature signature = hardhat1().sign_digest(kDigest);
  Hash32 other = kDigest;
  other[0] ^= 1;
  const auto recovered = try_recover_address(other, signature);
  EXPECT_NE(recovered, std::optional<Address>(hardhat1().address()));
}

TEST(Signature, HexRoundTrip) {
  const Signature signature = hardhat1().sign_digest(kDigest);
  EXPECT_EQ(Signature::parse(signature.to_hex()), signature);
}

TEST(Signature, VerificationAgainstAKnownKeyAgreesWithRecovery) {
  const Signature signature = hardhat1().sign_digest(kDigest);
  const auto key = try_recover_public_key(kDigest, signature);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->address(), hardhat1().address());
  EXPECT_TRUE(verifies(kDigest, signature, *key));

  Hash32 other_digest = kDigest;
  other_digest[31] ^= 1;
  EXPECT_FALSE(verifies(other_digest, signature, *key)) << "a signature of another digest";
  const auto stranger = try_recover_public_key(kDigest, PrivateKey::generate().sign_digest(kDigest));
  ASSERT_TRUE(stranger);
  EXPECT_FALSE(verifies(kDigest, signature, *stranger)) << "someone else's key";

  // The malleable twin: refused by default, accepted (as recovery accepts it) on request.
  const Signature high = high_s_twin(signature);
  EXPECT_FALSE(verifies(kDigest, high, *key));
  EXPECT_TRUE(verifies(kDigest, high, *key, HighS::accept));

  Signature bad_v = signature;
  bad_v.bytes[64] = 29;
  EXPECT_FALSE(verifies(kDigest, bad_v, *key));
  Signature overflow;
  overflow.bytes.fill(0xff);
  overflow.bytes[64] = 27;
  EXPECT_FALSE(verifies(kDigest, overflow, *key, HighS::accept));
  PublicKey off_curve;  // (0, 0) is not a point of the curve
  EXPECT_FALSE(verifies(kDigest, signature, off_curve));
}
