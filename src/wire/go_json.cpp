// wire/go_json.cpp — the encoder behind go_json.hpp.
#include "wire/go_json.hpp"

#include <charconv>
#include <cmath>

namespace umpire::wire {
namespace {

// Decodes one UTF-8 sequence at `pos` as Go's utf8.DecodeRuneInString does; returns (rune, length) or
// (-1, 1) for an invalid byte (overlong forms, surrogates and values above U+10FFFF are invalid).
std::pair<long, std::size_t> decode_rune(std::string_view s, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(pos);
  if (b0 < 0x80) return {b0, 1};
  const auto continuation = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF && continuation(pos + 1)) return {((b0 & 0x1F) << 6) | (byte(pos + 1) & 0x3F), 2};
  if (b0 >= 0xE0 && b0 <= 0xEF && continuation(pos + 1) && continuation(pos + 2)) {
    const long r = ((b0 & 0x0F) << 12) | ((byte(pos + 1) & 0x3F) << 6) | (byte(pos + 2) & 0x3F);
    if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) return {r, 3};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4 && continuation(pos + 1) && continuation(pos + 2) && continuation(pos + 3)) {
    const long r = ((b0 & 0x07L) << 18) | ((byte(pos + 1) & 0x3FL) << 12) | ((byte(pos + 2) & 0x3FL) << 6) |
                   (byte(pos + 3) & 0x3FL);
    if (r >= 0x10000 && r <= 0x10FFFF) return {r, 4};
  }
  return {-1, 1};
}

void append_quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    const auto [rune, length] = decode_rune(s, i);
    if (rune < 0) {
      out += "\\ufffd";
    } else if (rune == 0x2028 || rune == 0x2029) {
      out += rune == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, length));
    }
    i += length;
  }
  out.push_back('"');
}

template <class Json>
void append_value(std::string& out, const Json& value) {
  using nlohmann::detail::value_t;
  switch (value.type()) {
    case value_t::null:
    case value_t::discarded: out += "null"; return;
    case value_t::boolean: out += value.template get<bool>() ? "true" : "false"; return;
    case value_t::number_integer: out += std::to_string(value.template get<std::int64_t>()); return;
    case value_t::number_unsigned: out += std::to_string(value.template get<std::uint64_t>()); return;
    case value_t::number_float: out += go_format_float(value.template get<double>()); return;
    case value_t::string: append_quoted(out, value.template get_ref<const std::string&>()); return;
    case value_t::binary: out += "null"; return;
    case value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& element : value) {
        if (!first) out.push_back(',');
        first = false;
        append_value(out, element);
      }
      out.push_back(']');
      return;
    }
    case value_t::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        append_quoted(out, it.key());
        out.push_back(':');
        append_value(out, it.value());
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

std::string go_format_float(double value) {
  if (!std::isfinite(value)) return "null";  // Marshal refuses these; we never produce them
  const double magnitude = std::fabs(value);
  const bool scientific = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21);
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value,
                                    scientific ? std::chars_format::scientific : std::chars_format::fixed);
  std::string text(buffer, result.ptr);
  if (scientific) {  // Go writes e-07 as e-7
    const auto e = text.find('e');
    if (e != std::string::npos && e + 3 < text.size() + 1 && text.size() - e == 4 && text[e + 2] == '0') {
      text.erase(e + 2, 1);
    }
  }
  return text;
}

std::string go_quote(std::string_view text) {
  std::string out;
  append_quoted(out, text);
  return out;
}

std::string go_marshal(const nlohmann::ordered_json& value) {
  std::string out;
  append_value(out, value);
  return out;
}

std::string go_marshal(const nlohmann::json& value) {
  std::string out;
  append_value(out, value);
  return out;
}

}  // namespace umpire::wire
