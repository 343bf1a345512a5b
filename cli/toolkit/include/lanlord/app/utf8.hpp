// UTF-8 decoding for the writers that must not pass invalid bytes or
// control characters on (JSON lines, terminal lines).
#pragma once

#include <cstddef>
#include <string_view>

namespace lanlord::app {

// The length of the valid UTF-8 sequence starting at s[i] (1-4), or 0 when
// the byte there does not start one (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF, not cut short by the end of `s`).
// `cp` receives its code point when the length is not 0. Requires i < s.size().
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp);

}  // namespace lanlord::app
