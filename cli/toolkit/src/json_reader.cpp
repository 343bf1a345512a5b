#include "lanlord/app/json_reader.hpp"

#include <utility>

namespace lanlord::app {

Status parse_json_object(std::string_view line, nlohmann::json& out) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(line.begin(), line.end());
  } catch (const nlohmann::json::parse_error& e) {
    return Status::error(std::string("not JSON: ") + e.what());
  }
  if (!parsed.is_object()) return Status::error("not a JSON object");
  out = std::move(parsed);
  return Status::ok();
}

Status read_json_lines(std::istream& in, std::string_view source, const JsonLineHandler& each) {
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json object;
    if (Status s = parse_json_object(line, object); !s) {
      return Status::error(std::string(source) + ":" + std::to_string(number) + ": " + s.message());
    }
    if (Status s = each(object, number); !s) return s;
  }
  if (in.bad()) return Status::error("cannot read " + std::string(source));
  return Status::ok();
}

}  // namespace lanlord::app
