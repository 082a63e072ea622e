// Sync-safe mode end to end: a business config naming an external calendar, the store
// recording every booking, and the receptionist telling the caller honestly when the
// external calendar fails mid-call (real Radicale stopped; fake Google answering 500 or hanging).
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "calendars/servers.h"
#include "calendars/time_util.h"
#include "dialogue/memory_calendar.h"
#include "infini/calendars.h"
#include "infini/dialogue.h"
#include "infini/simulation.h"
#include "infini/store.h"
#include "net/http_client.h"

using namespace infini;
using json = nlohmann::json;

namespace {

const std::string kKey = "9d2e4f6a8b0c1d3e5f7a9b1c3d5e7f90a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1";

BusinessConfig Hvac(const json& calendar) {
  std::ifstream in(std::string(INFINI_TEST_DATA) + "/businesses/hvac.json");
  json j = json::parse(in);
  j["calendar"] = calendar;
  auto b = ParseBusinessConfig(j.dump(), "hvac.json");
  REQUIRE_MESSAGE(b.ok(), b.status().ToString());
  return b.value();
}

std::unique_ptr<Store> OpenStore(const std::string& name) {
  std::string path = std::string(INFINI_TEST_TMP) + "/" + name + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  auto s = Store::Open({.path = path, .credential_key = kKey});
  REQUIRE(s.ok());
  return std::move(s).value();
}

struct Call {
  std::unique_ptr<Conversation> conv;
  dialogue::OutboxMessenger outbox;
  std::string last;
  std::string phone_digits;  // the 7 digits after +1512
  std::string SpokenPhone() const {
    static const char* words[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
    std::string s = "five one two,";
    for (size_t i = 0; i < phone_digits.size(); ++i) s += std::string(i == 3 ? ", " : " ") + words[phone_digits[i] - '0'];
    return s;
  }
  // Each caller has their own number (a known number is greeted as a returning caller).
  Call(const BusinessConfig& biz, Calendar& cal, const std::string& now_local, const std::string& phone = "+15125557788")
      : phone_digits(phone.substr(5)) {
    ConversationOptions o;
    o.caller_phone = phone;
    o.now_utc = LocalTimeToUtc(now_local, biz.timezone).value();
    conv = std::make_unique<Conversation>(biz, cal, &outbox, o);
    Take(conv->Start());
  }
  void Take(const std::vector<AgentAction>& actions) {
    last.clear();
    for (const auto& a : actions)
      if (a.kind == AgentAction::Kind::kSay) last += a.text + " ";
  }
  std::string Say(const std::string& text) {
    Take(conv->OnUtterance(text));
    return last;
  }
  // Friday 2026-03-06: "Monday at nine" is 2026-03-09 09:00 CDT, the first weekday after the change.
  std::string BookMonday(const std::string& name, const std::string& when = "Monday at nine in the morning") {
    Say("My AC stopped working, can someone come out " + when + "?");
    Say(name);
    Say(SpokenPhone());
    Say("1200 Oak Street");
    return Say("Yes, that's right.");
  }
};

}  // namespace

TEST_CASE("sync-safe CalDAV: booked into Radicale and the store; Radicale gone mid-call -> noted, office confirms") {
  test::Radicale radicale;
  REQUIRE(radicale.Start());
  const std::string collection = radicale.base + "/office/hvac/";
  net::HttpClient http;
  auto mk = http.Send({.method = "MKCALENDAR", .url = collection, .username = "office", .password = "s3cret-dav-pass"});
  REQUIRE(mk.ok());
  REQUIRE(mk->status == 201);
  auto store = OpenStore("sync-safe-caldav");
  REQUIRE(store->PutCredential({.business_id = "hvac", .provider = "caldav", .secret = R"({"password":"s3cret-dav-pass"})"}).ok());
  BusinessConfig biz = Hvac({{"provider", "caldav"}, {"url", collection}, {"username", "office"}, {"timeout_ms", 1500}});
  auto cal = MakeBusinessCalendar(biz, *store);
  REQUIRE_MESSAGE(cal.ok(), cal.status().ToString());

  {
    Call c(biz, *cal.value(), "2026-03-06T10:15:00");
    std::string said = c.BookMonday("John Smith");
    CHECK_MESSAGE(said.find("You're all set") != std::string::npos, said);
    CHECK(c.conv->outcome().appointment);
    CHECK(c.conv->outcome().appointment->start == "2026-03-09T09:00");
  }
  auto report = http.Send({.method = "REPORT", .url = collection, .headers = {{"Depth", "1"}},
                           .body = "<?xml version=\"1.0\"?><C:calendar-query xmlns:D=\"DAV:\" "
                                   "xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><C:calendar-data/></D:prop>"
                                   "<C:filter><C:comp-filter name=\"VCALENDAR\"/></C:filter></C:calendar-query>",
                           .username = "office", .password = "s3cret-dav-pass"});
  REQUIRE(report.ok());
  CHECK(report->body.find("DTSTART;TZID=America/Chicago:20260309T090000") != std::string::npos);
  CHECK(report->body.find("X-INFINI-CUSTOMER:John Smith") != std::string::npos);
  auto local = store->calendar().List("hvac", 0, INT64_MAX / 2);
  REQUIRE(local.ok());
  REQUIRE(local->size() == 1);
  CHECK(local->at(0).start_utc == calendars::CivilToUtc({2026, 3, 9, 14, 0, 0}));

  // The calendar server dies mid-call (after availability was read, before the booking).
  radicale.server.Stop();
  {
    Call c(biz, *cal.value(), "2026-03-06T10:20:00", "+15125550142");
    std::string said = c.BookMonday("Mary Jones");
    CHECK_MESSAGE(said.find("I've noted your request") != std::string::npos, said);
    CHECK(said.find("the office will confirm") != std::string::npos);
    CHECK(said.find("You're all set") == std::string::npos);
    CHECK(c.outbox.sent().empty());  // no "you're booked" text for an unconfirmed booking
    c.Say("No, that's all, bye.");
    CHECK(c.conv->outcome().outcome == "pending");
    REQUIRE(c.conv->outcome().appointment);
    CHECK(c.conv->outcome().appointment->pending);
  }
  // Nothing collected is lost: the request is in the store, with a follow-up for the office.
  local = store->calendar().List("hvac", 0, INT64_MAX / 2);
  REQUIRE(local.ok());
  REQUIRE(local->size() == 2);
  CHECK(local->at(1).customer_name == "Mary Jones");
  auto callbacks = store->ListCallbacks("hvac");
  REQUIRE(callbacks.ok());
  REQUIRE(callbacks->size() == 1);
  CHECK(callbacks->at(0).caller_name == "Mary Jones");
  CHECK(callbacks->at(0).caller_phone == "+15125550142");
  CHECK(callbacks->at(0).request.find("Confirm appointment request") != std::string::npos);
  CHECK(json::parse(callbacks->at(0).summary)["calendar"] == "caldav");
}

TEST_CASE("sync-safe Google: HTTP 500 and a hanging server both end in a stored, honestly reported request") {
  test::FakeServer fake;
  REQUIRE(fake.Start("fake_google_calendar.py"));
  auto store = OpenStore("sync-safe-google");
  REQUIRE(store->PutCredential({.business_id = "hvac", .provider = "google_calendar",
                                .secret = R"({"client_id":"fake-client","client_secret":"fake-client-secret","refresh_token":"fake-refresh-token"})"}).ok());
  BusinessConfig biz = Hvac({{"provider", "google"}, {"base_url", fake.base}, {"token_url", fake.base + "/token"},
                             {"timeout_ms", 400}});
  auto cal = MakeBusinessCalendar(biz, *store);
  REQUIRE_MESSAGE(cal.ok(), cal.status().ToString());
  CHECK(cal.value()->name() == "sync-safe(google)");

  auto control = [&](const json& body) {
    net::HttpClient http;
    REQUIRE(http.Send({.method = "POST", .url = fake.base + "/_control/fail", .body = body.dump()})->status == 200);
  };
  control({{"match", "POST /calendar/v3/calendars/primary/events"}, {"status", 500}});
  {
    Call c(biz, *cal.value(), "2026-03-06T10:15:00");
    std::string said = c.BookMonday("John Smith");
    CHECK_MESSAGE(said.find("I've noted your request") != std::string::npos, said);
  }
  control({{"match", "POST /calendar/v3/calendars/primary/events"}, {"hang", 1.5}});
  {
    Call c(biz, *cal.value(), "2026-03-06T10:16:00", "+15125550142");
    std::string said = c.BookMonday("Mary Jones");
    // Monday 9:00 on Tech 1 is held for John in the store, so she gets Tech 2; Google hangs.
    CHECK_MESSAGE(said.find("I've noted your request") != std::string::npos, said);
  }
  auto callbacks = store->ListCallbacks("hvac");
  REQUIRE(callbacks.ok());
  CHECK(callbacks->size() == 2);
  auto local = store->calendar().List("hvac", 0, INT64_MAX / 2);
  REQUIRE(local.ok());
  CHECK(local->size() == 2);  // both requests recorded
  CHECK(local->at(0).resource != local->at(1).resource);
  // With Google healthy again, a third caller is confirmed normally.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  {
    Call c(biz, *cal.value(), "2026-03-06T10:17:00", "+15125550199");
    std::string said = c.BookMonday("Ann Lee", "Tuesday at ten in the morning");
    CHECK_MESSAGE(said.find("You're all set") != std::string::npos, said);
  }
}
