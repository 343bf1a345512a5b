// JSON lines, read: one object per line, as `lanlord ... --json` and the
// benchmark write them (json_writer.hpp). A thin layer over nlohmann::json
// (Debian's nlohmann-json3-dev), a complete, tested parser, so a reader
// sees nested values, numbers and escapes exactly:
//
//   nlohmann::json event;
//   if (Status s = lanlord::app::parse_json_object(line, event); !s) ...;
//   if (lanlord::app::json_field<std::string>(event, "event") == "leader") {
//     // empty for null, as for a missing field
//     std::optional<std::string> leader = json_field<std::string>(event, "leader");
//   }
//
// or a whole file: read_json_lines(in, "run.jsonl", [](const nlohmann::json& o,
// std::size_t line) { ...; return Status::ok(); }).
//
// Pure; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "lanlord/status.hpp"

namespace lanlord::app {

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
// for nlohmann::json; an integer that does not fit T is converted as by
// static_cast. Empty otherwise (missing, null, another type, not an
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
