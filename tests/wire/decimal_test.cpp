// Decimal: parsing (plain, exponent, JSON-number text), shopspring-style printing, exact units, checked arithmetic.
#include <gtest/gtest.h>

#include "wire/decimal.hpp"

using umpire::wire::Decimal;

namespace {
std::string roundtrip(std::string_view text) {
  const auto value = Decimal::parse(text);
  return value ? value->to_string() : "<invalid>";
}
}  // namespace

TEST(Decimal, PrintsTrimmedLikeShopspring) {
  EXPECT_EQ(roundtrip("100.0"), "100");
  EXPECT_EQ(roundtrip("0.50"), "0.5");
  EXPECT_EQ(roundtrip("0"), "0");
  EXPECT_EQ(roundtrip("-0.000"), "0");
  EXPECT_EQ(roundtrip("-12.340"), "-12.34");
  EXPECT_EQ(roundtrip("007"), "7");
  EXPECT_EQ(roundtrip("+3."), "3");
  EXPECT_EQ(roundtrip(".25"), "0.25");
  EXPECT_EQ(roundtrip("0.000000000000000001"), "0.000000000000000001");
}

TEST(Decimal, AcceptsExponentNotation) {
  EXPECT_EQ(roundtrip("1e-7"), "0.0000001");
  EXPECT_EQ(roundtrip("2.5E3"), "2500");
  EXPECT_EQ(roundtrip("1e+20"), "100000000000000000000");
  EXPECT_EQ(roundtrip("0e99999999"), "0");
  EXPECT_EQ(roundtrip("1e-99999999"), "0");
}

TEST(Decimal, RoundsBeyondEighteenDigitsHalfAwayFromZero) {
  EXPECT_EQ(roundtrip("0.0000000000000000005"), "0.000000000000000001");
  EXPECT_EQ(roundtrip("-0.0000000000000000005"), "-0.000000000000000001");
  EXPECT_EQ(roundtrip("0.0000000000000000004"), "0");
}

TEST(Decimal, RejectsGarbageAndOverflow) {
  for (const char* bad : {"", "-", ".", "abc", "1.2.3", "1e", "1e+", "0x10", " 1", "1 ", "1,5", "NaN", "Infinity",
                          "1e21", "999999999999999999999"}) {
    EXPECT_FALSE(Decimal::parse(bad).has_value()) << bad;
  }
}

TEST(Decimal, ComparesAndAddsExactly) {
  const auto a = *Decimal::parse("0.1");
  const auto b = *Decimal::parse("0.2");
  EXPECT_EQ((a + b).to_string(), "0.3");
  EXPECT_EQ(a + b, *Decimal::parse("0.3"));
  EXPECT_LT(a, b);
  EXPECT_TRUE((a - b).is_negative());
  EXPECT_TRUE((a - a).is_zero());
  EXPECT_EQ((-a).to_string(), "-0.1");
  const auto huge = *Decimal::parse("170000000000000000000");
  EXPECT_THROW(huge + huge, umpire::wire::DecimalOverflow);
}

TEST(Decimal, ConvertsTokenUnitsExactly) {
  EXPECT_EQ(Decimal::from_units(1'500'000, 6).to_string(), "1.5");
  EXPECT_EQ(*Decimal::parse("1.5")->to_units(6), 1'500'000);
  EXPECT_FALSE(Decimal::parse("1.0000001")->to_units(6).has_value());
  EXPECT_EQ(*Decimal::parse("-2")->to_units(0), -2);
  EXPECT_FALSE(Decimal::parse("1")->to_units(19).has_value());
}
