// Google Calendar and Microsoft Graph providers against local FAKE servers
// (tests/fakes/fake_google_calendar.py, fake_graph.py) that speak the documented JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "calendars/servers.h"
#include "calendars/time_util.h"
#include "infini/calendars.h"
#include "infini/log.h"
#include "net/http_client.h"

using namespace infini;
using infini::test::FakeServer;
using json = nlohmann::json;

namespace {

int64_t Chicago(int y, int mo, int d, int h, int mi) {
  return calendars::LocalToUtc("America/Chicago", {y, mo, d, h, mi, 0}).value();
}

json Control(const FakeServer& fake, const std::string& what, const json& body = json::object()) {
  net::HttpClient http;
  auto r = http.Send({.method = what == "state" ? "GET" : "POST", .url = fake.base + "/_control/" + what,
                      .body = body.dump(), .timeout_ms = 5000});
  REQUIRE(r.ok());
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

Appointment Appt(const std::string& id, const std::string& resource, int64_t start, int minutes) {
  Appointment a;
  a.id = id;
  a.business_id = "hvac";
  a.service_id = "ac_repair";
  a.resource = resource;
  a.start_utc = start;
  a.end_utc = start + minutes * 60;
  a.customer_name = "Dana Smith";
  a.customer_phone = "+15125550100";
  return a;
}

struct LogCapture {
  std::string text;
  LogCapture() {
    SetLogSink([this](LogLevel, std::string_view m) { text.append(m).append("\n"); });
    SetLogLevel(LogLevel::kDebug);
  }
  ~LogCapture() {
    SetLogSink(nullptr);
    SetLogLevel(LogLevel::kInfo);
  }
};

void NoSecretsIn(const std::string& text) {
  for (const char* secret : {"fake-access-", "fake-refresh-token", "fake-client-secret", "fake-refresh-rotated"})
    CHECK_MESSAGE(text.find(secret) == std::string::npos, secret);
}

GoogleCalendarOptions GoogleOptions(const FakeServer& fake) {
  GoogleCalendarOptions o;
  o.business_id = "hvac";
  o.timezone = "America/Chicago";
  o.resources = {"Tech 1", "Tech 2"};
  o.base_url = fake.base;
  o.oauth.token_url = fake.base + "/token";
  o.oauth.client_id = "fake-client";
  o.oauth.client_secret = "fake-client-secret";
  o.oauth.refresh_token = "fake-refresh-token";
  o.timeout_ms = 2000;
  return o;
}

GraphCalendarOptions GraphOptions(const FakeServer& fake) {
  GraphCalendarOptions o;
  o.business_id = "hvac";
  o.timezone = "America/Chicago";
  o.resources = {"Tech 1", "Tech 2"};
  o.base_url = fake.base;
  o.mailbox = "office@contoso.example";
  o.oauth.token_url = fake.base + "/token";
  o.oauth.client_id = "fake-client";
  o.oauth.client_secret = "fake-client-secret";
  o.oauth.refresh_token = "fake-refresh-token";
  o.timeout_ms = 2000;
  return o;
}

}  // namespace

TEST_CASE("Google Calendar: freeBusy honours existing events, insert is DST-correct and idempotent, 401 refreshes") {
  FakeServer fake;
  REQUIRE(fake.Start("fake_google_calendar.py"));
  LogCapture logs;
  // The owner's own event on the Monday after the spring change, 09:00-10:00 CDT.
  Control(fake, "seed", {{"calendar", "primary"},
                         {"event", {{"summary", "Dentist"},
                                    {"start", {{"dateTime", "2026-03-09T09:00:00-05:00"}}},
                                    {"end", {{"dateTime", "2026-03-09T10:00:00-05:00"}}}}}});
  auto cal = MakeGoogleCalendar(GoogleOptions(fake)).value();
  auto day = cal->List("hvac", Chicago(2026, 3, 9, 0, 0), Chicago(2026, 3, 10, 0, 0));
  REQUIRE_MESSAGE(day.ok(), day.status().ToString());
  REQUIRE(day->size() == 2);  // blocks both techs: one shared calendar
  CHECK(day->at(0).start_utc == calendars::CivilToUtc({2026, 3, 9, 14, 0, 0}));
  CHECK(day->at(0).end_utc == calendars::CivilToUtc({2026, 3, 9, 15, 0, 0}));
  CHECK(cal->Book(Appt("x1", "Tech 1", Chicago(2026, 3, 9, 9, 30), 60)).status().IsAlreadyExists());

  // Bookings on both DST days: the fake rejects a dateTime whose offset disagrees with the zone.
  auto spring = cal->Book(Appt("hvac-spring", "Tech 1", Chicago(2026, 3, 8, 9, 0), 120));
  REQUIRE_MESSAGE(spring.ok(), spring.status().ToString());
  auto fall = cal->Book(Appt("hvac-fall", "Tech 2", Chicago(2026, 11, 1, 9, 0), 60));
  REQUIRE_MESSAGE(fall.ok(), fall.status().ToString());
  json state = Control(fake, "state");
  json events = state["events"]["primary"];
  REQUIRE(events.size() == 3);
  auto ours = [](const json& e) {
    return e.contains("extendedProperties") ? e["extendedProperties"]["private"].value("infini_id", "") : std::string();
  };
  json s;
  for (auto& [id, e] : events.items())
    if (ours(e) == "hvac-spring") s = e;
  REQUIRE(s.is_object());
  CHECK(s["start"]["dateTime"] == "2026-03-08T09:00:00-05:00");
  CHECK(s["start"]["timeZone"] == "America/Chicago");
  CHECK(s["end"]["dateTime"] == "2026-03-08T11:00:00-05:00");
  CHECK(s["id"].get<std::string>().find_first_not_of("0123456789abcdefghijklmnopqrstuv") == std::string::npos);
  CHECK(s["extendedProperties"]["private"]["infini_resource"] == "Tech 1");
  for (auto& [id, e] : events.items())
    if (ours(e) == "hvac-fall")
      CHECK(e["start"]["dateTime"] == "2026-11-01T09:00:00-06:00");
  CHECK(state["token_requests"] == 1);

  // A retry of the same booking is not a second event; another id for the slot is refused.
  CHECK(cal->Book(Appt("hvac-spring", "Tech 1", Chicago(2026, 3, 8, 9, 0), 120)).ok());
  CHECK(cal->Book(Appt("other", "Tech 2", Chicago(2026, 3, 8, 10, 0), 60)).status().IsAlreadyExists());
  CHECK(Control(fake, "state")["events"]["primary"].size() == 3);

  // A timeout after the server made the event: the retry finds it (409 / own event), no duplicate.
  Control(fake, "fail", {{"match", "POST /calendar/v3/calendars/primary/events"}, {"hang", 2.5}});
  auto slow = cal->Book(Appt("hvac-slow", "Tech 1", Chicago(2026, 3, 10, 9, 0), 60));
  CHECK(slow.status().IsDeadlineExceeded());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // the fake finishes the insert
  CHECK(cal->Book(Appt("hvac-slow", "Tech 1", Chicago(2026, 3, 10, 9, 0), 60)).ok());
  CHECK(Control(fake, "state")["events"]["primary"].size() == 4);

  // Expired access token: one refresh, then the request succeeds.
  Control(fake, "expire_tokens");
  auto after = cal->List("hvac", Chicago(2026, 3, 8, 0, 0), Chicago(2026, 3, 9, 0, 0));
  REQUIRE_MESSAGE(after.ok(), after.status().ToString());
  CHECK(after->size() == 2);
  CHECK(Control(fake, "state")["token_requests"] == 2);

  // Move, cancel; server errors are Unavailable.
  auto moved = cal->Move("hvac-fall", Chicago(2026, 11, 1, 13, 0), Chicago(2026, 11, 1, 14, 0), "");
  REQUIRE_MESSAGE(moved.ok(), moved.status().ToString());
  REQUIRE(cal->Cancel("hvac-spring").ok());
  CHECK(cal->Cancel("hvac-spring").IsNotFound());
  CHECK(cal->Book(Appt("after-cancel", "Tech 2", Chicago(2026, 3, 8, 10, 0), 60)).ok());
  Control(fake, "fail", {{"match", "freeBusy"}, {"status", 500}});
  auto down = cal->List("hvac", 0, 86400);
  REQUIRE_FALSE(down.ok());
  CHECK(down.status().IsUnavailable());
  CHECK(down.status().message().find("HTTP 500 from google freeBusy") != std::string::npos);
  NoSecretsIn(logs.text);
  NoSecretsIn(down.status().message());
}

TEST_CASE("Google Calendar: a revoked refresh token is a clear PermissionDenied, no secret in it") {
  FakeServer fake;
  REQUIRE(fake.Start("fake_google_calendar.py", {"--refresh-token", "the-new-one"}));
  auto cal = MakeGoogleCalendar(GoogleOptions(fake)).value();
  auto r = cal->List("hvac", 0, 86400);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kPermissionDenied);
  CHECK(r.status().message().find("invalid_grant") != std::string::npos);
  NoSecretsIn(r.status().message());
  GoogleCalendarOptions none = GoogleOptions(fake);
  none.oauth.refresh_token.clear();
  CHECK(MakeGoogleCalendar(none).status().IsInvalidArgument());
}

TEST_CASE("Microsoft Graph: getSchedule, POST /me/events with transactionId, rotated refresh tokens") {
  FakeServer fake;
  REQUIRE(fake.Start("fake_graph.py"));
  LogCapture logs;
  Control(fake, "seed", {{"mailbox", "me"},
                         {"event", {{"subject", "Supplier visit"}, {"showAs", "busy"},
                                    {"start", {{"dateTime", "2026-11-02T08:00:00"}, {"timeZone", "America/Chicago"}}},
                                    {"end", {{"dateTime", "2026-11-02T09:30:00"}, {"timeZone", "America/Chicago"}}}}}});
  Control(fake, "seed", {{"mailbox", "me"},
                         {"event", {{"subject", "Focus"}, {"showAs", "free"},
                                    {"start", {{"dateTime", "2026-11-02T12:00:00"}, {"timeZone", "UTC"}}},
                                    {"end", {{"dateTime", "2026-11-02T13:00:00"}, {"timeZone", "UTC"}}}}}});
  std::vector<std::string> rotated;
  GraphCalendarOptions o = GraphOptions(fake);
  o.oauth.on_refresh_token = [&](const std::string& t) { rotated.push_back(t); };
  auto cal = MakeGraphCalendar(o).value();
  auto day = cal->List("hvac", Chicago(2026, 11, 2, 0, 0), Chicago(2026, 11, 3, 0, 0));
  REQUIRE_MESSAGE(day.ok(), day.status().ToString());
  REQUIRE(day->size() == 2);  // the busy visit for both techs; "free" does not block
  CHECK(day->at(0).start_utc == calendars::CivilToUtc({2026, 11, 2, 14, 0, 0}));  // 08:00 CST
  CHECK(day->at(0).end_utc == calendars::CivilToUtc({2026, 11, 2, 15, 30, 0}));
  // FreeBusy: one shared mailbox, so the visit blocks everyone: one untagged interval.
  auto busy = cal->FreeBusy("hvac", Chicago(2026, 11, 2, 0, 0), Chicago(2026, 11, 3, 0, 0));
  REQUIRE_MESSAGE(busy.ok(), busy.status().ToString());
  REQUIRE(busy->size() == 1);
  CHECK(busy->at(0).resource.empty());
  CHECK(busy->at(0).start_utc == calendars::CivilToUtc({2026, 11, 2, 14, 0, 0}));
  REQUIRE(rotated.size() == 1);  // Microsoft rotates refresh tokens: handed back to be stored
  CHECK(rotated[0] == "fake-refresh-rotated-1");

  auto spring = cal->Book(Appt("hvac-g1", "Tech 1", Chicago(2026, 3, 8, 9, 0), 60));
  REQUIRE_MESSAGE(spring.ok(), spring.status().ToString());
  json me = Control(fake, "state")["events"]["me"];
  json made;
  for (auto& [id, e] : me.items())
    if (e.value("transactionId", "") == "hvac-g1") made = e;
  REQUIRE(made.is_object());
  CHECK(made["start"]["dateTime"] == "2026-03-08T09:00:00");
  CHECK(made["start"]["timeZone"] == "America/Chicago");
  CHECK(made["end"]["dateTime"] == "2026-03-08T10:00:00");

  // Timed out, but Graph made it: the retry (same transactionId) returns the same event.
  Control(fake, "fail", {{"match", "POST /v1.0/me/events"}, {"hang", 2.5}});
  CHECK(cal->Book(Appt("hvac-g2", "Tech 2", Chicago(2026, 11, 1, 9, 0), 60)).status().IsDeadlineExceeded());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  auto retry = cal->Book(Appt("hvac-g2", "Tech 2", Chicago(2026, 11, 1, 9, 0), 60));
  REQUIRE_MESSAGE(retry.ok(), retry.status().ToString());
  CHECK(Control(fake, "state")["events"]["me"].size() == 4);  // 2 seeded + 2 booked
  CHECK(cal->Book(Appt("other", "Tech 1", Chicago(2026, 11, 1, 9, 30), 60)).status().IsAlreadyExists());

  // 401 -> refresh (with the rotated token) -> success.
  Control(fake, "expire_tokens");
  REQUIRE(cal->Move("hvac-g1", Chicago(2026, 3, 8, 13, 0), Chicago(2026, 3, 8, 14, 0), "").ok());
  CHECK(rotated.size() == 2);
  REQUIRE(cal->Cancel("hvac-g2").ok());
  CHECK(cal->Cancel("hvac-g2").IsNotFound());
  CHECK(Control(fake, "state")["events"]["me"].size() == 3);
  Control(fake, "fail", {{"match", "getSchedule"}, {"status", 503}});
  CHECK(cal->Book(Appt("y", "Tech 1", Chicago(2026, 3, 10, 9, 0), 60)).status().IsUnavailable());
  NoSecretsIn(logs.text);
}
