// CalDAV provider against a real Radicale server (Debian `radicale`) on 127.0.0.1.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "calendars/servers.h"
#include "calendars/time_util.h"
#include "infini/calendars.h"
#include "net/http_client.h"

using namespace infini;
using infini::test::Radicale;

namespace {

// 2026-03-08 is the US spring-forward day (02:00 CST -> 03:00 CDT); 2026-11-01 falls back.
int64_t Chicago(int y, int mo, int d, int h, int mi) {
  return calendars::LocalToUtc("America/Chicago", {y, mo, d, h, mi, 0}).value();
}

// One Radicale for the file (it takes ~1 s to start); each test case its own collection.
Radicale& SharedRadicale() {
  static Radicale radicale;  // stopped (by pid) when the test program exits
  static const bool started = radicale.Start();
  REQUIRE_MESSAGE(started, "radicale did not start (apt-get install radicale)");
  return radicale;
}

struct Dav {
  Radicale& radicale;
  std::string collection;
  net::HttpClient http;

  explicit Dav(const std::string& name, Radicale& server = SharedRadicale()) : radicale(server) {
    collection = radicale.base + "/office/" + name + "/";
    auto r = Send("MKCALENDAR", collection, "");
    REQUIRE(r.ok());
    REQUIRE(r->status == 201);
  }
  Result<net::HttpClientResponse> Send(const std::string& method, const std::string& url, const std::string& body,
                                       std::map<std::string, std::string> headers = {}) {
    return http.Send({.method = method, .url = url, .headers = headers, .body = body, .timeout_ms = 5000,
                      .username = Radicale::kUser, .password = Radicale::kPassword});
  }
  // Puts an event the way another client (the owner's phone) would.
  void PutForeign(const std::string& name, const std::string& vevent_lines) {
    std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\n" + vevent_lines + "END:VCALENDAR\r\n";
    auto r = Send("PUT", collection + name, ics, {{"Content-Type", "text/calendar"}});
    REQUIRE(r.ok());
    REQUIRE(r->status == 201);
  }
  // Every .ics in the collection, concatenated (read back over plain HTTP).
  std::string AllEvents() {
    auto r = Send("REPORT", collection,
                  "<?xml version=\"1.0\"?><C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
                  "<D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name=\"VCALENDAR\"/></C:filter>"
                  "</C:calendar-query>",
                  {{"Depth", "1"}, {"Content-Type", "application/xml"}});
    REQUIRE(r.ok());
    REQUIRE(r->status == 207);
    return r->body;
  }
  std::unique_ptr<Calendar> Make(std::vector<std::string> resources = {"Mike", "Anna"}) {
    CalDavOptions o;
    o.url = collection;
    o.username = Radicale::kUser;
    o.password = Radicale::kPassword;
    o.business_id = "acme";
    o.timezone = "America/Chicago";
    o.resources = std::move(resources);
    auto cal = MakeCalDavCalendar(o);
    REQUIRE(cal.ok());
    return std::move(cal).value();
  }
};

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

Appointment Appt(const std::string& id, const std::string& resource, int64_t start, int minutes) {
  Appointment a;
  a.id = id;
  a.business_id = "acme";
  a.service_id = "tune_up";
  a.resource = resource;
  a.start_utc = start;
  a.end_utc = start + minutes * 60;
  a.customer_name = "Dana Smith";
  a.customer_phone = "+15125550100";
  return a;
}

}  // namespace

TEST_CASE("CalDAV availability honours events created directly in Radicale") {
  Dav dav("availability");
  // A one-off UTC event, a TZID event with its VTIMEZONE left out (clients rely on IANA names),
  // an all-day event, a cancelled and a transparent one, and a weekly meeting crossing DST.
  dav.PutForeign("dentist.ics",
                 "BEGIN:VEVENT\r\nUID:phone-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260309T150000Z\r\n"
                 "DTEND:20260309T160000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\n");
  dav.PutForeign("lunch.ics",
                 "BEGIN:VEVENT\r\nUID:phone-2\r\nDTSTAMP:20260101T000000Z\r\n"
                 "DTSTART;TZID=America/Chicago:20260310T120000\r\nDURATION:PT1H30M\r\nSUMMARY:Lunch\r\n"
                 "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:x\r\nEND:VALARM\r\nEND:VEVENT\r\n");
  dav.PutForeign("off.ics",
                 "BEGIN:VEVENT\r\nUID:phone-3\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260311\r\n"
                 "DTEND;VALUE=DATE:20260312\r\nSUMMARY:Day off\r\nEND:VEVENT\r\n");
  dav.PutForeign("cancelled.ics",
                 "BEGIN:VEVENT\r\nUID:phone-4\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260309T180000Z\r\n"
                 "DTEND:20260309T190000Z\r\nSTATUS:CANCELLED\r\nSUMMARY:x\r\nEND:VEVENT\r\n");
  dav.PutForeign("free.ics",
                 "BEGIN:VEVENT\r\nUID:phone-5\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260309T200000Z\r\n"
                 "DTEND:20260309T210000Z\r\nTRANSP:TRANSPARENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n");
  dav.PutForeign("weekly.ics",
                 "BEGIN:VEVENT\r\nUID:phone-6\r\nDTSTAMP:20260101T000000Z\r\n"
                 "DTSTART;TZID=America/Chicago:20260302T080000\r\nDTEND;TZID=America/Chicago:20260302T083000\r\n"
                 "RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Team meeting\r\nEND:VEVENT\r\n");
  auto cal = dav.Make();

  auto day = cal->List("acme", Chicago(2026, 3, 9, 0, 0), Chicago(2026, 3, 10, 0, 0));
  REQUIRE_MESSAGE(day.ok(), day.status().ToString());
  // Dentist (blocks Mike and Anna: untagged) + the weekly meeting's instance (08:00 CDT = 13:00Z).
  REQUIRE(day->size() == 4);
  CHECK(day->at(0).start_utc == Chicago(2026, 3, 9, 8, 0));
  CHECK(day->at(0).start_utc == calendars::CivilToUtc({2026, 3, 9, 13, 0, 0}));  // CDT, after the change
  CHECK(day->at(0).end_utc - day->at(0).start_utc == 1800);
  CHECK(day->at(2).start_utc == calendars::CivilToUtc({2026, 3, 9, 15, 0, 0}));
  CHECK(day->at(2).notes == "Dentist");
  std::set<std::string> blocked;
  for (const auto& a : *day) blocked.insert(a.resource);
  CHECK(blocked == std::set<std::string>{"Anna", "Mike"});

  // The weekly meeting before the change is at 08:00 CST = 14:00Z.
  auto before = cal->List("acme", Chicago(2026, 3, 2, 0, 0), Chicago(2026, 3, 3, 0, 0));
  REQUIRE(before.ok());
  REQUIRE(before->size() == 2);
  CHECK(before->at(0).start_utc == calendars::CivilToUtc({2026, 3, 2, 14, 0, 0}));
  // COUNT=4: Mar 2, 9, 16, 23 and no more.
  auto after = cal->List("acme", Chicago(2026, 3, 30, 0, 0), Chicago(2026, 3, 31, 0, 0));
  REQUIRE(after.ok());
  CHECK(after->empty());

  auto lunch = cal->FreeBusy("acme", Chicago(2026, 3, 10, 0, 0), Chicago(2026, 3, 11, 0, 0));
  REQUIRE(lunch.ok());
  REQUIRE(lunch->size() == 2);
  CHECK(lunch->at(0).start_utc == Chicago(2026, 3, 10, 12, 0));
  CHECK(lunch->at(0).end_utc == Chicago(2026, 3, 10, 13, 30));

  auto off = cal->List("acme", Chicago(2026, 3, 11, 9, 0), Chicago(2026, 3, 11, 10, 0));
  REQUIRE(off.ok());
  REQUIRE(off->size() == 2);
  CHECK(off->at(0).start_utc == Chicago(2026, 3, 11, 0, 0));

  // Booking into a busy stretch is refused; next to it is fine.
  CHECK(cal->Book(Appt("b1", "Mike", calendars::CivilToUtc({2026, 3, 9, 15, 30, 0}), 60)).status().IsAlreadyExists());
  auto ok = cal->Book(Appt("b2", "Mike", calendars::CivilToUtc({2026, 3, 9, 16, 0, 0}), 60));
  CHECK_MESSAGE(ok.ok(), ok.status().ToString());
}

TEST_CASE("CalDAV booking appears in Radicale with the business zone, DST-correct, and a retry does not double-book") {
  Dav dav("booking");
  auto cal = dav.Make();
  // Spring forward: 09:00 CDT on 2026-03-08 is 14:00Z; a 01:30 CST start for 60 minutes ends 03:30 CDT.
  Appointment spring = Appt("acme-spring-1", "Mike", Chicago(2026, 3, 8, 9, 0), 60);
  spring.address = "12 Elm St, Austin; TX";
  REQUIRE(spring.start_utc == calendars::CivilToUtc({2026, 3, 8, 14, 0, 0}));
  auto booked = cal->Book(spring);
  REQUIRE_MESSAGE(booked.ok(), booked.status().ToString());
  Appointment night = Appt("acme-night-1", "Anna", Chicago(2026, 3, 8, 1, 30), 60);
  REQUIRE(night.end_utc - night.start_utc == 3600);
  REQUIRE(cal->Book(night).ok());
  // Fall back: 09:00 CST on 2026-11-01 is 15:00Z, the day before 09:00 CDT is 14:00Z.
  REQUIRE(cal->Book(Appt("acme-fall-1", "Mike", Chicago(2026, 11, 1, 9, 0), 60)).ok());
  REQUIRE(cal->Book(Appt("acme-fall-0", "Mike", Chicago(2026, 10, 31, 9, 0), 60)).ok());

  std::string all = dav.AllEvents();
  CHECK(Count(all, "BEGIN:VEVENT") == 4);
  CHECK(all.find("UID:acme-spring-1") != std::string::npos);
  CHECK(all.find("DTSTART;TZID=America/Chicago:20260308T090000") != std::string::npos);
  CHECK(all.find("DTSTART;TZID=America/Chicago:20260308T013000") != std::string::npos);
  CHECK(all.find("DTEND;TZID=America/Chicago:20260308T033000") != std::string::npos);
  CHECK(all.find("DTSTART;TZID=America/Chicago:20261101T090000") != std::string::npos);
  CHECK(all.find("BEGIN:VTIMEZONE") != std::string::npos);
  CHECK(all.find("X-INFINI-RESOURCE:Mike") != std::string::npos);
  CHECK(all.find("LOCATION:12 Elm St\\, Austin\\; TX") != std::string::npos);

  // Radicale itself (vobject + our VTIMEZONE) places the events at the right instants:
  // a UTC time-range query hits each exactly.
  auto hit = [&](int64_t from, int64_t to) {
    auto r = dav.Send("REPORT", dav.collection,
                      "<?xml version=\"1.0\"?><C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
                      "<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\">"
                      "<C:time-range start=\"" + calendars::FormatIcsUtc(from) + "\" end=\"" + calendars::FormatIcsUtc(to) +
                      "\"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>",
                      {{"Depth", "1"}, {"Content-Type", "application/xml"}});
    REQUIRE(r.ok());
    return Count(r->body, "getetag>") / 2;
  };
  int64_t z14 = calendars::CivilToUtc({2026, 3, 8, 14, 0, 0});
  CHECK(hit(z14, z14 + 60) == 1);
  CHECK(hit(z14 - 600, z14) == 0);
  int64_t z0820 = calendars::CivilToUtc({2026, 3, 8, 8, 20, 0});  // 03:20 CDT: the night booking
  CHECK(hit(z0820, z0820 + 60) == 1);
  int64_t nov = calendars::CivilToUtc({2026, 11, 1, 15, 0, 0});
  CHECK(hit(nov, nov + 60) == 1);
  CHECK(hit(nov - 3600, nov) == 0);

  // Reading back through the provider gives the same instants and details.
  auto listed = cal->List("acme", Chicago(2026, 3, 8, 0, 0), Chicago(2026, 3, 9, 0, 0));
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK(listed->at(1).id == "acme-spring-1");
  CHECK(listed->at(1).start_utc == spring.start_utc);
  CHECK(listed->at(1).resource == "Mike");
  CHECK(listed->at(1).customer_phone == "+15125550100");
  CHECK(listed->at(1).address == "12 Elm St, Austin; TX");

  // A retry with the same id is the same booking, not a second one; another id is refused.
  auto again = cal->Book(spring);
  REQUIRE_MESSAGE(again.ok(), again.status().ToString());
  CHECK(again->id == "acme-spring-1");
  CHECK(cal->Book(Appt("other", "Mike", spring.start_utc, 60)).status().IsAlreadyExists());
  CHECK(cal->Book(Appt("other", "Mike", spring.start_utc + 1800, 60)).status().IsAlreadyExists());
  CHECK(Count(dav.AllEvents(), "BEGIN:VEVENT") == 4);

  // Move, update, cancel, find by phone.
  auto moved = cal->Move("acme-spring-1", spring.start_utc + 7200, spring.end_utc + 7200, "");
  REQUIRE_MESSAGE(moved.ok(), moved.status().ToString());
  CHECK(cal->Book(Appt("after-move", "Mike", spring.start_utc, 60)).ok());
  CHECK(cal->Move("acme-spring-1", spring.start_utc, spring.end_utc, "").status().IsAlreadyExists());
  Appointment changed = moved.value();
  changed.notes = "Gate code 4411";
  REQUIRE(cal->Update(changed).ok());
  CHECK(dav.AllEvents().find("Gate code 4411") != std::string::npos);
  auto mine = cal->FindByPhone("acme", "+15125550100", Chicago(2026, 3, 1, 0, 0));
  REQUIRE(mine.ok());
  CHECK(mine->size() == 5);
  REQUIRE(cal->Cancel("acme-fall-1").ok());
  CHECK(cal->Cancel("acme-fall-1").IsNotFound());
  CHECK(cal->Book(Appt("after-cancel", "Mike", Chicago(2026, 11, 1, 9, 0), 60)).ok());
  CHECK(Count(dav.AllEvents(), "BEGIN:VEVENT") == 5);
}

TEST_CASE("CalDAV: concurrent bookings of one slot end with exactly one event") {
  Dav dav("race");
  auto cal = dav.Make();
  for (int round = 0; round < 3; ++round) {
    const int64_t start = Chicago(2026, 3, 8, 8 + 3 * round, 0);
    std::atomic<int> ok{0}, taken{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i)
      threads.emplace_back([&, i] {
        // Half race for the same start, half for an overlapping start 30 minutes later.
        auto r = cal->Book(Appt("race-" + std::to_string(round) + "-" + std::to_string(i), "Mike",
                                start + (i % 2) * 1800, 60));
        if (r.ok()) ++ok;
        else if (r.status().IsAlreadyExists()) ++taken;
        else ++other;
      });
    for (auto& t : threads) t.join();
    CHECK(other == 0);
    CHECK(ok <= 1);   // never two overlapping bookings
    auto listed = cal->List("acme", start, start + 5400);
    REQUIRE(listed.ok());
    CHECK(int(listed->size()) == ok.load());
  }
  // The common race — the very same slot — always has a winner.
  const int64_t start = Chicago(2026, 3, 9, 9, 0);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      if (cal->Book(Appt("same-" + std::to_string(i), "Anna", start, 60)).ok()) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 1);
  auto listed = cal->List("acme", start, start + 3600);
  REQUIRE(listed.ok());
  CHECK(listed->size() == 1);
}

TEST_CASE("CalDAV errors: wrong password, missing collection, server gone") {
  Radicale own;
  REQUIRE(own.Start());
  Dav dav("errors", own);
  CalDavOptions o;
  o.url = dav.collection;
  o.username = Radicale::kUser;
  o.password = "wrong-password";
  o.timezone = "America/Chicago";
  o.resources = {"Mike"};
  auto bad = MakeCalDavCalendar(o).value();
  auto r = bad->List("acme", 0, 86400);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kPermissionDenied);
  CHECK(r.status().message().find("wrong-password") == std::string::npos);
  o.password = Radicale::kPassword;
  o.url = dav.radicale.base + "/office/nope/";
  auto missing = MakeCalDavCalendar(o).value()->List("acme", 0, 86400);
  CHECK_FALSE(missing.ok());
  o.timezone = "Mars/Olympus";
  CHECK(MakeCalDavCalendar(o).status().IsInvalidArgument());
  o.timezone = "America/Chicago";
  o.url = "ftp://x";
  CHECK(MakeCalDavCalendar(o).status().IsInvalidArgument());
  auto cal = dav.Make();
  dav.radicale.server.Stop();
  auto down = cal->Book(Appt("x", "Mike", Chicago(2026, 3, 8, 9, 0), 60));
  REQUIRE_FALSE(down.ok());
  CHECK(down.status().IsUnavailable());
}
