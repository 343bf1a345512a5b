// The one duration grammar: "250ms", "5s", "1.5s", "1m".
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>

#include "lanlord/duration.hpp"

using namespace std::chrono_literals;
using lanlord::Duration;
using lanlord::format_duration;
using lanlord::parse_duration;
using lanlord::Status;

namespace {

Duration duration(std::string_view text) {
  Duration d{};
  const Status s = parse_duration(text, d);
  INFO(text << ": " << s.message());
  REQUIRE(s.is_ok());
  return d;
}

std::string duration_error(std::string_view text) {
  Duration d = 7s;
  const Status s = parse_duration(text, d);
  CHECK(d == 7s);  // untouched on error
  return s.is_ok() ? "" : s.message();
}

}  // namespace

TEST_CASE("durations are a number and a unit: ms, s or m, with an optional fraction") {
  CHECK(duration("250ms") == 250ms);
  CHECK(duration("5s") == 5s);
  CHECK(duration("1m") == 1min);
  CHECK(duration("1.5s") == 1500ms);
  CHECK(duration("0.25s") == 250ms);
  CHECK(duration("0.5m") == 30s);
  CHECK(duration("1.25ms") == 1250us);
  CHECK(duration("0250ms") == 250ms);
  CHECK(duration("24m") == 24min);
  CHECK(duration("0.000001ms") == 1ns);
  CHECK(duration("1440m") == lanlord::kMaxDuration);
}

TEST_CASE("bad durations are rejected with a reason") {
  CHECK(duration_error("250").find("missing unit") != std::string::npos);
  CHECK(duration_error("250").find("'250'") != std::string::npos);
  CHECK(duration_error("5x").find("unknown unit 'x'") != std::string::npos);
  CHECK(duration_error("5h").find("unknown unit 'h'") != std::string::npos);
  CHECK(duration_error("0s").find("positive") != std::string::npos);
  CHECK(duration_error("0.0000001s").find("decimals") != std::string::npos);
  CHECK(duration_error("100000m").find("24 hours") != std::string::npos);
  CHECK(duration_error("1441m").find("24 hours") != std::string::npos);
  CHECK(duration_error("999999999999999999999s").find("24 hours") != std::string::npos);
  for (const char* bad :
       {"", "s", "-1s", "+1s", ".5s", "1.s", "1e3ms", " 5s", "5s ", "5 s", "1,5s", "5sec", "ms5"}) {
    CHECK_MESSAGE(!duration_error(bad).empty(), "'" << bad << "' was accepted");
  }
}

TEST_CASE("durations are formatted in the syntax they are parsed in") {
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(5s) == "5s");
  CHECK(format_duration(1min) == "1m");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(475s) == "475s");
  CHECK(format_duration(1250us) == "1.25ms");
  for (const Duration d : {Duration(1ms), Duration(999ms), Duration(1001ms), Duration(25s),
                           Duration(10min), Duration(61500ms), Duration(1ns)}) {
    CHECK(duration(format_duration(d)) == d);
  }
}
