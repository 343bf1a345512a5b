// Config files: `key = value` lines, keys are the long option names.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lanlord/status.hpp"

namespace lanlord::cli {

// One `key = value` line of a config file.
struct ConfigEntry {
  std::string key;
  std::string value;
  int line = 0;
};

// Config file syntax: one `key = value` per line, keys are the long option
// names without "--"; blank lines and lines whose first non-blank character
// is '#' are ignored; spaces around key and value are trimmed. `filename`
// only names the file in messages ("node.conf:3: expected 'key = value'").
Status parse_config_text(std::string_view text, std::string_view filename,
                         std::vector<ConfigEntry>& out);

// `exec = ...` of a config file (run's command): words separated by blanks;
// '...' keeps its content as it is, "..." too except that \" and \\ stand
// for " and \; outside quotes a backslash keeps the next character. Not a
// shell: no variables, globs or redirections (write `sh -c '...'` for
// those). An unterminated quote or a trailing backslash is an error.
Result<std::vector<std::string>> split_words(std::string_view text);

// Reads a whole file; the message names the file and the reason.
using ReadFile = std::function<Status(const std::string& path, std::string& contents)>;
Status read_file(const std::string& path, std::string& contents);

}  // namespace lanlord::cli
