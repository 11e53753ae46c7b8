// wire/envelope.cpp — member scanning over validated JSON text and the Go-faithful request-frame decoder.
#include "wire/envelope.hpp"

#include <cctype>

#include "wire/go_json.hpp"

namespace umpire::wire {
namespace {

std::size_t skip_ws(std::string_view s, std::size_t pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) ++pos;
  return pos;
}

std::size_t skip_string(std::string_view s, std::size_t pos) {  // pos at the opening quote
  for (++pos; pos < s.size(); ++pos) {
    if (s[pos] == '\\') ++pos;
    else if (s[pos] == '"') return pos + 1;
  }
  return s.size();
}

// End of the value starting at `pos`. Only called on text already accepted as JSON.
std::size_t skip_value(std::string_view s, std::size_t pos) {
  if (s[pos] == '"') return skip_string(s, pos);
  if (s[pos] == '{' || s[pos] == '[') {
    int depth = 0;
    while (pos < s.size()) {
      const char c = s[pos];
      if (c == '"') { pos = skip_string(s, pos); continue; }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return pos + 1;
      }
      ++pos;
    }
    return pos;
  }
  while (pos < s.size() && s[pos] != ',' && s[pos] != ']' && s[pos] != '}' && s[pos] != ' ' && s[pos] != '\t' &&
         s[pos] != '\n' && s[pos] != '\r') {
    ++pos;
  }
  return pos;
}

struct Member {
  std::string key;  // unescaped
  std::string_view value;
};

// Members of a valid JSON object text, in order.
std::vector<Member> object_members(std::string_view object) {
  std::vector<Member> members;
  std::size_t pos = skip_ws(object, 1);
  while (pos < object.size() && object[pos] == '"') {
    const std::size_t key_end = skip_string(object, pos);
    Member member;
    member.key = nlohmann::json::parse(object.substr(pos, key_end - pos)).get<std::string>();
    pos = skip_ws(object, skip_ws(object, key_end) + 1);  // past ':'
    const std::size_t value_end = skip_value(object, pos);
    member.value = object.substr(pos, value_end - pos);
    members.push_back(std::move(member));
    pos = skip_ws(object, value_end);
    if (pos < object.size() && object[pos] == ',') pos = skip_ws(object, pos + 1);
  }
  return members;
}

// Elements of a valid JSON array text, raw.
std::vector<std::string_view> array_elements(std::string_view array) {
  std::vector<std::string_view> elements;
  std::size_t pos = skip_ws(array, 1);
  while (pos < array.size() && array[pos] != ']') {
    const std::size_t end = skip_value(array, pos);
    elements.push_back(array.substr(pos, end - pos));
    pos = skip_ws(array, end);
    if (pos < array.size() && array[pos] == ',') pos = skip_ws(array, pos + 1);
  }
  return elements;
}

bool fold_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Go decoding a JSON literal into uint64: digits only, in range; null leaves zero.
bool decode_uint64(std::string_view raw, std::uint64_t& out) {
  if (raw == "null") return true;
  if (raw.empty() || raw.size() > 20) return false;
  std::uint64_t value = 0;
  for (char c : raw) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  out = value;
  return true;
}

struct DecodedData {
  std::uint64_t id = 0;
  std::string method;
  nlohmann::json params;
  std::uint64_t timestamp = 0;
};

// RPCData.UnmarshalJSON: fills `data` in element order and stops at the first failure (id may already be set).
bool decode_rpc_data(std::string_view raw, DecodedData& data) {
  if (raw.empty() || raw.front() != '[') return false;
  const auto elements = array_elements(raw);
  if (elements.size() != 4) return false;
  if (!decode_uint64(elements[0], data.id)) return false;
  if (elements[1] != "null") {
    if (elements[1].front() != '"') return false;
    data.method = nlohmann::json::parse(elements[1]).get<std::string>();
  }
  data.params = nlohmann::json::parse(elements[2]);
  return decode_uint64(elements[3], data.timestamp);
}

}  // namespace

bool is_hex_signature_text(std::string_view text) {
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X') || text.size() % 2 != 0) return false;
  for (std::size_t i = 2; i < text.size(); ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::optional<std::string_view> find_top_level_member(std::string_view frame, std::string_view key) {
  if (!nlohmann::json::accept(frame)) return std::nullopt;
  return find_top_level_member_of_valid_json(frame, key);
}

std::optional<std::string_view> find_top_level_member_of_valid_json(std::string_view frame, std::string_view key) {
  const std::size_t start = skip_ws(frame, 0);
  if (frame[start] != '{') return std::nullopt;
  std::optional<std::string_view> found;
  for (const auto& member : object_members(frame.substr(start))) {
    if (member.key == key) found = member.value;
  }
  return found;
}

std::variant<RequestFrame, FrameRejection> parse_request_frame(std::string_view frame) {
  const auto invalid = [](std::optional<DecodedData>& req) {
    std::optional<std::uint64_t> id;
    if (req && req->id != 0) id = req->id;
    return FrameRejection{FrameFault::invalid_format, id};
  };
  std::optional<DecodedData> req;
  if (!nlohmann::json::accept(frame)) return invalid(req);
  const std::size_t start = skip_ws(frame, 0);
  if (frame[start] != '{') return invalid(req);

  std::string_view raw_req;
  bool has_res = false;
  bool type_error = false;  // Go records these and keeps decoding, then fails the whole Unmarshal
  std::vector<std::string> signatures;
  for (const auto& member : object_members(frame.substr(start))) {
    const std::string_view value = member.value;
    if (fold_equals(member.key, "req")) {
      if (value == "null") { req.reset(); continue; }
      req.emplace();
      if (!decode_rpc_data(value, *req)) return invalid(req);
      raw_req = value;
    } else if (fold_equals(member.key, "res")) {
      if (value == "null") { has_res = false; continue; }
      DecodedData ignored;
      if (!decode_rpc_data(value, ignored)) return invalid(req);
      has_res = true;
    } else if (fold_equals(member.key, "sid")) {
      if (value != "null" && value.front() != '"') type_error = true;
    } else if (fold_equals(member.key, "sig")) {
      if (value == "null") { signatures.clear(); continue; }
      if (value.front() != '[') { type_error = true; continue; }
      signatures.clear();
      for (const auto element : array_elements(value)) {
        if (element.front() != '"') return invalid(req);
        auto text = nlohmann::json::parse(element).get<std::string>();
        if (!is_hex_signature_text(text)) return invalid(req);
        signatures.push_back(std::move(text));
      }
    }
  }
  if (type_error) return invalid(req);
  if (!req || has_res || req->id == 0 || req->timestamp == 0 || req->method.empty() || req->params.is_null()) {
    return FrameRejection{FrameFault::validation_failed, std::nullopt};
  }
  RequestFrame out;
  out.raw_req = std::string(raw_req);
  out.id = req->id;
  out.method = std::move(req->method);
  out.params = std::move(req->params);
  out.timestamp_ms = req->timestamp;
  out.signatures = std::move(signatures);
  return out;
}

std::string build_payload(std::uint64_t id, std::string_view method, std::string_view params_json,
                          std::uint64_t timestamp_ms) {
  std::string out = "[" + std::to_string(id) + ",";
  out += go_quote(method);
  out += ",";
  out += params_json;
  out += "," + std::to_string(timestamp_ms) + "]";
  return out;
}

std::string build_frame(std::string_view member, std::string_view payload, std::span<const std::string> signatures_hex) {
  std::string out = "{" + go_quote(member) + ":";
  out += payload;
  out += ",\"sig\":[";
  for (std::size_t i = 0; i < signatures_hex.size(); ++i) {
    if (i != 0) out += ",";
    out += go_quote(signatures_hex[i]);
  }
  out += "]}";
  return out;
}

}  // namespace umpire::wire
