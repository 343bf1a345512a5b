// The one timing factor of the real-socket tests. Sanitized builds run
// 5-15x slower; the test command sets LANLORD_TEST_TIME_SCALE for them
// (tests/CMakeLists.txt passes it to every test, with the CTest timeouts
// stretched by the same factor), and every wait or deadline a test writes
// goes through scaled(), so a slow build is not a flaky one. Unset, or
// anything but a whole number >= 1, means 1.
#pragma once

#include <chrono>
#include <cstdlib>
#include <string>

namespace lanlord::test {

inline int time_scale() {
  static const int factor = [] {
    const char* text = std::getenv("LANLORD_TEST_TIME_SCALE");
    if (text == nullptr) return 1;
    try {
      std::size_t used = 0;
      const int n = std::stoi(text, &used);
      return used == std::string(text).size() && n >= 1 ? n : 1;
    } catch (...) {
      return 1;
    }
  }();
  return factor;
}

// `d` as written, times the factor.
template <class Rep, class Period>
std::chrono::milliseconds scaled(std::chrono::duration<Rep, Period> d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d) * time_scale();
}

}  // namespace lanlord::test
