// wire/decimal.cpp — parsing, printing and checked arithmetic of Decimal.
#include "wire/decimal.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace umpire::wire {
namespace {

__extension__ typedef unsigned __int128 UInt128;

constexpr Int128 pow10(int n) {
  Int128 value = 1;
  for (int i = 0; i < n; ++i) value *= 10;
  return value;
}
constexpr Int128 kOne = pow10(Decimal::kScale);
constexpr Int128 kMax = static_cast<Int128>(~UInt128{0} >> 1);

// Appends decimal digits to a non-negative accumulator; false on overflow.
bool accumulate(Int128& acc, std::string_view digits) {
  for (char c : digits) {
    if (acc > (kMax - (c - '0')) / 10) return false;
    acc = acc * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::string int128_to_string(Int128 value) {
  const bool negative = value < 0;
  UInt128 magnitude = negative ? UInt128(0) - static_cast<UInt128>(value) : static_cast<UInt128>(value);
  std::string out;
  do {
    out.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  if (negative) out.push_back('-');
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<Decimal> Decimal::parse(std::string_view text) {
  std::size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) negative = text[pos++] == '-';
  std::string digits;  // integer and fractional digits, concatenated
  long long exponent = 0;
  bool any_digit = false;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    digits.push_back(text[pos++]);
    any_digit = true;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      digits.push_back(text[pos++]);
      --exponent;
      any_digit = true;
    }
  }
  if (!any_digit) return std::nullopt;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exp_negative = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) exp_negative = text[pos++] == '-';
    if (pos == text.size()) return std::nullopt;
    long long written = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      written = std::min<long long>(written * 10 + (text[pos++] - '0'), 1'000'000);  // saturate, never overflow
    }
    exponent += exp_negative ? -written : written;
  }
  if (pos != text.size()) return std::nullopt;

  // Strip leading zeros; an all-zero mantissa is zero whatever the exponent.
  const auto first = digits.find_first_not_of('0');
  if (first == std::string::npos) return Decimal();
  digits.erase(0, first);

  const long long shift = exponent + kScale;  // value × 10^18 = digits × 10^shift
  Int128 scaled = 0;
  if (shift >= 0) {
    if (shift > 40 || !accumulate(scaled, digits)) return std::nullopt;
    for (long long i = 0; i < shift; ++i) {
      if (scaled > kMax / 10) return std::nullopt;
      scaled *= 10;
    }
  } else {
    const auto drop = static_cast<std::size_t>(std::min<long long>(-shift, static_cast<long long>(digits.size()) + 1));
    if (drop > digits.size()) {
      scaled = 0;  // far below 10^-18: rounds to zero
    } else {
      const std::string_view kept(digits.data(), digits.size() - drop);
      if (!accumulate(scaled, kept)) return std::nullopt;
      if (digits[digits.size() - drop] >= '5') {  // half away from zero
        if (scaled == kMax) return std::nullopt;
        ++scaled;
      }
    }
  }
  return Decimal(negative ? -scaled : scaled);
}

Decimal Decimal::from_units(Int128 units, unsigned decimals) {
  if (decimals > static_cast<unsigned>(kScale)) throw DecimalOverflow("token decimals above 18 are not supported");
  const Int128 factor = pow10(kScale - static_cast<int>(decimals));
  Int128 scaled = 0;
  if (__builtin_mul_overflow(units, factor, &scaled)) throw DecimalOverflow("amount out of range");
  return Decimal(scaled);
}

std::optional<Int128> Decimal::to_units(unsigned decimals) const {
  if (decimals > static_cast<unsigned>(kScale)) return std::nullopt;
  const Int128 factor = pow10(kScale - static_cast<int>(decimals));
  if (scaled_ % factor != 0) return std::nullopt;
  return scaled_ / factor;
}

std::string Decimal::to_string() const {
  const bool negative = scaled_ < 0;
  const UInt128 magnitude = negative ? UInt128(0) - static_cast<UInt128>(scaled_) : static_cast<UInt128>(scaled_);
  std::string out = negative ? "-" : "";
  out += int128_to_string(static_cast<Int128>(magnitude / static_cast<UInt128>(kOne)));
  std::string fraction = int128_to_string(static_cast<Int128>(magnitude % static_cast<UInt128>(kOne)));
  fraction.insert(0, static_cast<std::size_t>(kScale) - fraction.size(), '0');
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

Decimal Decimal::operator+(const Decimal& other) const {
  Int128 sum = 0;
  if (__builtin_add_overflow(scaled_, other.scaled_, &sum)) throw DecimalOverflow("decimal addition overflow");
  return Decimal(sum);
}

Decimal Decimal::operator-(const Decimal& other) const {
  Int128 difference = 0;
  if (__builtin_sub_overflow(scaled_, other.scaled_, &difference)) throw DecimalOverflow("decimal subtraction overflow");
  return Decimal(difference);
}

Decimal Decimal::operator-() const { return Decimal() - *this; }

}  // namespace umpire::wire
