// JSON lines, written: what the CLI prints (the contract in cli/README.md)
// and what the benchmark writes. The reader is json_reader.hpp.
//
// This writer is lanlord's own, because the output contract is byte-exact
// and nlohmann::json's dump() cannot keep it: the contract writes "\ufffd"
// for each byte of an id that is not valid UTF-8 (dump() writes raw U+FFFD
// bytes, one per cut-short sequence) and escapes DEL and U+2028/U+2029
// while passing other non-ASCII text on (dump() escapes all non-ASCII or
// none of it), with keys in the order written.
//
//   std::cout << JsonObject().str("event", "leader").id("leader", id).text() << "\n";
//
// Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lanlord/peer_id.hpp"

namespace lanlord::app {

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

}  // namespace lanlord::app
