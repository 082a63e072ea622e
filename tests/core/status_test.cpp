#include <doctest/doctest.h>

#include "infini/status.h"

using infini::Result;
using infini::Status;

namespace {
Result<int> ParsePositive(int v) {
  if (v <= 0) return Status::InvalidArgument("value must be positive, got " + std::to_string(v));
  return v;
}
Status Chain(int v) {
  INFINI_RETURN_IF_ERROR(ParsePositive(v).status());
  return Status::OK();
}
}  // namespace

TEST_CASE("Status carries a code and a message") {
  Status ok;
  CHECK(ok.ok());
  CHECK(ok.ToString() == "OK");
  Status bad = Status::NotFound("voice 'xyz'");
  CHECK_FALSE(bad.ok());
  CHECK(bad.IsNotFound());
  CHECK(bad.ToString() == "Not found: voice 'xyz'");
}

TEST_CASE("Result holds a value or the reason there is none") {
  auto good = ParsePositive(3);
  REQUIRE(good.ok());
  CHECK(*good == 3);
  auto bad = ParsePositive(-2);
  CHECK_FALSE(bad.ok());
  CHECK(bad.status().IsInvalidArgument());
  CHECK(bad.status().message() == "value must be positive, got -2");
  CHECK(bad.value_or(7) == 7);
  CHECK(Chain(-1).IsInvalidArgument());
  CHECK(Chain(1).ok());
}
