// wire/go_json.hpp — JSON text exactly as Go's encoding/json Marshal writes it: compact, HTML characters and
// U+2028/2029 escaped, invalid UTF-8 replaced by U+FFFD, integral numbers as integers, floats in Go's format.
// The node signs what Marshal emits, so anything we sign or hash on its behalf goes through here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace umpire::wire {

// Object members are written in the container's order: use ordered_json for Go structs (declaration order)
// and nlohmann::json for Go maps (Go sorts map keys bytewise, as std::map does).
std::string go_marshal(const nlohmann::ordered_json& value);
std::string go_marshal(const nlohmann::json& value);

std::string go_quote(std::string_view text);  // a Go-marshalled JSON string literal, quotes included
std::string go_format_float(double value);    // strconv 'f'/'e' shortest form as Marshal chooses it

}  // namespace umpire::wire
