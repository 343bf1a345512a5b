// Status and Result<T>: one result shape, with a code the CLI maps to an
// exit code.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "lanlord/status.hpp"

using lanlord::Result;
using lanlord::Status;
using lanlord::StatusCode;

TEST_CASE("status: ok, a bad setting by default, and network failures keep their code") {
  CHECK(Status::ok().is_ok());
  CHECK(Status::ok().code() == StatusCode::kOk);
  const Status bad = Status::error("port 0");
  CHECK_FALSE(bad);
  CHECK(bad.code() == StatusCode::kInvalidArgument);
  CHECK(bad.message() == "port 0");
  CHECK(Status::network("bind failed").code() == StatusCode::kNetwork);
  // An error can never claim to be ok.
  CHECK_FALSE(Status::error("x", StatusCode::kOk));
}

TEST_CASE("result: holds a value or the failure, never both") {
  const Result<int> good = 7;
  REQUIRE(good);
  CHECK(*good == 7);
  CHECK(good.status().is_ok());
  const Result<std::string> bad = Status::network("no such interface");
  CHECK_FALSE(bad);
  CHECK(bad.status().code() == StatusCode::kNetwork);
  CHECK_THROWS_AS(Result<int>(Status::ok()), std::logic_error);
}
