// devnode/json_fields.cpp — Go-struct decoding helpers and time text.
#include "devnode/json_fields.hpp"

#include <cmath>
#include <ctime>

#include "devnode/rpc_error.hpp"
#include "wire/go_json.hpp"

namespace umpire::devnode {
namespace {

const Json* member(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

// Every params number went through float64 before reaching a typed field.
double as_float64(const Json& value, const char* key) {
  if (!value.is_number()) throw ParamError(std::string("field ") + key + " is not a number");
  return value.get<double>();
}

std::uint64_t to_uint64(const Json& value, const char* key) {
  const double d = as_float64(value, key);
  if (!(d >= 0 && d < 18446744073709551616.0) || std::floor(d) != d) {
    throw ParamError(std::string("field ") + key + " is not a uint64");
  }
  return static_cast<std::uint64_t>(d);
}

std::int64_t to_int64(const Json& value, const char* key) {
  const double d = as_float64(value, key);
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || std::floor(d) != d) {
    throw ParamError(std::string("field ") + key + " is not an int64");
  }
  return static_cast<std::int64_t>(d);
}

}  // namespace

const Json& params_object(const Json& params) {
  static const Json empty = Json::object();  // an immutable constant, not shared state
  if (params.is_null()) return empty;
  if (!params.is_object()) throw ParamError("params must be an object");
  return params;
}

std::string string_field(const Json& object, const char* key) {
  const Json* value = member(object, key);
  if (!value) return {};
  if (!value->is_string()) throw ParamError(std::string("field ") + key + " is not a string");
  return value->get<std::string>();
}

std::optional<std::string> optional_string_field(const Json& object, const char* key) {
  if (!member(object, key)) return std::nullopt;
  return string_field(object, key);
}

std::uint64_t uint64_field(const Json& object, const char* key) {
  const Json* value = member(object, key);
  return value ? to_uint64(*value, key) : 0;
}

std::int64_t int64_field(const Json& object, const char* key) {
  const Json* value = member(object, key);
  return value ? to_int64(*value, key) : 0;
}

std::optional<std::vector<std::string>> string_list_field(const Json& object, const char* key) {
  const Json* value = member(object, key);
  if (!value) return std::nullopt;
  if (!value->is_array()) throw ParamError(std::string("field ") + key + " is not an array");
  std::vector<std::string> out;
  for (const auto& element : *value) {
    if (element.is_null()) out.emplace_back();
    else if (element.is_string()) out.push_back(element.get<std::string>());
    else throw ParamError(std::string("field ") + key + " holds a non-string");
  }
  return out;
}

std::optional<std::vector<std::int64_t>> int64_list_field(const Json& object, const char* key) {
  const Json* value = member(object, key);
  if (!value) return std::nullopt;
  if (!value->is_array()) throw ParamError(std::string("field ") + key + " is not an array");
  std::vector<std::int64_t> out;
  for (const auto& element : *value) out.push_back(element.is_null() ? 0 : to_int64(element, key));
  return out;
}

wire::Decimal decimal_value(const Json& value) {
  if (value.is_null()) return {};
  std::optional<wire::Decimal> parsed;
  if (value.is_string()) parsed = wire::Decimal::parse(value.get_ref<const std::string&>());
  else if (value.is_number()) parsed = wire::Decimal::parse(wire::go_format_float(value.get<double>()));
  if (!parsed) throw ParamError("invalid decimal");
  return *parsed;
}

wire::Decimal decimal_field(const Json& object, const char* key) {
  const Json* value = member(object, key);
  return value ? decimal_value(*value) : wire::Decimal();
}

std::vector<Json> object_list_field(const Json& object, const char* key) {
  const Json* value = member(object, key);
  if (!value) return {};
  if (!value->is_array()) throw ParamError(std::string("field ") + key + " is not an array");
  std::vector<Json> out;
  for (const auto& element : *value) {
    if (element.is_null()) out.push_back(Json::object());
    else if (element.is_object()) out.push_back(element);
    else throw ParamError(std::string("field ") + key + " holds a non-object");
  }
  return out;
}

std::string rfc3339(std::int64_t unix_ms) {
  const std::int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  const int millis = static_cast<int>(unix_ms - seconds * 1000);
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out = buffer;
  if (millis != 0) {
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%03d", millis);
    std::string text = fraction;
    while (text.back() == '0') text.pop_back();
    out += text;
  }
  return out + "Z";
}

}  // namespace umpire::devnode
