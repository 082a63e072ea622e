// Owner notifications and the missed-call text-back: real Conversations over the in-memory
// calendar, the summary sent through the in-memory outbox messenger (docs/notifications.md).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dialogue/memory_calendar.h"
#include "infini/dialogue.h"
#include "infini/notify.h"
#include "infini/simulation.h"

using namespace infini;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// tests/data/businesses/hvac.json with a "notifications" block.
BusinessConfig Hvac(const nlohmann::json& notifications) {
  auto j = nlohmann::json::parse(ReadFile(std::string(INFINI_TEST_DATA) + "/businesses/hvac.json"));
  j["notifications"] = notifications;
  auto r = ParseBusinessConfig(j.dump(), "hvac.json");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return r.value();
}

const nlohmann::json kOwner = {{"owner_phone", "+15125550999"},
                               {"dashboard_url", "https://dash.example.com/"},
                               {"text_back", {{"enabled", true}}}};

// A messenger that always fails, to prove a failing channel is recorded and nothing breaks.
class DownMessenger : public Messenger {
 public:
  Result<std::string> Send(const Message&) override { return Status::Unavailable("provider down"); }
  std::string name() const override { return "down"; }
};

struct Call {
  BusinessConfig biz;
  dialogue::MemoryCalendar calendar;
  dialogue::OutboxMessenger outbox;
  CallNotifier notifier;
  std::unique_ptr<Conversation> conv;
  int ended = 0;

  Call(BusinessConfig b, const std::string& caller, Messenger* email = nullptr, bool background = true)
      : biz(std::move(b)), notifier(biz, &outbox, email, NotifierOptions{.background = background}) {
    ConversationOptions o;
    o.caller_phone = caller;
    o.call_id = "call 42";
    o.now_utc = LocalTimeToUtc("2026-12-08T10:15:00", biz.timezone).value();
    auto hook = notifier.Hook({.call_id = "call 42", .caller_phone = caller});
    o.on_end = [this, hook](const CallOutcome& outcome) {
      ++ended;
      hook(outcome);
    };
    conv = std::make_unique<Conversation>(biz, calendar, &outbox, o);
    conv->Start();
  }
  void Say(const std::string& text) { conv->OnUtterance(text); }
  // Messages the outbox got other than the caller's booking confirmation.
  std::vector<Message> To(const std::string& phone) {
    notifier.Flush();
    std::vector<Message> out;
    for (const auto& m : outbox.sent())
      if (m.to == phone) out.push_back(m);
    return out;
  }
};

bool Has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("after a booked call the owner gets an SMS summary with the booking and the transcript link") {
  Call c(Hvac(kOwner), "+15125557788");
  c.Say("AC repair tomorrow at nine a m please");
  c.Say("John Smith");
  c.Say("five one two five five five seven seven eight eight");
  c.Say("1200 Oak Street");
  c.Say("Yes, that's right.");
  c.Say("No, that's all, thanks.");
  REQUIRE(c.conv->ended());
  CHECK(c.ended == 1);
  REQUIRE(c.conv->outcome().outcome == "booked");
  auto owner = c.To("+15125550999");
  REQUIRE(owner.size() == 1);
  INFO(owner[0].body);
  CHECK(owner[0].kind == Message::Kind::kSms);
  CHECK(owner[0].call_id == "call 42");
  CHECK(Has(owner[0].body, "Polar Bear Heating and Cooling: Booked: AC repair, Wednesday, December 9 at 9 AM with Tech 1."));
  CHECK(Has(owner[0].body, "Caller: John Smith (512-555-7788)."));
  CHECK(Has(owner[0].body, "Transcript: https://dash.example.com/calls/call%2042"));
  CHECK_FALSE(Has(owner[0].body, "texted them back"));
  // The caller got the confirmation only: no text-back for a settled call.
  auto caller = c.To("+15125557788");
  REQUIRE(caller.size() == 1);
  CHECK(Has(caller[0].body, "is booked"));
}

TEST_CASE("a caller who hangs up before anything is settled gets the text-back; the owner hears it was missed") {
  auto n = kOwner;
  n["text_back"] = {{"text", "Sorry we missed you at {business}! Call {phone} or reply here to book."}};
  Call c(Hvac(n), "+15125557788");
  c.conv->OnHangup();
  REQUIRE(c.conv->outcome().outcome == "abandoned");
  CHECK(IsMissedCall(c.conv->outcome()));
  auto caller = c.To("+15125557788");
  REQUIRE(caller.size() == 1);
  CHECK(caller[0].body == "Sorry we missed you at Polar Bear Heating and Cooling! Call 512-555-0100 or reply here to book.");
  auto owner = c.To("+15125550999");
  REQUIRE(owner.size() == 1);
  CHECK(Has(owner[0].body, "Missed call: hung up before anything was settled"));
  CHECK(Has(owner[0].body, "We texted them back."));
  auto attempts = c.notifier.attempts();
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].purpose == "owner_sms");
  CHECK(attempts[1].purpose == "text_back");
  CHECK(attempts[1].status.ok());
  CHECK_FALSE(attempts[1].provider_id.empty());
}

TEST_CASE("mid-booking hang-up is missed too; a left message is not") {
  Call c(Hvac(kOwner), "+15125557788");
  c.Say("AC repair tomorrow at nine a m please");
  c.conv->OnHangup();
  CHECK(c.conv->outcome().outcome == "abandoned");
  CHECK(c.To("+15125557788").size() == 1);  // the text-back

  Call m(Hvac(kOwner), "+15125557788");
  m.Say("I'd like to leave a message");
  m.Say("Please call me about a new thermostat");
  m.Say("Dana Cruz");
  m.conv->OnHangup();
  CHECK(m.conv->outcome().outcome == "voicemail");
  CHECK(m.To("+15125557788").empty());
  auto owner = m.To("+15125550999");
  REQUIRE(owner.size() == 1);
  CHECK(Has(owner[0].body, "Message: \"Please call me about a new thermostat\""));
  CHECK(Has(owner[0].body, "Dana Cruz"));
}

TEST_CASE("text-back needs the flag, a caller id, and texts not refused") {
  auto off = kOwner;
  off["text_back"] = false;
  Call a(Hvac(off), "+15125557788");
  a.conv->OnHangup();
  CHECK(a.To("+15125557788").empty());
  CHECK(a.To("+15125550999").size() == 1);  // the owner still hears of it

  Call b(Hvac(kOwner), "");  // no caller id: nobody to text
  b.conv->OnHangup();
  b.notifier.Flush();
  for (const auto& m : b.outbox.sent()) CHECK(m.to == "+15125550999");

  BusinessConfig never = Hvac(kOwner);
  never.sms_consent = "never";
  CallOutcome abandoned;
  CHECK_FALSE(MissedCallTextBack(never, abandoned, {.caller_phone = "+15125557788"}));
  CallOutcome refused;
  refused.sms_consent = false;
  CHECK_FALSE(MissedCallTextBack(Hvac(kOwner), refused, {.caller_phone = "+15125557788"}));
  CHECK(MissedCallTextBack(Hvac(kOwner), abandoned, {.caller_phone = "+15125557788"}));
}

TEST_CASE("outcome filter, disabled notifications, and a failing channel") {
  auto only_booked = kOwner;
  only_booked["outcomes"] = {"booked"};
  Call a(Hvac(only_booked), "+15125557788");
  a.conv->OnHangup();
  CHECK(a.To("+15125550999").empty());
  CHECK(a.To("+15125557788").size() == 1);  // the text-back is separate from the owner filter

  auto disabled = kOwner;
  disabled["enabled"] = false;
  disabled["text_back"] = false;
  Call b(Hvac(disabled), "+15125557788");
  b.conv->OnHangup();
  b.notifier.Flush();
  CHECK(b.outbox.sent().empty());

  // E-mail channel through a messenger that fails: recorded, logged, the SMS still goes.
  auto both = kOwner;
  both["owner_email"] = "owner@polarbear.test";
  both["channels"] = {"sms", "email"};
  DownMessenger down;
  Call c(Hvac(both), "+15125557788", &down, /*background=*/false);
  c.conv->OnHangup();
  auto attempts = c.notifier.attempts();
  REQUIRE(attempts.size() == 3);
  CHECK(attempts[1].purpose == "owner_email");
  CHECK(attempts[1].status.IsUnavailable());
  CHECK(attempts[1].message.kind == Message::Kind::kEmail);
  CHECK(Has(attempts[1].message.subject, "Polar Bear Heating and Cooling: Missed call"));
  CHECK(Has(attempts[1].message.body, "Outcome: abandoned"));
  CHECK(attempts[0].status.ok());
  CHECK(c.To("+15125550999").size() == 1);
}

TEST_CASE("a transfer nobody answers notifies again when the call really ends") {
  Call c(Hvac(kOwner), "+15125557788");
  c.Say("I want to speak to a person");
  REQUIRE(c.conv->ended());
  CHECK(c.conv->outcome().outcome == "transferred");
  CHECK(c.ended == 1);
  c.conv->OnTransferFailed();
  if (!c.conv->ended()) {
    c.Say("Kim Lee");
    c.Say("five one two five five five seven seven eight eight");
    c.conv->OnHangup();
  }
  CHECK(c.ended == 2);
  auto owner = c.To("+15125550999");
  REQUIRE(owner.size() == 2);
  CHECK(Has(owner[0].body, "Transferred to"));
  CHECK_FALSE(Has(owner[1].body, "Transferred to"));
  CHECK(Has(owner[1].body, "Urgency: high"));
}

TEST_CASE("summaries: reschedule, callback task, transcript link") {
  BusinessConfig biz = Hvac(kOwner);
  CallOutcome o;
  o.outcome = "rescheduled";
  o.changed = ChangedAppointment{"moved", "a1", "maintenance", "2026-12-10T10:00", "2026-12-11T14:30", "Tech 2"};
  o.returning_name = "Ana Diaz";
  auto s = SummarizeCall(biz, o, {.call_id = "CA123", .caller_phone = "+15125550123"});
  CHECK(s.headline == "Rescheduled: Seasonal tune-up from Thursday, December 10 at 10 AM to Friday, December 11 at 2:30 PM");
  CHECK(s.transcript_url == "https://dash.example.com/calls/CA123");
  CHECK(Has(s.sms_text, "Caller: Ana Diaz (512-555-0123)"));
  CHECK(Has(s.email_text, "Existing appointment moved: Seasonal tune-up"));

  CallOutcome cb;
  cb.outcome = "callback";
  cb.urgency = "emergency";
  cb.callback = CallbackTask{"Lee Park", "+15125550188", "furnace out, no heat", "emergency", "right away",
                             "Lee Park has no heat."};
  auto t = SummarizeCall(biz, cb, {});
  CHECK(t.headline == "Call back: furnace out, no heat");
  CHECK(t.subject.rfind("[emergency] Polar Bear Heating and Cooling: Call back", 0) == 0);
  CHECK(Has(t.sms_text, "Urgency: emergency."));
  CHECK(Has(t.sms_text, "Best time: right away."));
  CHECK(t.transcript_url.empty());  // no call id
  CHECK(Has(t.email_text, "Summary: Lee Park has no heat."));

  CHECK_FALSE(Has(t.email_text, "cost"));  // no meter given: no cost line
  // A served call hands its meter in: the owner's e-mail shows the estimate at the time of writing.
  double spent = 0.0123;
  auto priced = SummarizeCall(biz, cb, {.call_id = "7", .cost_usd = [&] { return spent; }});
  CHECK(Has(priced.email_text, "Estimated provider cost: $0.0123"));
  spent = 0.5;
  CHECK(Has(SummarizeCall(biz, cb, {.cost_usd = [&] { return spent; }}).email_text, "Estimated provider cost: $0.5000"));

  CHECK(TranscriptUrl("https://d.example/", "a/b") == "https://d.example/calls/a%2Fb");
  CHECK(TranscriptUrl("", "x").empty());
}

TEST_CASE("notifications config errors name the field") {
  auto err = [](const nlohmann::json& n) {
    auto j = nlohmann::json::parse(ReadFile(std::string(INFINI_TEST_DATA) + "/businesses/hvac.json"));
    j["notifications"] = n;
    auto r = ParseBusinessConfig(j.dump(), "hvac.json");
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK(err({{"owner_phone", "5125550999"}}) == "hvac.json: notifications.owner_phone: not an E.164 number like +15125550100");
  CHECK(err({{"channels", {"email"}}}) == "hvac.json: notifications.channels[0]: \"email\" needs notifications.owner_email");
  CHECK(err({{"owner_phone", "+15125550999"}, {"channels", {"fax"}}}) ==
        "hvac.json: notifications.channels[0]: unknown channel 'fax' (use \"sms\" or \"email\")");
  CHECK(err({{"owner_email", "not-an-address"}}) ==
        "hvac.json: notifications.owner_email: not an e-mail address like owner@example.com");
  CHECK(err({{"owner_phone", "+15125550999"}, {"dashboard_url", "dash.example.com"}}) ==
        "hvac.json: notifications.dashboard_url: must start with http:// or https://");
  CHECK(err({{"owner_phone", "+15125550999"}, {"outcomes", {"won"}}}) ==
        "hvac.json: notifications.outcomes[0]: unknown outcome 'won'");
  CHECK(err({{"owner_phone", "+15125550999"}, {"text_back", {{"txt", "x"}}}}) ==
        "hvac.json: notifications.text_back.txt: unknown field");
  CHECK(err({{"owner_phone", "+15125550999"}, {"sms", true}}) == "hvac.json: notifications.sms: unknown field");
}
