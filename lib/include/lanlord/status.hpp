// Errors as values at the API edge.
#pragma once

#include <string>
#include <utility>

namespace lanlord {

// The result of an operation that can fail for reasons a person can act on
// (bad configuration, a port that cannot be bound, ...). Bugs are not
// reported through Status.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message), true); }

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return is_ok(); }
  // A one-line, human-readable reason; empty when ok.
  const std::string& message() const { return message_; }

 private:
  Status(std::string message, bool failed) : message_(std::move(message)), failed_(failed) {}
  std::string message_;
  bool failed_ = false;
};

}  // namespace lanlord
