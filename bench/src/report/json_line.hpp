// Reads the flat JSON objects `lanlord join --json` prints, one per line:
// top-level keys with string, number, boolean or null values. Nested
// values are skipped whole. Enough for the events; not a JSON library.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lanlord::bench {

struct JsonValue {
  enum class Kind { kString, kNumber, kBool, kNull, kOther } kind = Kind::kNull;
  std::string text;  // kString: the unescaped string; kNumber: its digits
  bool boolean = false;
};

// Empty when `line` is not a JSON object.
std::optional<std::map<std::string, JsonValue>> parse_json_object(std::string_view line);

}  // namespace lanlord::bench
