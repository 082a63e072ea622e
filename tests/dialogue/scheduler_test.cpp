#include <doctest/doctest.h>

#include "dialogue/memory_calendar.h"
#include "dialogue/scheduler.h"
#include "infini/business.h"

using namespace infini;
using namespace infini::dialogue;

namespace {

// Tue 2026-12-08 is a Tuesday. Open Mon-Fri 9-17, Sat 9-12, Sunday closed. Two staff.
BusinessConfig Shop() {
  auto r = ParseBusinessConfig(R"({"id":"shop","name":"Shop","timezone":"America/Chicago",
    "hours":{"mon":["09:00","17:00"],"tue":["09:00","17:00"],"wed":["09:00","17:00"],"thu":["09:00","17:00"],
             "fri":["09:00","17:00"],"sat":["09:00","12:00"],"sun":null},
    "resources":["Ana","Bo"],
    "services":[{"id":"cut","name":"Cut","minutes":60},{"id":"quick","name":"Quick","minutes":30},
                {"id":"ana_only","name":"Special","minutes":60,"resource":"Ana"}]})",
                               "shop.json");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return r.value();
}

LocalMinute At(int d, int h, int m) { return MakeLocalMinute(2026, 12, d, h, m); }

void Occupy(Calendar& cal, const BusinessConfig& b, const std::string& who, LocalMinute start, int minutes) {
  Appointment a;
  a.id = who + std::to_string(start);
  a.business_id = b.id;
  a.service_id = "cut";
  a.resource = who;
  a.start_utc = LocalToUtc(b.timezone, start);
  a.end_utc = LocalToUtc(b.timezone, start + minutes);
  REQUIRE(cal.Book(a).ok());
}

}  // namespace

TEST_CASE("local time helpers round-trip and know weekdays") {
  CHECK(WeekdayOf(At(8, 10, 0)) == 2);  // Tuesday
  CHECK(FormatLocal(At(8, 9, 5)) == "2026-12-08T09:05");
  LocalMinute t = 0;
  CHECK(ParseLocal("2026-12-08T09:05:00", &t));
  CHECK(t == At(8, 9, 5));
  CHECK_FALSE(ParseLocal("2026-02-30T09:00", &t));
  CHECK_FALSE(ParseLocal("tomorrow", &t));
}

TEST_CASE("9:00 local on either side of the US DST change maps to the right UTC") {
  // 2026-03-08 is the spring-forward Sunday in the US. Chicago is UTC-6 before and UTC-5 after.
  int64_t before = LocalToUtc("America/Chicago", MakeLocalMinute(2026, 3, 7, 9, 0));
  int64_t after = LocalToUtc("America/Chicago", MakeLocalMinute(2026, 3, 9, 9, 0));
  CHECK(before == 1772895600);  // 2026-03-07T15:00:00Z
  CHECK(after == 1773064800);   // 2026-03-09T14:00:00Z
  CHECK(after - before == 2 * 86400 - 3600);
  // Fall back: 2026-11-01. 9:00 the day before is UTC-5, the day after UTC-6.
  int64_t fall_before = LocalToUtc("America/Chicago", MakeLocalMinute(2026, 10, 31, 9, 0));
  int64_t fall_after = LocalToUtc("America/Chicago", MakeLocalMinute(2026, 11, 2, 9, 0));
  CHECK(fall_after - fall_before == 2 * 86400 + 3600);
  CHECK(UtcToLocal("America/Chicago", after) == MakeLocalMinute(2026, 3, 9, 9, 0));
  // 2:30 on the spring-forward day does not exist: it maps to 3:00 CDT (08:00Z).
  CHECK(LocalToUtc("America/Chicago", MakeLocalMinute(2026, 3, 8, 2, 30)) == 1772956800);
}

TEST_CASE("an appointment fits inside hours; ending exactly at closing is fine") {
  auto b = Shop();
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  CHECK(s.Check("cut", At(8, 16, 0), "any", now, &who) == SlotProblem::kNone);
  CHECK(s.Check("cut", At(8, 16, 15), "any", now, &who) == SlotProblem::kOutsideHours);
  CHECK(s.Check("cut", At(8, 8, 45), "any", now, &who) == SlotProblem::kOutsideHours);
  CHECK(s.Check("cut", At(12, 11, 0), "any", now, &who) == SlotProblem::kNone);   // Saturday ends at noon
  CHECK(s.Check("cut", At(12, 11, 15), "any", now, &who) == SlotProblem::kOutsideHours);
  CHECK(s.Check("cut", At(13, 10, 0), "any", now, &who) == SlotProblem::kClosedDay);  // Sunday
  CHECK(s.Check("nope", At(8, 10, 0), "any", now, &who) == SlotProblem::kUnknownService);
}

TEST_CASE("start times are on the grid and never in the past") {
  auto b = Shop();
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute now = At(8, 11, 5);
  std::string who;
  CHECK(s.Check("cut", At(8, 10, 10), "any", At(8, 8, 0), &who) == SlotProblem::kOffGrid);
  CHECK(s.Check("cut", At(8, 11, 0), "any", now, &who) == SlotProblem::kPast);
  CHECK(s.Check("cut", At(8, 11, 15), "any", now, &who) == SlotProblem::kNone);
  auto earliest = s.Earliest("cut", now, "any", now, 1);
  REQUIRE(earliest.size() == 1);
  CHECK(earliest[0].start == At(8, 11, 15));
}

TEST_CASE("any staff takes whoever is free; a named one is honoured or reported busy") {
  auto b = Shop();
  MemoryCalendar cal;
  Occupy(cal, b, "Ana", At(9, 10, 0), 60);
  Scheduler s(b, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  CHECK(s.Check("cut", At(9, 10, 0), "any", now, &who) == SlotProblem::kNone);
  CHECK(who == "Bo");
  CHECK(s.Check("cut", At(9, 10, 0), "Ana", now, &who) == SlotProblem::kStaffBusy);
  CHECK(s.Check("cut", At(9, 10, 30), "Ana", now, &who) == SlotProblem::kStaffBusy);  // overlaps 10:30-11
  CHECK(s.Check("cut", At(9, 11, 0), "Ana", now, &who) == SlotProblem::kNone);        // back-to-back is fine
  CHECK(who == "Ana");
  CHECK(s.Check("cut", At(9, 9, 0), "Ana", now, &who) == SlotProblem::kNone);         // ends as hers starts
  // A service tied to Ana never lands on Bo.
  CHECK(s.Check("ana_only", At(9, 10, 0), "any", now, &who) == SlotProblem::kTaken);
  // Ana's nearest times for the named request.
  auto alt = s.Alternatives("cut", At(9, 10, 0), "Ana", now, 2);
  REQUIRE(alt.size() == 2);
  CHECK(alt[0].start == At(9, 9, 0));
  CHECK(alt[1].start == At(9, 11, 0));
  CHECK(alt[0].resource == "Ana");
}

TEST_CASE("alternatives: nearest on the same day first, then the next open days") {
  auto b = Shop();
  MemoryCalendar cal;
  // Both busy 13:00-15:00 on Wednesday the 9th.
  Occupy(cal, b, "Ana", At(9, 13, 0), 120);
  Occupy(cal, b, "Bo", At(9, 13, 0), 120);
  Scheduler s(b, cal);
  LocalMinute now = At(8, 8, 0);
  std::string who;
  CHECK(s.Check("cut", At(9, 14, 0), "any", now, &who) == SlotProblem::kTaken);
  auto alt = s.Alternatives("cut", At(9, 14, 0), "any", now, 2);
  REQUIRE(alt.size() == 2);
  CHECK(alt[0].start == At(9, 15, 0));  // 1h after: starts as the block ends
  CHECK(alt[1].start == At(9, 15, 15));
  auto three = s.Alternatives("cut", At(9, 14, 0), "any", now, 3);
  REQUIRE(three.size() == 3);
  CHECK(three[2].start == At(9, 15, 30));  // 12:00 (2h before) is farther than 15:30
  // The whole of Saturday morning is busy -> the next open day (Monday; Sunday is closed).
  MemoryCalendar full;
  Occupy(full, b, "Ana", At(12, 9, 0), 180);
  Occupy(full, b, "Bo", At(12, 9, 0), 180);
  Scheduler s2(b, full);
  auto next = s2.Alternatives("cut", At(12, 10, 0), "any", now, 2);
  REQUIRE(next.size() == 2);
  CHECK(WeekdayOf(next[0].start) == 1);  // Monday the 14th
  CHECK(next[0].start == At(14, 9, 45));  // nearest to 10:00 on Monday, said in time order
  CHECK(next[1].start == At(14, 10, 0));
  // A closed day offers the next open days.
  auto sunday = s.Alternatives("cut", At(13, 10, 0), "any", now, 2);
  REQUIRE(sunday.size() == 2);
  CHECK(sunday[1].start == At(14, 10, 0));
}

TEST_CASE("alternatives never offer past times") {
  auto b = Shop();
  MemoryCalendar cal;
  Scheduler s(b, cal);
  LocalMinute now = At(8, 16, 20);
  auto alt = s.Alternatives("cut", At(8, 16, 0), "any", now, 2);
  REQUIRE(alt.size() == 2);
  for (const auto& a : alt) CHECK(a.start > now);
  CHECK(alt[0].start == At(9, 15, 45));  // the next day, nearest to 16:00, in time order
  CHECK(alt[1].start == At(9, 16, 0));   // ends exactly at closing
}
