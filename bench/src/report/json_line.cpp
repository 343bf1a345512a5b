#include "report/json_line.hpp"

#include <cctype>

namespace lanlord::bench {

namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool at_end() {
    ws();
    return i_ == s_.size();
  }

  std::optional<std::string> string() {
    if (!eat('"')) return std::nullopt;
    std::string out;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return std::nullopt;
      const char e = s_[i_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          if (i_ + 4 > s_.size()) return std::nullopt;
          unsigned cp = 0;
          for (int k = 0; k < 4; ++k) {
            const char h = s_[i_++];
            if (!std::isxdigit(static_cast<unsigned char>(h))) return std::nullopt;
            cp = cp * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(h))
                                                     ? h - '0'
                                                     : (std::tolower(h) - 'a' + 10));
          }
          // Ids are bytes; the printer escapes only control characters.
          out += static_cast<char>(cp & 0xff);
          break;
        }
        default:
          out += e;
      }
    }
    return std::nullopt;
  }

  // Skips a nested object or array, strings included.
  bool skip_nested() {
    int depth = 0;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '"') {
        if (!string()) return false;
        continue;
      }
      ++i_;
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return true;
      }
    }
    return false;
  }

  std::optional<JsonValue> value() {
    ws();
    if (i_ >= s_.size()) return std::nullopt;
    JsonValue v;
    const char c = s_[i_];
    if (c == '"') {
      auto s = string();
      if (!s) return std::nullopt;
      v.kind = JsonValue::Kind::kString;
      v.text = std::move(*s);
    } else if (c == '{' || c == '[') {
      if (!skip_nested()) return std::nullopt;
      v.kind = JsonValue::Kind::kOther;
    } else if (s_.substr(i_, 4) == "true" || s_.substr(i_, 5) == "false") {
      v.kind = JsonValue::Kind::kBool;
      v.boolean = c == 't';
      i_ += v.boolean ? 4 : 5;
    } else if (s_.substr(i_, 4) == "null") {
      v.kind = JsonValue::Kind::kNull;
      i_ += 4;
    } else {
      const std::size_t start = i_;
      while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                                s_[i_] == '+' || s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) {
        ++i_;
      }
      if (i_ == start) return std::nullopt;
      v.kind = JsonValue::Kind::kNumber;
      v.text = std::string(s_.substr(start, i_ - start));
    }
    return v;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::optional<std::map<std::string, JsonValue>> parse_json_object(std::string_view line) {
  Parser p(line);
  std::map<std::string, JsonValue> out;
  if (!p.eat('{')) return std::nullopt;
  if (p.eat('}')) return p.at_end() ? std::optional(out) : std::nullopt;
  do {
    auto key = p.string();
    if (!key || !p.eat(':')) return std::nullopt;
    auto v = p.value();
    if (!v) return std::nullopt;
    out[*key] = std::move(*v);
  } while (p.eat(','));
  if (!p.eat('}') || !p.at_end()) return std::nullopt;
  return out;
}

}  // namespace lanlord::bench
