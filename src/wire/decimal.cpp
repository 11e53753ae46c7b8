// wire/decimal.cpp — parsing, printing and checked arithmetic of Decimal.
#include "wire/decimal.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <limits>
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

// Appends the digits of a non-negative value, padded with zeros to at least min_digits. Works in 64-bit chunks of
// 19 digits (at most two 128-bit divisions) rather than a 128-bit division per digit: printing amounts that way was
// 4% of the event loop's instructions at the end of each game (callgrind, 2026-12-08).
void append_digits(std::string& out, UInt128 magnitude, std::size_t min_digits = 0) {
  constexpr std::uint64_t kChunk = 10'000'000'000'000'000'000ULL;  // 10^19, the largest power of ten in 64 bits
  constexpr std::size_t kChunkDigits = 19;
  if (magnitude > std::numeric_limits<std::uint64_t>::max()) {
    const std::size_t high_digits = min_digits > kChunkDigits ? min_digits - kChunkDigits : 0;
    append_digits(out, magnitude / kChunk, high_digits);
    append_digits(out, magnitude % kChunk, kChunkDigits);
    return;
  }
  char digits[20];
  const auto [end, error] = std::to_chars(std::begin(digits), std::end(digits), static_cast<std::uint64_t>(magnitude));
  const auto length = static_cast<std::size_t>(end - digits);
  if (length < min_digits) out.append(min_digits - length, '0');
  out.append(digits, length);
}

}  // namespace

std::string int128_to_string(Int128 value) {
  const bool negative = value < 0;
  const UInt128 magnitude = negative ? UInt128(0) - static_cast<UInt128>(value) : static_cast<UInt128>(value);
  std::string out;
  if (negative) out.push_back('-');
  append_digits(out, magnitude);
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
  std::string out;
  if (negative) out.push_back('-');
  append_digits(out, magnitude / static_cast<UInt128>(kOne));
  const auto fraction = magnitude % static_cast<UInt128>(kOne);
  if (fraction != 0) {
    out.push_back('.');
    append_digits(out, fraction, static_cast<std::size_t>(kScale));
    while (out.back() == '0') out.pop_back();  // the fraction is not zero, so this stops inside it
  }
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
