// Address parsing and EIP-55 checksums.
#include <gtest/gtest.h>

#include "crypto/address.hpp"

using namespace umpire::crypto;

TEST(Address, ChecksumMatchesEip55Examples) {
  // The examples from the EIP-55 specification.
  for (const char* text : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                           "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    EXPECT_EQ(Address::parse(text).checksum(), text);
    EXPECT_TRUE(is_checksummed(text));
  }
}

TEST(Address, AcceptsAllLowerAndAllUpperCase) {
  const auto lower = Address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  const auto upper = Address::parse("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED");
  EXPECT_EQ(lower, upper);
  EXPECT_EQ(lower.checksum(), "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  EXPECT_EQ(lower.lowercase(), "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  EXPECT_FALSE(is_checksummed("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
}

TEST(Address, RejectsBadChecksumInMixedCase) {
  try {
    Address::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");
    FAIL() << "bad checksum accepted";
  } catch (const CryptoError& error) {
    EXPECT_NE(std::string(error.what()).find("checksum"), std::string::npos);
  }
}

TEST(Address, RejectsWrongLengthMissingPrefixAndNonHex) {
  EXPECT_THROW(Address::parse("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), CryptoError);
  EXPECT_THROW(Address::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA"), CryptoError);
  EXPECT_THROW(Address::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedaa"), CryptoError);
  EXPECT_THROW(Address::parse("0xgaaeb6053f3e94c9b9a09f33669435e7ef1beaed"), CryptoError);
  EXPECT_FALSE(Address::try_parse(""));
}
