#include "lanlord/duration.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>

namespace lanlord {

namespace {

// Six decimals of a minute are still whole nanoseconds; kMaxDuration keeps
// the arithmetic below far from overflow.
constexpr std::size_t kMaxFractionDigits = 6;

const char* const kDurationSyntax =
    "expected a number and a unit (ms, s or m), e.g. 250ms, 1.5s, 1m";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Status parse_duration(std::string_view text, Duration& out) {
  const std::string quoted = "'" + std::string(text) + "'";
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  const std::string_view whole = text.substr(0, i);
  std::string_view fraction;
  if (i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    fraction = text.substr(start, i - start);
    if (fraction.empty()) return Status::error("bad duration " + quoted + ": " + kDurationSyntax);
  }
  const std::string_view unit = text.substr(i);
  if (whole.empty()) return Status::error("bad duration " + quoted + ": " + kDurationSyntax);
  if (unit.empty()) {
    return Status::error("bad duration " + quoted + ": missing unit (ms, s or m), e.g. " +
                         std::string(text) + "ms");
  }
  std::int64_t unit_ns = 0;
  if (unit == "ms") {
    unit_ns = 1'000'000;
  } else if (unit == "s") {
    unit_ns = 1'000'000'000;
  } else if (unit == "m") {
    unit_ns = 60'000'000'000;
  } else {
    return Status::error("bad duration " + quoted + ": unknown unit '" + std::string(unit) +
                         "' (use ms, s or m)");
  }
  if (fraction.size() > kMaxFractionDigits) {
    return Status::error("bad duration " + quoted + ": at most " +
                         std::to_string(kMaxFractionDigits) + " decimals");
  }
  // Leading zeros are fine ("0250ms"); more than 8 significant digits in
  // the whole part is beyond kMaxDuration in every unit.
  const std::size_t first_nonzero = whole.find_first_not_of('0');
  if (first_nonzero != std::string_view::npos && whole.size() - first_nonzero > 8) {
    return Status::error("bad duration " + quoted + ": longer than 24 hours");
  }
  std::int64_t whole_value = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), whole_value);
  std::int64_t fraction_value = 0;
  std::int64_t fraction_scale = 1;
  for (char c : fraction) {
    fraction_value = fraction_value * 10 + (c - '0');
    fraction_scale *= 10;
  }
  const std::int64_t ns = whole_value * unit_ns + fraction_value * unit_ns / fraction_scale;
  if (ns <= 0) return Status::error("bad duration " + quoted + ": must be positive");
  if (Duration(std::chrono::nanoseconds(ns)) > kMaxDuration) {
    return Status::error("bad duration " + quoted + ": longer than 24 hours");
  }
  out = std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(ns));
  return Status::ok();
}

namespace {

// `value / unit` as a decimal with trailing zeros dropped: 1500/1000 -> "1.5".
std::string decimal(std::int64_t value, std::int64_t unit) {
  std::string s = std::to_string(value / unit);
  std::int64_t rest = value % unit;
  if (rest == 0) return s;
  std::string digits;
  for (std::int64_t scale = unit / 10; scale > 0 && rest > 0; scale /= 10) {
    digits += static_cast<char>('0' + rest / scale);
    rest %= scale;
  }
  return s + "." + digits;
}

}  // namespace

std::string format_duration(Duration d) {
  const std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  if (ns < 1'000'000'000) return decimal(ns, 1'000'000) + "ms";
  if (ns % 60'000'000'000 == 0) return std::to_string(ns / 60'000'000'000) + "m";
  return decimal(ns, 1'000'000'000) + "s";
}

}  // namespace lanlord
