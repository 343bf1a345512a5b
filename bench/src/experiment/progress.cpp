#include "experiment/progress.hpp"

#include <unistd.h>

namespace lanlord::bench {

Progress::Progress(std::FILE* out, bool enabled)
    : out_(out), enabled_(enabled), tty_(isatty(fileno(out)) == 1) {}

void Progress::update(const std::string& line, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // A terminal can take a redraw a few times a second; a log file wants few lines.
  const auto min_gap = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (!force && now - last_ < min_gap) return;
  last_ = now;
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    dirty_ = true;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void Progress::done() {
  if (dirty_) std::fprintf(out_, "\r\033[K");
  dirty_ = false;
  std::fflush(out_);
}

void Progress::note(const std::string& line) {
  done();
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

}  // namespace lanlord::bench
