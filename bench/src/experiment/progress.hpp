// A progress line on stderr for long runs: rewritten in place on a
// terminal, a plain line at most every few seconds otherwise (CI logs).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace lanlord::bench {

class Progress {
 public:
  // `out` is usually stderr; nothing is printed when `enabled` is false.
  Progress(std::FILE* out, bool enabled);
  ~Progress() { done(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Shows `line` unless the last update was too recent (`force` overrides).
  void update(const std::string& line, bool force = false);
  // Clears the in-place line, so the next output starts on a clean line.
  void done();
  // A message that must not be overwritten (warnings).
  void note(const std::string& line);

 private:
  std::FILE* out_;
  bool enabled_;
  bool tty_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace lanlord::bench
