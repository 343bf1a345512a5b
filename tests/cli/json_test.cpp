// The toolkit's JSON: the writer the CLI's output contract is built on
// (byte-exact escaping is pinned in output_test.cpp) and the JSON-lines
// reader the benchmark reads events and rows with.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "lanlord/app/json_reader.hpp"
#include "lanlord/app/json_writer.hpp"
#include "output/event_printer.hpp"

using lanlord::PeerId;
using lanlord::Status;
using lanlord::app::json_field;
using lanlord::app::json_quote;
using lanlord::app::JsonObject;
using lanlord::app::parse_json_object;
using lanlord::app::read_json_lines;

TEST_CASE("JsonObject writes keys in order, without blanks") {
  JsonObject o;
  CHECK(o.empty());
  CHECK(o.text() == "{}");
  o.str("s", "a\"b")
      .id("none", std::nullopt)
      .id("id", PeerId("n1"))
      .boolean("t", true)
      .number("n", -42)
      .decimal("d", 1.5)
      .decimal("inf", std::numeric_limits<double>::infinity())
      .null("z")
      .strings("list", {"x", "y"})
      .object("o", JsonObject().number("k", 1))
      .raw("r", "[1,2]");
  CHECK_FALSE(o.empty());
  CHECK(o.text() ==
        R"({"s":"a\"b","none":null,"id":"n1","t":true,"n":-42,"d":1.5,"inf":null,"z":null,)"
        R"("list":["x","y"],"o":{"k":1},"r":[1,2]})");
}

TEST_CASE("decimal writes the shortest text that reads back exactly") {
  CHECK(JsonObject().decimal("v", 0.1).text() == R"({"v":0.1})");
  CHECK(JsonObject().decimal("v", 250).text() == R"({"v":250})");
  for (const double v : {0.1, 1.0 / 3, 123456.789, 1e-9, -2.5e10}) {
    nlohmann::json j;
    REQUIRE(parse_json_object(JsonObject().decimal("v", v).text(), j).is_ok());
    CHECK(json_field<double>(j, "v") == v);
  }
}

TEST_CASE("what the writer writes, the reader reads back, ids included") {
  const std::string id = std::string("n\x01\"\\\n\xC3\xA9", 7);
  const std::string line = JsonObject()
                               .str("event", "leader")
                               .str("leader", id)
                               .boolean("is_self", false)
                               .number("members", 3)
                               .strings("channels", {"a", "b"})
                               .text();
  nlohmann::json j;
  REQUIRE(parse_json_object(line, j).is_ok());
  CHECK(json_field<std::string>(j, "event") == "leader");
  CHECK(json_field<std::string>(j, "leader") == id);
  CHECK(json_field<bool>(j, "is_self") == false);
  CHECK(json_field<int>(j, "members") == 3);
  CHECK(json_field<std::uint64_t>(j, "members") == 3u);
  CHECK(json_field<double>(j, "members") == 3.0);
  CHECK(j["channels"] == nlohmann::json::array({"a", "b"}));
  // Invalid UTF-8 cannot be read back as written: it was replaced.
  REQUIRE(parse_json_object(JsonObject().str("id", "a\xFF").text(), j).is_ok());
  CHECK(json_field<std::string>(j, "id") == "a\xEF\xBF\xBD");
}

TEST_CASE("json_field is empty for a missing key, null, another type or a non-object") {
  nlohmann::json j;
  REQUIRE(parse_json_object(R"({"s":"x","n":-1,"b":true,"z":null,"f":1.5})", j).is_ok());
  CHECK_FALSE(json_field<std::string>(j, "missing"));
  CHECK_FALSE(json_field<std::string>(j, "z"));
  CHECK_FALSE(json_field<std::string>(j, "n"));
  CHECK_FALSE(json_field<bool>(j, "s"));
  CHECK_FALSE(json_field<int>(j, "b"));
  CHECK_FALSE(json_field<int>(j, "f"));
  CHECK_FALSE(json_field<unsigned>(j, "n"));  // negative
  CHECK(json_field<int>(j, "n") == -1);
  CHECK(json_field<double>(j, "f") == 1.5);
  CHECK(json_field<nlohmann::json>(j, "z") == nlohmann::json(nullptr));
  CHECK_FALSE(json_field<std::string>(nlohmann::json::array({1}), "s"));
}

TEST_CASE("parse_json_object rejects what is not one JSON object") {
  nlohmann::json j = {{"kept", true}};
  for (const char* bad :
       {"", "not json", "{\"a\":1", "{\"a\":1}{", "[1,2]", "\"s\"", "42", "{\"a\":\"\xFF\"}"}) {
    CAPTURE(bad);
    const Status s = parse_json_object(bad, j);
    CHECK_FALSE(s.is_ok());
    CHECK_FALSE(s.message().empty());
  }
  CHECK(parse_json_object("[1]", j).message() == "not a JSON object");
  CHECK(parse_json_object("nope", j).message().rfind("not JSON: ", 0) == 0);
  CHECK(j == nlohmann::json{{"kept", true}});  // untouched on error
  CHECK(parse_json_object("  {\"a\": [1, {\"b\": null}]}\r", j).is_ok());
  CHECK(j["a"][1]["b"].is_null());
}

TEST_CASE("read_json_lines reads one object per line, skips blanks, names the bad line") {
  std::istringstream in("{\"n\":1}\n\n  \n{\"n\":2}\r\n{\"n\":3}");
  std::vector<std::pair<int, std::size_t>> seen;
  const Status s =
      read_json_lines(in, "run.jsonl", [&seen](const nlohmann::json& o, std::size_t l) {
        seen.emplace_back(*json_field<int>(o, "n"), l);
        return Status::ok();
      });
  CHECK(s.is_ok());
  CHECK(seen == std::vector<std::pair<int, std::size_t>>{{1, 1}, {2, 4}, {3, 5}});

  std::istringstream bad("{\"n\":1}\n[2]\n{\"n\":3}\n");
  int calls = 0;
  const Status e = read_json_lines(bad, "run.jsonl", [&calls](const nlohmann::json&, std::size_t) {
    ++calls;
    return Status::ok();
  });
  CHECK(e.message() == "run.jsonl:2: not a JSON object");
  CHECK(calls == 1);

  std::istringstream stop("{}\n{}\n{}\n");
  calls = 0;
  const Status handler_error =
      read_json_lines(stop, "x", [&calls](const nlohmann::json&, std::size_t line) {
        ++calls;
        return line == 2 ? Status::error("enough") : Status::ok();
      });
  CHECK(handler_error.message() == "enough");
  CHECK(calls == 2);
}

TEST_CASE("json_quote is the writer's string escaping") {
  CHECK(json_quote("a\x7f\xE2\x80\xA9") == R"("a\u007f\u2029")");
  CHECK(JsonObject().str("k\"", "v").text() == R"({"k\"":"v"})");
}

TEST_CASE("an epoch is written as a string of digits and reads back exactly, beyond 2^53") {
  // A real epoch (a millisecond clock term shifted left by 20 bits) is
  // above 2^53, where doubles (jq, JavaScript) lose digits.
  const std::uint64_t epoch = (std::uint64_t{220'000'000'000} << 20) | 0xABCDE;
  REQUIRE(epoch > (std::uint64_t{1} << 53));
  const std::string line = JsonObject().str("epoch", lanlord::cli::epoch_text(epoch)).text();
  nlohmann::json j;
  REQUIRE(parse_json_object(line, j).is_ok());
  const std::optional<std::string> text = json_field<std::string>(j, "epoch");
  REQUIRE(text.has_value());
  CHECK(std::stoull(*text) == epoch);
  // As a number it would not survive a double.
  CHECK(static_cast<std::uint64_t>(static_cast<double>(epoch)) != epoch);
}
