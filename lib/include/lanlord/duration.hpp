// Durations as people write them: "250ms", "5s", "1.5s", "1m". The one
// grammar for the command line, config files, help texts, messages and
// the benchmark.
#pragma once

#include "lanlord/export.hpp"

#include <chrono>
#include <string>
#include <string_view>

#include "lanlord/status.hpp"
#include "lanlord/time.hpp"

namespace lanlord {

// The longest duration parse_duration() accepts. Longer is surely a typo
// (fabric, the slowest profile, counts in seconds).
inline constexpr Duration kMaxDuration = std::chrono::hours(24);

// Parses a decimal number and a unit, ms, s or m: "250ms", "5s", "1.5s",
// "1m". The unit is required (a bare "250" is ambiguous), the value must be
// positive and at most kMaxDuration, and fractions are kept to the
// nanosecond (at most 6 decimals). No blanks, signs or exponents. On
// success sets `out`; on failure leaves it alone and the message quotes
// `text` and says what is wrong ("bad duration '250': missing unit ...").
LANLORD_EXPORT Status parse_duration(std::string_view text, Duration& out);

// The shortest exact spelling in parse_duration()'s syntax: 250ms, 5s,
// 1.5s, 1m; 1m30s is written 90s. Below one second the unit is ms, with a
// fraction for sub-millisecond parts (1.25ms). `d` must be positive for
// the result to parse again.
LANLORD_EXPORT std::string format_duration(Duration d);

}  // namespace lanlord
