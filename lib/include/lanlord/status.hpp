// Errors as values at the API edge: one result shape for the whole project.
#pragma once

#include "lanlord/export.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace lanlord {

// What kind of failure a Status reports; the CLI maps it to an exit code.
enum class StatusCode {
  kOk,
  kInvalidArgument,  // a setting or input a person must correct (the CLI: exit 2)
  kNetwork,          // the network or the host refused (no such interface, bind failed)
  kInternal,         // anything else that is not the caller's fault
};

// The result of an operation that can fail for reasons a person can act on
// (bad configuration, a port that cannot be bound, ...). Bugs are not
// reported through Status.
class [[nodiscard]] LANLORD_EXPORT Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  // A failure with a one-line reason; by default a bad argument or setting.
  static Status error(std::string message, StatusCode code = StatusCode::kInvalidArgument) {
    return Status(std::move(message), code == StatusCode::kOk ? StatusCode::kInternal : code);
  }
  static Status network(std::string message) {
    return error(std::move(message), StatusCode::kNetwork);
  }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  // A one-line, human-readable reason; empty when ok.
  const std::string& message() const { return message_; }

 private:
  Status(std::string message, StatusCode code) : message_(std::move(message)), code_(code) {}
  std::string message_;
  StatusCode code_ = StatusCode::kOk;
};

// A value, or the Status that says why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit, like std::optional
  // Requires a failed status (a programmer error otherwise).
  Result(Status failure) : status_(std::move(failure)) {  // NOLINT
    if (status_.is_ok()) throw std::logic_error("Result: an ok Status carries no value");
  }

  bool ok() const { return status_.is_ok(); }
  explicit operator bool() const { return ok(); }
  const Status& status() const { return status_; }
  // Require ok().
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace lanlord
