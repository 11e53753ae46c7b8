// devnode/json_fields.hpp — decoding request params the way the node's parseParams does (generic decode through
// float64, then into typed Go fields: null/missing → zero value, wrong type → ParamError), and small reply
// formatting helpers (Go's RFC3339Nano time text).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "wire/decimal.hpp"

namespace umpire::devnode {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Params must decode into a struct: an object, or null (all fields zero). Arrays and scalars throw ParamError.
const Json& params_object(const Json& params);

std::string string_field(const Json& object, const char* key);                   // missing/null → ""
std::optional<std::string> optional_string_field(const Json& object, const char* key);  // *string: null → nullopt
std::uint64_t uint64_field(const Json& object, const char* key);
std::int64_t int64_field(const Json& object, const char* key);
std::optional<std::vector<std::string>> string_list_field(const Json& object, const char* key);  // null → nullopt
std::optional<std::vector<std::int64_t>> int64_list_field(const Json& object, const char* key);
// A decimal.Decimal field: a string or a JSON number (through float64, as the node sees it); null → 0.
wire::Decimal decimal_value(const Json& value);
wire::Decimal decimal_field(const Json& object, const char* key);
// Elements of an array field as objects (null elements decode to empty objects); missing/null → empty.
std::vector<Json> object_list_field(const Json& object, const char* key);

// Go's time.Time JSON text for a UTC instant in Unix ms, e.g. "2025-12-05T10:00:00.5Z".
std::string rfc3339(std::int64_t unix_ms);

}  // namespace umpire::devnode
