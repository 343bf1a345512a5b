#include "command_line/config_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lanlord::cli {

namespace {

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

Status parse_config_text(std::string_view text, std::string_view filename,
                         std::vector<ConfigEntry>& out) {
  out.clear();
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = std::string(filename) + ":" + std::to_string(line_number);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::error(where + ": expected 'key = value', got '" + std::string(line) + "'");
    }
    const std::string_view key = trim(line.substr(0, eq));
    if (key.empty()) return Status::error(where + ": missing key before '='");
    if (key.starts_with("-")) {
      return Status::error(where + ": write the key without dashes, e.g. 'port = 7676'");
    }
    out.push_back({std::string(key), std::string(trim(line.substr(eq + 1))), line_number});
  }
  return Status::ok();
}

Result<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == text.size())
        return Status::error("a backslash at the end of '" + std::string(text) +
                             "' escapes nothing");
      word += text[i];
    } else if (c == '\'') {
      const std::size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return Status::error("unterminated ' in '" + std::string(text) + "'");
      }
      word.append(text.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i == text.size())
          return Status::error("unterminated \" in '" + std::string(text) + "'");
        if (text[i] == '"') break;
        if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
          ++i;
        }
        word += text[i];
      }
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Status read_file(const std::string& path, std::string& contents) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot read config file " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Status::error("cannot read config file " + path);
  contents = buffer.str();
  return Status::ok();
}

}  // namespace lanlord::cli
