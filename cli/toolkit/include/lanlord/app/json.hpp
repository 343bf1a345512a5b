// JSON lines for lanlord's programs: the CLI writes one object per line
// (the contract in cli/README.md), the benchmark writes its rows and reads
// the CLI's events and its own rows back.
//
// Writing is lanlord's own (JsonObject, json_quote), because the output
// contract is byte-exact and nlohmann::json's dump() cannot keep it: the
// contract writes "\ufffd" for each byte of an id that is not valid UTF-8
// (dump() writes raw U+FFFD bytes, one per cut-short sequence) and escapes
// DEL and U+2028/U+2029 while passing other non-ASCII text on (dump()
// escapes all non-ASCII or none of it), with keys in the order written.
//
// Reading is nlohmann::json (Debian's nlohmann-json3-dev): a complete,
// tested parser, so a reader sees nested values, numbers and escapes
// exactly. Typical use:
//
//   nlohmann::json event;
//   if (Status s = lanlord::app::parse_json_object(line, event); !s) ...;
//   if (lanlord::app::json_field<std::string>(event, "event") == "leader") {
//     std::optional<std::string> leader = json_field<std::string>(event, "leader");
//     ...  // empty for null, as for a missing field
//   }
//
// Every function here is pure and may be called from any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "lanlord/peer_id.hpp"
#include "lanlord/status.hpp"

namespace lanlord::app {

// ---------------------------------------------------------------------------
// Writing

// `bytes` as a JSON string literal, quotes included. Ids are arbitrary
// bytes but JSON text must be UTF-8: valid UTF-8 passes through, control
// characters, DEL and U+2028/U+2029 are escaped, and each byte that is not
// part of valid UTF-8 becomes U+FFFD (written "\ufffd").
std::string json_quote(std::string_view bytes);

// Builds one JSON object, keys in insertion order, no blanks. Keys are
// trusted literals (quoted, not checked for duplicates).
class JsonObject {
 public:
  JsonObject& str(std::string_view key, std::string_view value);
  JsonObject& id(std::string_view key, const std::optional<PeerId>& value);  // null when empty
  JsonObject& boolean(std::string_view key, bool value);
  JsonObject& number(std::string_view key, std::int64_t value);
  // The shortest decimal that reads back as `value`; null when not finite.
  JsonObject& decimal(std::string_view key, double value);
  JsonObject& null(std::string_view key);
  JsonObject& strings(std::string_view key, const std::vector<std::string>& values);
  JsonObject& object(std::string_view key, const JsonObject& value);
  // `json` must already be valid JSON (e.g. an array of text() results).
  JsonObject& raw(std::string_view key, std::string_view json);
  // The object so far, "{...}", without a newline.
  std::string text() const { return body_ + "}"; }
  bool empty() const { return body_.size() == 1; }

 private:
  void key(std::string_view key);
  std::string body_ = "{";
};

// ---------------------------------------------------------------------------
// Reading

// Parses `line` (one line, surrounding blanks allowed) as one JSON object.
// Errors: not JSON ("not JSON: <parser's reason>"), or JSON that is not an
// object ("not a JSON object"). On error `out` is left alone.
Status parse_json_object(std::string_view line, nlohmann::json& out);

// Reads `in` to its end, one JSON object per line (JSON lines), and calls
// `each` with every object and its 1-based line number; blank lines are
// skipped. Stops at the first line that is not an object (the message is
// "<source>:<line>: " and parse_json_object()'s) or at the first error
// `each` returns (passed back as it is). A read error of `in` is reported too.
using JsonLineHandler = std::function<Status(const nlohmann::json& object, std::size_t line)>;
Status read_json_lines(std::istream& in, std::string_view source, const JsonLineHandler& each);

// `object[key]` as a T when it exists and has T's JSON type: a string for
// std::string, a boolean for bool, an integer for integral T (and
// non-negative for unsigned T), any number for floating-point T, anything
// for nlohmann::json. Empty otherwise (missing, null, another type, not an
// object). Never throws.
template <class T>
std::optional<T> json_field(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(std::string(key));
  if (it == object.end()) return std::nullopt;
  const nlohmann::json& v = *it;
  if constexpr (std::is_same_v<T, nlohmann::json>) {
    return v;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (v.is_string()) return v.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (v.is_boolean()) return v.get<bool>();
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    if (v.is_number_unsigned()) return v.get<T>();
  } else if constexpr (std::is_integral_v<T>) {
    if (v.is_number_integer()) return v.get<T>();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v.is_number()) return v.get<T>();
  } else {
    static_assert(std::is_same_v<T, void>, "json_field: unsupported type");
  }
  return std::nullopt;
}

}  // namespace lanlord::app
