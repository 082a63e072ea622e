// One test per scheduling rule of docs/flow-format.md ("Scheduling rules"), DST behaviour, and the
// validation errors of the rule fields. Real scheduler over the in-memory calendar.
#include <doctest/doctest.h>

#include <string>

#include "dialogue/memory_calendar.h"
#include "dialogue/scheduler.h"
#include "infini/business.h"

using namespace infini;
using namespace infini::dialogue;

namespace {

// Tue 2026-12-08. Open Mon-Fri 9-17, Sat 9-12, Sunday closed. `resources` and `scheduling` vary.
BusinessConfig Shop(const std::string& resources, const std::string& services, const std::string& scheduling = "{}",
                    const std::string& zone = "America/Chicago", const std::string& hours = "") {
  std::string h = hours.empty() ? R"({"mon":["09:00","17:00"],"tue":["09:00","17:00"],"wed":["09:00","17:00"],
      "thu":["09:00","17:00"],"fri":["09:00","17:00"],"sat":["09:00","12:00"],"sun":null})"
                                : hours;
  std::string json = R"({"id":"shop","name":"Shop","timezone":")" + zone + R"(","hours":)" + h +
                     R"(,"resources":)" + resources + R"(,"services":)" + services + R"(,"scheduling":)" + scheduling +
                     "}";
  auto r = ParseBusinessConfig(json, "shop.json");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return r.value();
}

const char* kCut = R"([{"id":"cut","name":"Cut","minutes":60},{"id":"quick","name":"Quick","minutes":30}])";

LocalMinute At(int d, int h, int m) { return MakeLocalMinute(2026, 12, d, h, m); }
LocalMinute DayOf(LocalMinute t) { return t - t % (24 * 60); }

void Occupy(Calendar& cal, const BusinessConfig& b, const std::string& who, LocalMinute start, int minutes,
            const std::string& service = "cut") {
  Appointment a;
  a.id = who + std::to_string(start);
  a.business_id = b.id;
  a.service_id = service;
  a.resource = who;
  a.start_utc = LocalToUtc(b.timezone, start);
  a.end_utc = a.start_utc + minutes * 60;
  REQUIRE(cal.Book(a).ok());
}

std::string ErrorOf(const std::string& json) {
  auto r = ParseBusinessConfig(json, "biz.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  return r.status().message();
}

}  // namespace

TEST_CASE("per-staff working hours: a booking fits both the shop's and the person's hours") {
  // Ana works afternoons only on weekdays; Bo works whenever the shop is open.
  auto b = Shop(R"([{"name":"Ana","hours":{"mon":["12:00","20:00"],"tue":["12:00","20:00"],"wed":["12:00","20:00"],
                     "thu":["12:00","20:00"],"fri":["12:00","20:00"]}}, "Bo"])",
                kCut);
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  CHECK(s.Check("cut", At(9, 10, 0), "Ana", now, &who) == SlotProblem::kStaffOff);
  CHECK(s.Describe(SlotProblem::kStaffOff, "cut", At(9, 10, 0), "Ana", now) ==
        "I'm sorry, Ana isn't working at 10 AM tomorrow.");
  CHECK(s.Check("cut", At(9, 12, 0), "Ana", now, &who) == SlotProblem::kNone);
  CHECK(s.Check("cut", At(9, 16, 0), "Ana", now, &who) == SlotProblem::kNone);
  // Her hours run to 20:00 but the shop closes at 17:00: the shop's hours still bind.
  CHECK(s.Check("cut", At(9, 17, 0), "Ana", now, &who) == SlotProblem::kOutsideHours);
  CHECK(s.Check("cut", At(9, 11, 30), "Ana", now, &who) == SlotProblem::kStaffOff);  // would end 12:30, starts before
  // "Any" at 10:00 goes to Bo; with Bo busy nobody who works then is free.
  CHECK(s.Check("cut", At(9, 10, 0), "any", now, &who) == SlotProblem::kNone);
  CHECK(who == "Bo");
  Occupy(cal, b, "Bo", At(9, 10, 0), 60);
  CHECK(s.Check("cut", At(9, 10, 0), "any", now, &who) == SlotProblem::kTaken);
  // Ana's alternatives on her day are all in her hours.
  auto alt = s.Alternatives("cut", At(9, 10, 0), "Ana", now, 2);
  REQUIRE(alt.size() == 2);
  CHECK(alt[0].start == At(9, 12, 0));
  CHECK(alt[1].start == At(9, 12, 15));
  // Saturday is not in her week at all.
  CHECK(s.Check("cut", At(12, 9, 0), "Ana", now, &who) == SlotProblem::kStaffOff);
}

TEST_CASE("days off: a weekday off and dated time off") {
  auto b = Shop(R"(["Ana", {"name":"Bo","days_off":["wed", {"from":"2026-12-14","to":"2026-12-16"}, "2026-12-22"]}])",
                kCut);
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  CHECK(s.Check("cut", At(9, 10, 0), "Bo", now, &who) == SlotProblem::kStaffOff);   // Wednesday
  CHECK(s.Check("cut", At(10, 10, 0), "Bo", now, &who) == SlotProblem::kNone);      // Thursday
  CHECK(s.Check("cut", At(15, 10, 0), "Bo", now, &who) == SlotProblem::kStaffOff);  // in 14..16
  CHECK(s.Check("cut", At(17, 10, 0), "Bo", now, &who) == SlotProblem::kNone);      // Thursday
  CHECK(s.Check("cut", At(23, 10, 0), "Bo", now, &who) == SlotProblem::kStaffOff);  // Wednesday again
  CHECK(s.Check("cut", At(22, 10, 0), "Bo", now, &who) == SlotProblem::kStaffOff);  // a single date
  // Ana busy on Wednesday: nobody else works, so the slot is taken rather than given to Bo.
  Occupy(cal, b, "Ana", At(9, 10, 0), 60);
  CHECK(s.Check("cut", At(9, 10, 0), "any", now, &who) == SlotProblem::kTaken);
  // Bo's alternatives skip his day off: Wednesday -> Thursday.
  auto alt = s.Alternatives("cut", At(9, 10, 0), "Bo", now, 2);
  REQUIRE(alt.size() == 2);
  CHECK(alt[0].start == At(10, 9, 45));
  CHECK(alt[1].start == At(10, 10, 0));
  for (const auto& a : alt) CHECK(a.resource == "Bo");
}

TEST_CASE("skills: only a colourist does colour; only the bay with a lift takes brakes") {
  auto salon = Shop(R"(["Ana", {"name":"Marco","skills":["color"]}, "Jess"])",
                    R"([{"id":"cut","name":"Haircut","minutes":60},
                        {"id":"color","name":"Color","minutes":120,"requires":["color"]}])");
  const Service* color = salon.FindService("color");
  REQUIRE(color != nullptr);
  CHECK(color->eligible == std::vector<std::string>{"Marco"});
  CHECK(color->resource == "Marco");  // one who can: a fixed resource, no staff question
  CHECK(salon.FindService("cut")->eligible.size() == 3);
  CHECK(salon.FindService("cut")->resource.empty());
  MemoryCalendar cal;
  Scheduler s(salon, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  CHECK(s.Check("color", At(9, 10, 0), "any", now, &who) == SlotProblem::kNone);
  CHECK(who == "Marco");
  CHECK(s.Check("color", At(9, 10, 0), "Ana", now, &who) == SlotProblem::kNotQualified);
  CHECK(s.Describe(SlotProblem::kNotQualified, "color", At(9, 10, 0), "Ana", now) ==
        "I'm sorry, Ana doesn't do color; Marco does.");
  Occupy(cal, salon, "Marco", At(9, 10, 0), 120);
  CHECK(s.Check("color", At(9, 10, 0), "any", now, &who) == SlotProblem::kTaken);  // Ana and Jess are free but can't

  auto shop = Shop(R"(["Bay 1", "Bay 2", {"name":"Bay 3","skills":["lift"]}])",
                   R"([{"id":"oil","name":"Oil change","minutes":30},
                       {"id":"brakes","name":"Brake inspection","minutes":60,"requires":["lift"]},
                       {"id":"tires","name":"Tire rotation","minutes":45,"resources":["Bay 1","Bay 3"]}])");
  CHECK(shop.FindService("brakes")->eligible == std::vector<std::string>{"Bay 3"});
  CHECK(shop.FindService("tires")->eligible == std::vector<std::string>{"Bay 1", "Bay 3"});
  MemoryCalendar bays;
  Occupy(bays, shop, "Bay 3", At(9, 9, 0), 120, "brakes");
  Scheduler t(shop, bays);
  CHECK(t.Check("brakes", At(9, 9, 0), "any", now, &who) == SlotProblem::kTaken);
  CHECK(t.Check("oil", At(9, 9, 0), "any", now, &who) == SlotProblem::kNone);
  CHECK(who == "Bay 1");
  CHECK(t.Check("tires", At(9, 9, 0), "Bay 2", now, &who) == SlotProblem::kNotQualified);
  auto alt = t.Alternatives("brakes", At(9, 9, 0), "any", now, 2);
  REQUIRE(alt.size() == 2);
  CHECK(alt[0].start == At(9, 11, 0));
  CHECK(alt[0].resource == "Bay 3");
}

TEST_CASE("holidays: yearly and dated, said with their name, skipped by alternatives") {
  auto b = Shop(R"(["Ana"])", kCut,
                R"({"holidays":[{"date":"12-25","name":"Christmas Day"}, "01-01", "2026-12-10"]})");
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  CHECK(s.Check("cut", At(25, 10, 0), "any", now, &who) == SlotProblem::kClosedDate);  // Friday
  CHECK_FALSE(s.IsOpenDay(At(25, 0, 0)));
  CHECK(s.DayProblem(At(25, 0, 0), now) == SlotProblem::kClosedDate);
  CHECK(s.DayProblem(At(27, 0, 0), now) == SlotProblem::kClosedDay);  // a plain Sunday
  CHECK(s.Describe(SlotProblem::kClosedDate, "cut", At(25, 10, 0), "any", now) ==
        "I'm sorry, we're closed on Friday, December 25 for Christmas Day.");
  CHECK(s.Check("cut", MakeLocalMinute(2027, 12, 24, 10, 0), "any", MakeLocalMinute(2027, 12, 20, 8, 0), &who) ==
        SlotProblem::kNone);
  CHECK(s.Check("cut", MakeLocalMinute(2027, 12, 25, 10, 0), "any", MakeLocalMinute(2027, 12, 20, 8, 0), &who) ==
        SlotProblem::kClosedDate);  // a Saturday, and Christmas: the holiday wins over Saturday hours
  CHECK(s.ClosureOn(MakeLocalMinute(2027, 12, 25, 0, 0)) != nullptr);
  CHECK(s.Check("cut", MakeLocalMinute(2027, 1, 1, 10, 0), "any", now, &who) == SlotProblem::kClosedDate);
  CHECK(s.Check("cut", At(10, 10, 0), "any", now, &who) == SlotProblem::kClosedDate);  // the dated one
  CHECK(s.Check("cut", At(11, 10, 0), "any", now, &who) == SlotProblem::kNone);
  // Asking for Christmas offers the 24th (Thursday) and the 28th (Monday), never the 25th.
  auto alt = s.Alternatives("cut", At(24, 16, 0), "any", now, 3);
  REQUIRE(alt.size() == 3);
  for (const auto& a : alt) CHECK(DayOf(a.start) != At(25, 0, 0));
  auto earliest = s.Earliest("cut", At(25, 9, 0), "any", now, 1);
  REQUIRE(earliest.size() == 1);
  CHECK(earliest[0].start == At(26, 9, 0));  // Saturday the 26th
}

TEST_CASE("one-off closures: a span of days, a short day, and special hours on a closed weekday") {
  auto b = Shop(R"(["Ana"])", kCut, R"({"closures":[
      {"from":"2026-12-14","to":"2026-12-16","name":"our renovation"},
      {"date":"2026-12-24","name":"Christmas Eve","hours":["09:00","12:00"]},
      {"date":"2026-12-20","name":"the holiday market","hours":[["10:00","12:00"],["13:00","15:00"]]}]})");
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  for (int d : {14, 15, 16}) CHECK(s.Check("cut", At(d, 10, 0), "any", now, &who) == SlotProblem::kClosedDate);
  CHECK(s.Check("cut", At(17, 10, 0), "any", now, &who) == SlotProblem::kNone);
  CHECK(s.Check("cut", At(24, 11, 0), "any", now, &who) == SlotProblem::kNone);        // ends at noon
  CHECK(s.Check("cut", At(24, 11, 15), "any", now, &who) == SlotProblem::kClosedDate);  // would run past noon
  CHECK(s.Describe(SlotProblem::kClosedDate, "cut", At(24, 13, 0), "any", now) ==
        "I'm sorry, on Thursday, December 24 for Christmas Eve we're only open 9 AM to noon.");
  // Sunday the 20th is normally closed; the special hours open it.
  CHECK(s.IsOpenDay(At(20, 0, 0)));
  CHECK(s.Check("cut", At(20, 10, 0), "any", now, &who) == SlotProblem::kNone);
  CHECK(s.Check("cut", At(20, 11, 30), "any", now, &who) == SlotProblem::kClosedDate);
  auto free = s.FreeOnDay("cut", At(20, 0, 0), "any", now, 0, 24 * 60, 100);
  REQUIRE(free.size() == 5 + 5);  // 10:00..11:00 and 13:00..14:00 by 15 minutes
  CHECK(free.front().start == At(20, 10, 0));
  CHECK(free.back().start == At(20, 14, 0));
  // Alternatives for the renovation start after it.
  auto alt = s.Alternatives("cut", At(15, 10, 0), "any", now, 2);
  REQUIRE(alt.size() == 2);
  CHECK(DayOf(alt[0].start) == At(17, 0, 0));
}

TEST_CASE("buffer / travel time between jobs on the same resource") {
  auto b = Shop(R"(["Tech 1"])",
                R"([{"id":"repair","name":"Repair","minutes":60},
                    {"id":"install","name":"Install","minutes":60,"buffer_minutes":60}])",
                R"({"buffer_minutes":30})");
  MemoryCalendar cal;
  Occupy(cal, b, "Tech 1", At(9, 10, 0), 60, "repair");  // 10-11, then 30 minutes travel
  Scheduler s(b, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  CHECK(s.Check("repair", At(9, 11, 0), "any", now, &who) == SlotProblem::kTaken);
  CHECK(s.Check("repair", At(9, 11, 15), "any", now, &who) == SlotProblem::kTaken);
  CHECK(s.Check("repair", At(9, 11, 30), "any", now, &who) == SlotProblem::kNone);
  // Before it: the new job needs its own 30 minutes to get there (9:00-10:00 + 30 overlaps 10:00).
  CHECK(s.Check("repair", At(9, 9, 0), "any", now, &who) == SlotProblem::kTaken);
  Occupy(cal, b, "Tech 1", At(9, 13, 30), 60, "repair");
  CHECK(s.Check("repair", At(9, 12, 0), "any", now, &who) == SlotProblem::kNone);  // 11:30 travel ... 13:00 + 30
  CHECK(s.Check("repair", At(9, 12, 15), "any", now, &who) == SlotProblem::kTaken);
  cal.Cancel("Tech 1" + std::to_string(At(9, 13, 30)));
  // A service's own buffer replaces the business one: an install needs an hour after it.
  CHECK(s.Check("install", At(9, 12, 0), "any", now, &who) == SlotProblem::kNone);
  Occupy(cal, b, "Tech 1", At(9, 12, 0), 60, "install");
  CHECK(s.Check("repair", At(9, 13, 30), "any", now, &who) == SlotProblem::kTaken);
  CHECK(s.Check("repair", At(9, 14, 0), "any", now, &who) == SlotProblem::kNone);
  // Alternatives honour both buffers: nothing fits between 11:00 and the install, the next is 14:00.
  auto alt = s.Alternatives("repair", At(9, 11, 0), "any", now, 2);
  REQUIRE(alt.size() == 2);
  CHECK(alt[0].start == At(9, 14, 0));
  CHECK(alt[1].start == At(9, 14, 15));
}

TEST_CASE("minimum notice: nothing sooner than the notice, counted in real time") {
  auto b = Shop(R"(["Ana"])", kCut, R"({"min_notice_minutes":120})");
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute now = At(8, 9, 5);
  std::string who;
  CHECK(s.Check("cut", At(8, 9, 0), "any", now, &who) == SlotProblem::kPast);
  CHECK(s.Check("cut", At(8, 11, 0), "any", now, &who) == SlotProblem::kTooSoon);
  CHECK(s.Check("cut", At(8, 11, 15), "any", now, &who) == SlotProblem::kNone);
  CHECK(s.Describe(SlotProblem::kTooSoon, "cut", At(8, 11, 0), "any", now) ==
        "I'm sorry, we need at least 2 hours of notice for a booking.");
  auto earliest = s.Earliest("cut", now, "any", now, 1);
  REQUIRE(earliest.size() == 1);
  CHECK(earliest[0].start == At(8, 11, 15));
  auto alt = s.Alternatives("cut", At(8, 10, 0), "any", now, 2);
  REQUIRE(alt.size() == 2);
  CHECK(alt[0].start == At(8, 11, 15));
  CHECK(alt[1].start == At(8, 11, 30));
}

TEST_CASE("booking horizon: no start more than horizon_days after today") {
  auto b = Shop(R"(["Ana"])", kCut, R"({"horizon_days":60, "search_days":90})");
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute now = At(8, 9, 0);
  std::string who;
  LocalMinute day60 = At(8, 10, 0) + 60 * 24 * 60;  // Saturday 2027-02-06
  CHECK(s.Check("cut", day60, "any", now, &who) == SlotProblem::kNone);
  CHECK(s.Check("cut", day60 + 2 * 24 * 60, "any", now, &who) == SlotProblem::kTooFar);  // Monday the 8th
  CHECK(s.DayProblem(day60 + 24 * 60, now) == SlotProblem::kTooFar);
  CHECK(s.Describe(SlotProblem::kTooFar, "cut", day60, "any", now) == "I'm sorry, we only book up to 60 days ahead.");
  // Everything before the horizon busy: Earliest finds nothing rather than a slot past it.
  Occupy(cal, b, "Ana", At(8, 9, 0), 61 * 24 * 60);
  CHECK(s.Earliest("cut", now, "any", now, 1).empty());
  CHECK(s.Alternatives("cut", day60, "any", now, 2).empty());
}

TEST_CASE("slot grid: starts only on the grid from local midnight") {
  auto b = Shop(R"(["Ana"])", kCut, R"({"grid_minutes":30})");
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  CHECK(s.Check("cut", At(9, 9, 30), "any", now, &who) == SlotProblem::kNone);
  CHECK(s.Check("cut", At(9, 9, 15), "any", now, &who) == SlotProblem::kOffGrid);
  auto free = s.FreeOnDay("cut", At(9, 0, 0), "any", now, 0, 24 * 60, 100);
  REQUIRE(free.size() == 15);  // 9:00 .. 16:00 every 30 minutes
  for (const auto& f : free) CHECK((f.start - At(9, 0, 0)) % 30 == 0);
}

TEST_CASE("DST: skipped wall times are never offered, durations and notice are real time") {
  // Open around the clock; 2026-03-08 Chicago springs forward at 2:00 (2:00-2:59 do not exist).
  const std::string all_day = R"({"sun":["00:00","24:00"],"mon":["00:00","24:00"],"tue":["00:00","24:00"],
      "wed":["00:00","24:00"],"thu":["00:00","24:00"],"fri":["00:00","24:00"],"sat":["00:00","24:00"]})";
  auto b = Shop(R"(["Tech"])", R"([{"id":"job","name":"Job","minutes":120}])", R"({"grid_minutes":30})",
                "America/Chicago", all_day);
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute day = MakeLocalMinute(2026, 3, 8, 0, 0);
  LocalMinute now = MakeLocalMinute(2026, 3, 7, 12, 0);
  std::string who;
  CHECK(s.Check("job", day + 2 * 60, "any", now, &who) == SlotProblem::kOutsideHours);
  CHECK(s.Check("job", day + 2 * 60 + 30, "any", now, &who) == SlotProblem::kOutsideHours);
  auto free = s.FreeOnDay("job", day, "any", now, 0, 4 * 60, 100);
  std::vector<LocalMinute> starts;
  for (const auto& f : free) starts.push_back(f.start - day);
  CHECK(starts == std::vector<LocalMinute>{0, 30, 60, 90, 180, 210});  // no 2:00, no 2:30
  // A 2-hour job at 1:00 lasts 2 real hours: it ends at 4:00 on the wall clock.
  CHECK(s.EndUtc(day + 60, 120) - LocalToUtc(b.timezone, day + 60) == 7200);
  CHECK(UtcToLocal(b.timezone, s.EndUtc(day + 60, 120)) == day + 4 * 60);
  Appointment a;
  a.id = "night";
  a.business_id = b.id;
  a.service_id = "job";
  a.resource = "Tech";
  a.start_utc = LocalToUtc(b.timezone, day + 60);
  a.end_utc = s.EndUtc(day + 60, 120);
  REQUIRE(cal.Book(a).ok());
  CHECK(s.Check("job", day + 3 * 60 + 30, "any", now, &who) == SlotProblem::kTaken);  // 3:30 is inside it
  CHECK(s.Check("job", day + 4 * 60, "any", now, &who) == SlotProblem::kNone);
  // A job ending near midnight: 22:00 + 2 h fits exactly.
  CHECK(s.Check("job", day + 22 * 60, "any", now, &who) == SlotProblem::kNone);
  CHECK(s.Check("job", day + 22 * 60 + 30, "any", now, &who) == SlotProblem::kOutsideHours);

  // Minimum notice across the change: at 1:30 wall clock, 3:00 is only 30 real minutes away.
  auto n = Shop(R"(["Tech"])", R"([{"id":"job","name":"Job","minutes":30}])",
                R"({"grid_minutes":30,"min_notice_minutes":60})", "America/Chicago", all_day);
  MemoryCalendar empty;
  Scheduler t(n, empty);
  LocalMinute night = day + 90;
  CHECK(t.Check("job", day + 3 * 60, "any", night, &who) == SlotProblem::kTooSoon);
  CHECK(t.Check("job", day + 3 * 60 + 30, "any", night, &who) == SlotProblem::kNone);

  // Fall back (2026-11-01): 1:00-1:59 happens twice. With the exact instant given, 1:30 CST
  // (the second one) is now; 2:30 wall is then 60 real minutes ahead, 2:00 only 30.
  LocalMinute fall = MakeLocalMinute(2026, 11, 1, 0, 0);
  int64_t second_130 = LocalToUtc(n.timezone, fall + 90) + 3600;  // the CST 1:30
  CHECK(UtcToLocal(n.timezone, second_130) == fall + 90);
  Scheduler u(n, empty);
  u.SetNowUtc(second_130);
  CHECK(u.Check("job", fall + 2 * 60, "any", fall + 90, &who) == SlotProblem::kTooSoon);
  CHECK(u.Check("job", fall + 2 * 60 + 30, "any", fall + 90, &who) == SlotProblem::kNone);
  // A 60-minute job at 0:30 (CDT) ends at the first 1:30 — one real hour.
  CHECK(n.FindService("job") != nullptr);
  CHECK(s.EndUtc(fall + 30, 60) - LocalToUtc(b.timezone, fall + 30) == 3600);
}

TEST_CASE("scheduling rule fields are validated with the file and the field path") {
  auto base = [](const std::string& resources, const std::string& services, const std::string& sched) {
    return R"({"id":"b","name":"B","timezone":"America/Chicago","hours":{"mon":["09:00","17:00"]},"resources":)" +
           resources + R"(,"services":)" + services + R"(,"scheduling":)" + sched + "}";
  };
  const std::string svc = R"([{"id":"cut","name":"Cut","minutes":30}])";
  CHECK(ErrorOf(base(R"(["A"])", svc, R"({"holidays":["12-32"]})")) ==
        "biz.json: scheduling.holidays[0]: must be a date \"YYYY-MM-DD\" or \"MM-DD\" (every year)");
  CHECK(ErrorOf(base(R"(["A"])", svc, R"({"closures":[{"from":"2026-12-20","to":"2026-12-10"}]})")) ==
        "biz.json: scheduling.closures[0].to: is before \"from\"");
  CHECK(ErrorOf(base(R"(["A"])", svc, R"({"closures":[{"date":"12-25"}]})")) ==
        "biz.json: scheduling.closures[0].date: must be a date \"YYYY-MM-DD\"");
  CHECK(ErrorOf(base(R"(["A"])", svc, R"({"closures":[{"date":"2026-12-24","hours":["12:00","09:00"]}]})")) ==
        "biz.json: scheduling.closures[0].hours: closes before it opens");
  CHECK(ErrorOf(base(R"(["A"])", svc, R"({"closures":[{"name":"x"}]})")) ==
        "biz.json: scheduling.closures[0]: needs \"date\", or \"from\" and \"to\"");
  CHECK(ErrorOf(base(R"(["A"])", svc, R"({"min_notice_minutes":-5})")) ==
        "biz.json: scheduling.min_notice_minutes: must be a whole number from 0 to 86400");
  CHECK(ErrorOf(base(R"(["A"])", svc, R"({"horizon_days":"60"})")) ==
        "biz.json: scheduling.horizon_days: must be a whole number from 0 to 3660");
  CHECK(ErrorOf(base(R"(["A"])", svc, R"({"buffer_minutes":2000})")) ==
        "biz.json: scheduling.buffer_minutes: must be a whole number from 0 to 1440");
  CHECK(ErrorOf(base(R"(["A", {"name":"B","hours":{"tue":["9:00"]}}])", svc, "{}")) ==
        "biz.json: resources[1].hours.tue: must be a pair [\"HH:MM\", \"HH:MM\"]");
  CHECK(ErrorOf(base(R"(["A", {"name":"B","days_off":["someday"]}])", svc, "{}")) ==
        "biz.json: resources[1].days_off[0]: must be a weekday (sun..sat), a date \"YYYY-MM-DD\" or {\"from\", \"to\"}");
  CHECK(ErrorOf(base(R"(["A", {"name":"B","skils":["x"]}])", svc, "{}")) ==
        "biz.json: resources[1].skils: unknown field (use name, skills, hours, days_off)");
  CHECK(ErrorOf(base(R"(["A", {"skills":["x"]}])", svc, "{}")) ==
        "biz.json: resources[1].name: missing (a string is required)");
  CHECK(ErrorOf(base(R"(["A"])", R"([{"id":"b","name":"Brakes","minutes":60,"requires":["lift"]}])", "{}")) ==
        "biz.json: services[0].requires: no resource has the skills 'lift'");
  CHECK(ErrorOf(base(R"(["A"])", R"([{"id":"b","name":"Brakes","minutes":60,"resources":["Z"]}])", "{}")) ==
        "biz.json: services[0].resources[0]: 'Z' is not one of resources");
  CHECK(ErrorOf(base(R"(["A"])", R"([{"id":"b","name":"Brakes","minutes":60,"buffer_minutes":-1}])", "{}")) ==
        "biz.json: services[0].buffer_minutes: must be a whole number of minutes from 0 to 1440");
}

TEST_CASE("buffer on a move: the moved job's own old slot is free, every other job's buffer still counts") {
  auto b = Shop(R"(["Tech 1"])", R"([{"id":"repair","name":"Repair","minutes":60}])", R"({"buffer_minutes":30})");
  MemoryCalendar cal;
  Occupy(cal, b, "Tech 1", At(9, 10, 0), 60, "repair");  // the job being moved: 10-11 (+30)
  Occupy(cal, b, "Tech 1", At(9, 13, 0), 60, "repair");  // another job: 13-14 (+30)
  const std::string moving = "Tech 1" + std::to_string(At(9, 10, 0));
  Scheduler s(b, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  CHECK(s.Check("repair", At(9, 10, 30), "any", now, &who) == SlotProblem::kTaken);  // a new booking: taken
  s.SetMoving(moving);
  CHECK(s.Check("repair", At(9, 10, 30), "any", now, &who) == SlotProblem::kNone);  // overlaps only itself
  CHECK(s.Check("repair", At(9, 11, 30), "any", now, &who) == SlotProblem::kNone);
  CHECK(s.Check("repair", At(9, 12, 0), "any", now, &who) == SlotProblem::kTaken);   // 12-13 + 30 travel hits 13:00
  CHECK(s.Check("repair", At(9, 14, 0), "any", now, &who) == SlotProblem::kTaken);   // inside 13:00's buffer
  CHECK(s.Check("repair", At(9, 14, 30), "any", now, &who) == SlotProblem::kNone);
  // Alternatives to 12:00 for the move: the old slot counts as free, the 13:00 job's buffer does not.
  auto alt = s.Alternatives("repair", At(9, 12, 0), "any", now, 3);
  REQUIRE_FALSE(alt.empty());
  for (const auto& a : alt) {
    INFO("minute of day " << (a.start - DayOf(a.start)));
    CHECK((a.start <= At(9, 11, 30) || a.start >= At(9, 14, 30)));
  }
  s.SetMoving("");
  CHECK(s.Check("repair", At(9, 10, 30), "any", now, &who) == SlotProblem::kTaken);
}
