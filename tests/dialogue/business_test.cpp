#include <doctest/doctest.h>

#include <string>

#include "infini/business.h"

namespace {

std::string Minimal(const std::string& extra = "", const std::string& services = "") {
  return R"({"id":"b","name":"B","timezone":"America/Chicago","hours":{"mon":["09:00","17:00"]},)" +
         (services.empty() ? std::string(R"("services":[{"id":"cut","name":"Cut","minutes":30}])") : services) + extra +
         "}";
}

std::string ErrorOf(const std::string& json) {
  auto r = infini::ParseBusinessConfig(json, "biz.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  return r.status().message();
}

}  // namespace

TEST_CASE("the four shared business configs load with the default flow") {
  for (const char* id : {"hvac", "dental", "salon", "auto"}) {
    auto biz = infini::LoadBusinessConfig(std::string(INFINI_TEST_DATA) + "/businesses/" + id + ".json");
    REQUIRE_MESSAGE(biz.ok(), biz.status().ToString());
    CHECK(biz.value().id == id);
    CHECK(biz.value().flow_is_default);
    CHECK_FALSE(biz.value().services.empty());
    CHECK_FALSE(biz.value().faq.empty());
  }
  auto hvac = infini::LoadBusinessConfig(std::string(INFINI_TEST_DATA) + "/businesses/hvac.json").value();
  CHECK(hvac.hours[0].empty());  // Sunday closed
  REQUIRE(hvac.hours[6].size() == 1);
  CHECK(hvac.hours[6][0].open_minute == 9 * 60);
  CHECK(hvac.hours[6][0].close_minute == 13 * 60);
  CHECK(hvac.FindService("emergency")->emergency);
  CHECK(hvac.Collects("address"));
}

TEST_CASE("the example templates with flows load") {
  for (const char* id : {"hvac", "dental", "salon", "auto"}) {
    auto biz = infini::LoadBusinessConfig(std::string(INFINI_SOURCE_DIR) + "/examples/businesses/" + id + ".json");
    REQUIRE_MESSAGE(biz.ok(), biz.status().ToString());
    CHECK_FALSE(biz.value().flow_is_default);
  }
}

TEST_CASE("validation errors name the file, the field path and the problem") {
  CHECK(ErrorOf(Minimal("", R"("services":[{"id":"a","name":"A","minutes":30},{"id":"b","name":"B"}])")) ==
        "biz.json: services[1].minutes: missing (the service has no duration)");
  CHECK(ErrorOf(Minimal("", R"("services":[{"id":"a","name":"A","minutes":-5}])")).find("services[0].minutes") !=
        std::string::npos);
  std::string tz = ErrorOf(R"({"id":"b","name":"B","timezone":"Mars/Olympus","hours":{},"services":[{"id":"a","name":"A","minutes":5}]})");
  CHECK(tz.find("biz.json: timezone: unknown time zone 'Mars/Olympus'") == 0);
  std::string overlap = ErrorOf(R"({"id":"b","name":"B","timezone":"UTC","hours":{"tue":[["09:00","13:00"],["12:00","17:00"]]},"services":[{"id":"a","name":"A","minutes":5}]})");
  CHECK(overlap == "biz.json: hours.tue: overlapping hours (a range opens before the previous one closes)");
  CHECK(ErrorOf(R"({"id":"b","name":"B","timezone":"UTC","hours":{"tue":["17:00","09:00"]},"services":[{"id":"a","name":"A","minutes":5}]})") ==
        "biz.json: hours.tue: closes before it opens");
  CHECK(ErrorOf(R"({"id":"b","name":"B","timezone":"UTC","hours":{"tue":["9am","17:00"]},"services":[{"id":"a","name":"A","minutes":5}]})") ==
        "biz.json: hours.tue[0]: not a time of day HH:MM");
  CHECK(ErrorOf(Minimal(R"(,"collect":["name","shoe_size"])")) == "biz.json: collect[1]: unknown field type 'shoe_size'");
  CHECK(ErrorOf(Minimal(R"(,"flow":[{"name":"greeting","transitions":{"book":"nowhere"}},{"name":"goodbye"}])")) ==
        "biz.json: flow[0].transitions.book: transition to missing state 'nowhere'");
  CHECK(ErrorOf(Minimal(R"(,"flow":[{"name":"greeting","slots":["colour"]},{"name":"goodbye"}])")) ==
        "biz.json: flow[0].slots[0]: unknown field type 'colour'");
  CHECK(ErrorOf(Minimal(R"(,"flow":[{"name":"greeting","action":"dance"},{"name":"goodbye"}])")) ==
        "biz.json: flow[0].action: unknown action 'dance'");
  CHECK(ErrorOf(Minimal(R"(,"colour":"blue")")) == "biz.json: colour: unknown field (prefix custom fields with x_)");
  CHECK(ErrorOf(Minimal(R"(,"transfer_to":"555-1234")")) == "biz.json: transfer_to: not an E.164 number like +15125550100");
  CHECK(ErrorOf(Minimal(R"(,"hours":{"funday":["09:00","10:00"]})")).find("hours") != std::string::npos);
}

TEST_CASE("garbage never crashes the loader") {
  for (const char* junk : {"", "{", "[]", "null", "42", "{\"id\":5}", "{\"services\":{}}", "\xff\xfe{}",
                           R"({"id":"b","name":"B","timezone":"UTC","hours":[],"services":[]})",
                           R"({"id":"b","name":"B","timezone":"UTC","hours":{},"services":[1,2]})"}) {
    auto r = infini::ParseBusinessConfig(junk, "junk.json");
    CHECK_FALSE(r.ok());
    CHECK(r.status().message().rfind("junk.json: ", 0) == 0);
  }
  auto missing = infini::LoadBusinessConfig("/nonexistent/biz.json");
  CHECK(missing.status().IsNotFound());
  CHECK(missing.status().message().find("/nonexistent/biz.json") != std::string::npos);
}

TEST_CASE("defaults: flow, collect, scheduling") {
  auto r = infini::ParseBusinessConfig(Minimal(), "m.json");
  REQUIRE(r.ok());
  CHECK(r.value().scheduling.grid_minutes == 15);
  CHECK(r.value().collect == std::vector<std::string>{"name", "phone", "service", "time"});
  CHECK(r.value().flow.size() == infini::DefaultFlow().size());
  auto g = infini::ParseBusinessConfig(Minimal(R"(,"scheduling":{"grid_minutes":30})"), "g.json");
  REQUIRE(g.ok());
  CHECK(g.value().scheduling.grid_minutes == 30);
  CHECK(ErrorOf(Minimal(R"(,"scheduling":{"grid_minutes":0})")) ==
        "biz.json: scheduling.grid_minutes: must be a whole number from 1 to 240");
}
