#include "lanlord/app/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

#include "lanlord/app/utf8.hpp"

namespace lanlord::app {

namespace {

void append_hex(std::string& out, unsigned value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kDigits[(value >> shift) & 0xF];
}

}  // namespace

std::string json_quote(std::string_view bytes) {
  std::string out = "\"";
  out.reserve(bytes.size() + 2);
  for (std::size_t i = 0; i < bytes.size();) {
    char32_t cp = 0;
    const std::size_t len = utf8_sequence(bytes, i, cp);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        // U+2028/2029 are valid JSON but end lines in JavaScript; DEL and
        // C0 controls would reach a terminal that tails the output.
        if (cp < 0x20 || cp == 0x7F || cp == 0x2028 || cp == 0x2029) {
          append_hex(out, static_cast<unsigned>(cp));
        } else {
          out.append(bytes.substr(i, len));
        }
    }
    i += len;
  }
  return out + "\"";
}

void JsonObject::key(std::string_view key) {
  if (body_.size() > 1) body_ += ',';
  body_ += json_quote(key);
  body_ += ':';
}

JsonObject& JsonObject::str(std::string_view k, std::string_view value) {
  key(k);
  body_ += json_quote(value);
  return *this;
}

JsonObject& JsonObject::id(std::string_view k, const std::optional<PeerId>& value) {
  key(k);
  body_ += value ? json_quote(value->bytes()) : "null";
  return *this;
}

JsonObject& JsonObject::boolean(std::string_view k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::number(std::string_view k, std::int64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::decimal(std::string_view k, double value) {
  if (!std::isfinite(value)) return null(k);
  key(k);
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  body_.append(buffer, ec == std::errc() ? end : buffer);
  return *this;
}

JsonObject& JsonObject::null(std::string_view k) {
  key(k);
  body_ += "null";
  return *this;
}

JsonObject& JsonObject::strings(std::string_view k, const std::vector<std::string>& values) {
  key(k);
  body_ += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) body_ += ',';
    body_ += json_quote(values[i]);
  }
  body_ += ']';
  return *this;
}

JsonObject& JsonObject::object(std::string_view k, const JsonObject& value) {
  return raw(k, value.text());
}

JsonObject& JsonObject::raw(std::string_view k, std::string_view json) {
  key(k);
  body_ += json;
  return *this;
}

}  // namespace lanlord::app
