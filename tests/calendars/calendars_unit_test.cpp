// Calendars layer, no servers: time formats and DST, iCalendar and WebDAV parsing, the
// business config's "calendar" object, credential encryption at rest, the sync-safe decorator.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "calendars/ical.h"
#include "calendars/time_util.h"
#include "dialogue/memory_calendar.h"
#include "infini/calendars.h"
#include "infini/log.h"
#include "infini/store.h"

using namespace infini;
using namespace infini::calendars;

namespace {

const std::string kKey = "5f0c6b1e9a7d3c2b8e4f6a1d0c9b7e3f2a5d8c1b4e7f0a3d6c9b2e5f8a1d4c7b";

int64_t Chicago(int y, int mo, int d, int h, int mi) { return LocalToUtc("America/Chicago", {y, mo, d, h, mi, 0}).value(); }

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string FreshDb(const std::string& name) {
  std::string path = std::string(INFINI_TEST_TMP) + "/" + name + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

Result<BusinessConfig> WithCalendar(const std::string& calendar_json) {
  std::ifstream in(std::string(INFINI_TEST_DATA) + "/businesses/hvac.json");
  nlohmann::json j = nlohmann::json::parse(in);
  j["calendar"] = nlohmann::json::parse(calendar_json);
  return ParseBusinessConfig(j.dump(), "hvac.json");
}

}  // namespace

TEST_CASE("time: US DST changes in America/Chicago, both directions") {
  // Spring forward 2026-03-08 02:00 CST -> 03:00 CDT.
  CHECK(Chicago(2026, 3, 7, 9, 0) == CivilToUtc({2026, 3, 7, 15, 0, 0}));
  CHECK(Chicago(2026, 3, 8, 9, 0) == CivilToUtc({2026, 3, 8, 14, 0, 0}));
  CHECK(Chicago(2026, 3, 8, 2, 30) == CivilToUtc({2026, 3, 8, 8, 30, 0}));  // in the gap: past it (03:30 CDT)
  // Fall back 2026-11-01 02:00 CDT -> 01:00 CST; 01:30 happens twice: the earlier one.
  CHECK(Chicago(2026, 10, 31, 9, 0) == CivilToUtc({2026, 10, 31, 14, 0, 0}));
  CHECK(Chicago(2026, 11, 1, 9, 0) == CivilToUtc({2026, 11, 1, 15, 0, 0}));
  CHECK(Chicago(2026, 11, 1, 1, 30) == CivilToUtc({2026, 11, 1, 6, 30, 0}));
  CHECK(FormatRfc3339Zoned("America/Chicago", Chicago(2026, 3, 8, 9, 0)) == "2026-03-08T09:00:00-05:00");
  CHECK(FormatRfc3339Zoned("America/Chicago", Chicago(2026, 3, 7, 9, 0)) == "2026-03-07T09:00:00-06:00");
  CHECK(FormatIcsUtc(Chicago(2026, 11, 1, 9, 0)) == "20261101T150000Z");
  CHECK(ParseIsoTime("2026-03-08T09:00:00-05:00", "UTC").value() == Chicago(2026, 3, 8, 9, 0));
  CHECK(ParseIsoTime("2026-03-08T14:00:00.0000000", "UTC").value() == Chicago(2026, 3, 8, 9, 0));
  CHECK(ParseIsoTime("2026-03-08T09:00:00", "America/Chicago").value() == Chicago(2026, 3, 8, 9, 0));
  CHECK(ParseIsoTime("2026-03-08T09:00:00Z", "UTC").value() == CivilToUtc({2026, 3, 8, 9, 0, 0}));
  CHECK(ParseIsoTime("2026-13-08T09:00", "UTC").status().IsCorruption());
  CHECK(ParseIsoTime("yesterday", "UTC").status().IsCorruption());
  CHECK(CheckZone("Mars/Base").IsNotFound());
}

TEST_CASE("VTIMEZONE lists the real transitions around the event") {
  std::string tz = VTimezone("America/Chicago", Chicago(2026, 3, 8, 9, 0), Chicago(2026, 3, 8, 10, 0));
  CHECK(tz.find("TZID:America/Chicago") != std::string::npos);
  CHECK(tz.find("BEGIN:DAYLIGHT\r\nDTSTART:20260308T020000\r\nTZOFFSETFROM:-0600\r\nTZOFFSETTO:-0500") != std::string::npos);
  CHECK(tz.find("BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0600") != std::string::npos);
  CHECK(VTimezone("UTC", 0, 1).empty());
}

TEST_CASE("iCalendar: built events parse back to the same appointment; folding, escaping, DST") {
  Appointment a;
  a.id = "acme-1";
  a.business_id = "acme";
  a.service_id = "tune_up";
  a.resource = "Bay 1";
  a.start_utc = Chicago(2026, 3, 8, 1, 30);
  a.end_utc = a.start_utc + 3600;
  a.customer_name = "Zoë O'Brien";
  a.customer_phone = "+15125550100";
  a.address = "1 Main St, Apt 4; back door";
  a.notes = std::string(200, 'x') + "\nline two";
  std::string ics = BuildIcsEvent(a, "America/Chicago", "Tune-up", 0);
  CHECK(ics.find("DTSTART;TZID=America/Chicago:20260308T013000\r\n") != std::string::npos);
  CHECK(ics.find("DTEND;TZID=America/Chicago:20260308T033000\r\n") != std::string::npos);  // 60 min across the gap
  for (size_t p = 0, n; p < ics.size(); p = n + 2) {
    n = ics.find("\r\n", p);
    REQUIRE(n != std::string::npos);
    CHECK(n - p <= 75);
  }
  auto events = ParseIcsEvents(ics, "UTC");
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  const IcsEvent& e = events->front();
  CHECK(e.uid == "acme-1");
  CHECK(e.start_utc == a.start_utc);
  CHECK(e.end_utc == a.end_utc);
  CHECK(e.resource == "Bay 1");
  CHECK(e.customer_name == a.customer_name);
  CHECK(e.address == a.address);
  CHECK(e.notes == a.notes);
  CHECK(ParseIcsEvents("BEGIN:VEVENT\r\nDTSTART:2026-03-08\r\nEND:VEVENT\r\n", "UTC").status().IsCorruption());
}

TEST_CASE("RRULE: weekly instances keep their wall time across DST; unsupported rules block the first instance") {
  auto events = ParseIcsEvents(
      "BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=America/Chicago:20260302T080000\r\nDTEND;TZID=America/Chicago:20260302T083000\r\n"
      "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260312T000000Z\r\nEND:VEVENT\r\n",
      "UTC");
  REQUIRE(events.ok());
  auto inst = ExpandInstances(events->front(), Chicago(2026, 3, 1, 0, 0), Chicago(2026, 4, 1, 0, 0));
  REQUIRE(inst.size() == 4);  // Mar 2, 4, 9, 11
  CHECK(inst[0].start_utc == Chicago(2026, 3, 2, 8, 0));
  CHECK(inst[1].start_utc == Chicago(2026, 3, 4, 8, 0));
  CHECK(inst[2].start_utc == Chicago(2026, 3, 9, 8, 0));
  CHECK(inst[2].start_utc - inst[1].start_utc == 5 * 86400 - 3600);  // the spring-forward hour
  CHECK(inst[3].end_utc - inst[3].start_utc == 1800);
  auto daily = ParseIcsEvents("BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20260301T120000Z\r\nDURATION:PT1H\r\n"
                              "RRULE:FREQ=DAILY;INTERVAL=2;COUNT=3\r\nEND:VEVENT\r\n", "UTC");
  REQUIRE(daily.ok());
  CHECK(ExpandInstances(daily->front(), 0, INT64_MAX / 2).size() == 3);
  auto yearly = ParseIcsEvents("BEGIN:VEVENT\r\nUID:y\r\nDTSTART:20260301T120000Z\r\nDURATION:PT1H\r\n"
                               "RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n", "UTC");
  REQUIRE(yearly.ok());
  CHECK(ExpandInstances(yearly->front(), 0, INT64_MAX / 2).size() == 1);
}

TEST_CASE("WebDAV multistatus: prefixes, entities, CDATA") {
  auto r = ParseMultistatus(
      "<?xml version=\"1.0\"?><multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
      "<response><href>/office/cal/a%20b.ics</href><propstat><prop><getetag>\"e1\"</getetag>"
      "<C:calendar-data>BEGIN:VCALENDAR&#13;\nX:a&amp;b&lt;c&gt;</C:calendar-data></prop>"
      "<status>HTTP/1.1 200 OK</status></propstat></response>"
      "<D:response xmlns:D=\"DAV:\"><D:href>/x.ics</D:href><D:propstat><D:prop><D:getetag/>"
      "<cal:calendar-data xmlns:cal=\"urn:ietf:params:xml:ns:caldav\"><![CDATA[<raw>]]></cal:calendar-data>"
      "</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response></multistatus>");
  REQUIRE(r.size() == 2);
  CHECK(r[0].href == "/office/cal/a%20b.ics");
  CHECK(r[0].etag == "\"e1\"");
  CHECK(r[0].calendar_data == "BEGIN:VCALENDAR\r\nX:a&b<c>");
  CHECK(r[0].status == 200);
  CHECK(r[1].etag.empty());
  CHECK(r[1].calendar_data == "<raw>");
  CHECK(r[1].status == 404);
}

TEST_CASE("business config: the calendar object, with errors naming the field path") {
  auto def = WithCalendar("null");
  REQUIRE(def.ok());
  CHECK(def->calendar.provider == "sqlite");
  auto caldav = WithCalendar(R"({"provider":"caldav","url":"https://dav.example.com/office/cal/","username":"office",
                                 "resources":{"Tech 2":"https://dav.example.com/tech2/cal/"},"timeout_ms":3000})");
  REQUIRE_MESSAGE(caldav.ok(), caldav.status().ToString());
  CHECK(caldav->calendar.provider == "caldav");
  CHECK(caldav->calendar.credential == "caldav");
  CHECK(caldav->calendar.sync_safe);
  CHECK(caldav->calendar.resource_calendars.at("Tech 2") == "https://dav.example.com/tech2/cal/");
  auto google = WithCalendar(R"({"provider":"google","sync_safe":false})");
  REQUIRE(google.ok());
  CHECK(google->calendar.credential == "google_calendar");
  CHECK(google->calendar.calendar_id == "primary");
  CHECK_FALSE(google->calendar.sync_safe);

  auto error = [](const std::string& json) { return WithCalendar(json).status().message(); };
  CHECK(error(R"({"provider":"outlook"})") ==
        "hvac.json: calendar.provider: unknown calendar provider 'outlook' (use sqlite, caldav, google or graph)");
  CHECK(error(R"({"provider":"caldav"})") == "hvac.json: calendar.url: missing (caldav needs the calendar collection URL)");
  CHECK(error(R"({"provider":"caldav","url":"dav.example.com"})") ==
        "hvac.json: calendar.url: must be an http:// or https:// URL");
  CHECK(error(R"({"provider":"graph"})") ==
        "hvac.json: calendar.mailbox: missing (graph needs the mailbox address for getSchedule)");
  CHECK(error(R"({"provider":"google","sync_safe":"yes"})") == "hvac.json: calendar.sync_safe: must be true or false");
  CHECK(error(R"({"provider":"google","timeout_ms":5})") ==
        "hvac.json: calendar.timeout_ms: must be a whole number from 100 to 60000");
  CHECK(error(R"({"provider":"google","resources":{"Nobody":"x@y"}})") ==
        "hvac.json: calendar.resources.Nobody: not one of the business's resources");
  CHECK(error(R"({"provider":"google","colour":"red"})") == "hvac.json: calendar.colour: unknown field");
  CHECK(error(R"("caldav")") == "hvac.json: calendar: must be an object like {\"provider\": \"caldav\", ...}");
}

TEST_CASE("credentials are sealed at rest: the database file holds no plaintext secret") {
  const std::string path = FreshDb("credentials-sealed");
  const std::string secret = R"({"client_id":"cid-123","client_secret":"GOCSPX-very-secret-value","refresh_token":"1//0gRefreshTokenPlain"})";
  std::string logs;
  SetLogSink([&](LogLevel, std::string_view m) { logs.append(m).append("\n"); });
  SetLogLevel(LogLevel::kDebug);
  {
    auto store = Store::Open({.path = path, .credential_key = kKey}).value();
    REQUIRE(store->PutCredential({.business_id = "hvac", .provider = "google_calendar", .secret = secret}).ok());
    REQUIRE(store->PutCredential({.business_id = "hvac", .provider = "twilio", .secret = "twilio-auth-token-abc123"}).ok());
    REQUIRE(store->PutCredential({.business_id = "hvac", .provider = "caldav", .secret = "s3cret-dav-pass"}).ok());
    auto back = store->GetCredential("hvac", "google_calendar");
    REQUIRE(back.ok());
    CHECK(back->secret == secret);
  }
  // Every byte of the database (and its WAL), not just the column: no secret, no fragment.
  std::string bytes = ReadBytes(path) + ReadBytes(path + "-wal");
  REQUIRE(bytes.size() > 4096);
  for (const char* plain : {"GOCSPX-very-secret-value", "1//0gRefreshTokenPlain", "twilio-auth-token-abc123",
                            "s3cret-dav-pass", "refresh_token", "very-secret"})
    CHECK_MESSAGE(bytes.find(plain) == std::string::npos, plain);
  CHECK(bytes.find("google_calendar") != std::string::npos);  // the row is there, only sealed

  // The same key (from the environment this time) opens it; a wrong or missing key says so.
  setenv("INFINI_CREDENTIAL_KEY", kKey.c_str(), 1);
  {
    auto store = Store::Open({.path = path}).value();
    CHECK(store->GetCredential("hvac", "twilio")->secret == "twilio-auth-token-abc123");
  }
  setenv("INFINI_CREDENTIAL_KEY", std::string(64, 'b').c_str(), 1);
  {
    auto store = Store::Open({.path = path}).value();
    auto wrong = store->GetCredential("hvac", "twilio");
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.status().code() == Status::Code::kPermissionDenied);
    CHECK(wrong.status().message() ==
          "credential 'twilio' of business 'hvac' cannot be decrypted: wrong INFINI_CREDENTIAL_KEY (or the record was altered)");
  }
  unsetenv("INFINI_CREDENTIAL_KEY");
  {
    auto store = Store::Open({.path = path}).value();
    auto missing = store->GetCredential("hvac", "twilio");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == Status::Code::kPermissionDenied);
    CHECK(missing.status().message().find("INFINI_CREDENTIAL_KEY is not set") != std::string::npos);
    CHECK(store->PutCredential({.business_id = "hvac", .provider = "x", .secret = "y"}).code() ==
          Status::Code::kPermissionDenied);
    // Everything else in the store works without the key.
    CHECK(store->AddCallback({.business_id = "hvac", .caller_name = "A", .caller_phone = "+15125550100"}).ok());
  }
  {
    auto bad = Store::Open({.path = path, .credential_key = "not-a-key"}).value()->GetCredential("hvac", "twilio");
    CHECK(bad.status().IsInvalidArgument());
    CHECK(bad.status().message().find("not-a-key") == std::string::npos);  // never echo key material
  }
  SetLogSink(nullptr);
  SetLogLevel(LogLevel::kInfo);
  for (const char* plain : {"GOCSPX-very-secret-value", "1//0gRefreshTokenPlain", "twilio-auth-token-abc123", kKey.c_str()})
    CHECK(logs.find(plain) == std::string::npos);
}

TEST_CASE("a sealed secret moved to another row does not open there") {
  const std::string path = FreshDb("credentials-moved");
  auto store = Store::Open({.path = path, .credential_key = kKey}).value();
  REQUIRE(store->PutCredential({.business_id = "a", .provider = "twilio", .secret = "token-of-a"}).ok());
  REQUIRE(store->PutCredential({.business_id = "b", .provider = "twilio", .secret = "token-of-b"}).ok());
  store.reset();
  {  // An attacker with write access to the file copies a's sealed blob over b's.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "UPDATE credentials SET secret = (SELECT secret FROM credentials WHERE business_id = 'a') "
                             "WHERE business_id = 'b'", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto reopened = Store::Open({.path = path, .credential_key = kKey}).value();
  CHECK(reopened->GetCredential("a", "twilio")->secret == "token-of-a");
  auto moved = reopened->GetCredential("b", "twilio");
  REQUIRE_FALSE(moved.ok());
  CHECK(moved.status().message() == "credential 'twilio' of business 'b' was sealed for another business/provider");
}

TEST_CASE("MakeBusinessCalendar: sqlite by default; external providers need their credential") {
  auto store = Store::Open({.path = ":memory:", .credential_key = kKey}).value();
  auto biz = WithCalendar("null").value();
  auto cal = MakeBusinessCalendar(biz, *store);
  REQUIRE(cal.ok());
  CHECK(cal.value()->name() == "sqlite");
  auto caldav = WithCalendar(R"({"provider":"caldav","url":"http://127.0.0.1:9/office/cal/","username":"office"})").value();
  auto none = MakeBusinessCalendar(caldav, *store);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message() ==
        "hvac.json: calendar.credential: no 'caldav' credential for business 'hvac' in the store (docs/calendars.md says how to add it)");
  REQUIRE(store->PutCredential({.business_id = "hvac", .provider = "caldav", .secret = R"({"password":"pw"})"}).ok());
  auto made = MakeBusinessCalendar(caldav, *store);
  REQUIRE(made.ok());
  CHECK(made.value()->name() == "sync-safe(caldav)");
  auto google = WithCalendar(R"({"provider":"google"})").value();
  REQUIRE(store->PutCredential({.business_id = "hvac", .provider = "google_calendar", .secret = "not json"}).ok());
  CHECK(MakeBusinessCalendar(google, *store).status().message() ==
        "hvac.json: calendar.credential: the 'google_calendar' credential must be JSON with client_id, client_secret and refresh_token");
}

TEST_CASE("sync-safe: a slot taken in the external calendar releases the store's hold") {
  auto store = Store::Open({.path = ":memory:", .credential_key = kKey}).value();
  auto external = std::make_unique<dialogue::MemoryCalendar>();
  dialogue::MemoryCalendar* ext = external.get();
  Appointment theirs;
  theirs.id = "owner-phone-1";
  theirs.business_id = "hvac";
  theirs.resource = "Tech 1";
  theirs.start_utc = Chicago(2026, 3, 9, 9, 0);
  theirs.end_utc = theirs.start_utc + 3600;
  REQUIRE(ext->Book(theirs).ok());
  auto cal = MakeSyncSafeCalendar(store->calendar(), std::move(external), store.get(), "hvac");
  Appointment mine = theirs;
  mine.id = "ours-1";
  mine.start_utc += 1800;
  mine.end_utc += 1800;
  CHECK(cal->Book(mine).status().IsAlreadyExists());
  CHECK(store->calendar().List("hvac", 0, INT64_MAX / 2)->empty());  // released
  auto listed = cal->List("hvac", theirs.start_utc, theirs.end_utc);
  REQUIRE(listed.ok());
  CHECK(listed->size() == 1);  // availability includes the external booking
  mine.id = "ours-2";  // the engine makes a new id per attempt (a released id stays used)
  mine.start_utc = theirs.end_utc;
  mine.end_utc = mine.start_utc + 3600;
  auto ok = cal->Book(mine);
  REQUIRE(ok.ok());
  CHECK_FALSE(ok->pending);
  CHECK(store->calendar().List("hvac", 0, INT64_MAX / 2)->size() == 1);
  CHECK(ext->List("hvac", 0, INT64_MAX / 2)->size() == 2);
  CHECK(cal->Book(mine).ok());  // idempotent through both
  CHECK(ext->List("hvac", 0, INT64_MAX / 2)->size() == 2);
  REQUIRE(cal->Cancel("ours-2").ok());
  CHECK(ext->List("hvac", 0, INT64_MAX / 2)->size() == 1);
  CHECK(store->ListCallbacks("hvac")->empty());
}
