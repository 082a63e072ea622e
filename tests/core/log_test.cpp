#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "infini/log.h"

TEST_CASE("the log sink receives formatted messages at or above the level") {
  std::vector<std::string> got;
  infini::SetLogSink([&](infini::LogLevel lvl, std::string_view msg) {
    got.push_back(std::string(infini::LogLevelName(lvl)) + " " + std::string(msg));
  });
  infini::SetLogLevel(infini::LogLevel::kInfo);
  INFINI_LOG(kDebug, "hidden {}", 1);
  INFINI_LOG(kWarn, "call {}: {}", "CA1", "bad frame");
  infini::SetLogSink(nullptr);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == "WARN call CA1: bad frame");
}
