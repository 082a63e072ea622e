// The config flow drives the engine (issue 4), and the receptionist behaviours of issue 10:
// existing appointments, returning callers, callbacks, emergencies, urgency, SMS consent, keypad.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dialogue/memory_calendar.h"
#include "dialogue/scheduler.h"
#include "infini/dialogue.h"
#include "infini/simulation.h"

using namespace infini;
using json = nlohmann::json;

namespace {

json Template(const std::string& dir, const std::string& id) {
  std::ifstream in(std::string(dir) + "/" + id + ".json");
  REQUIRE(in);
  return json::parse(in);
}
json TestData(const std::string& id) { return Template(std::string(INFINI_TEST_DATA) + "/businesses", id); }
json Example(const std::string& id) { return Template(std::string(INFINI_SOURCE_DIR) + "/examples/businesses", id); }

BusinessConfig Parse(const json& j, const std::string& name = "test.json") {
  auto r = ParseBusinessConfig(j.dump(), name);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return r.value();
}

json& StateNamed(json& config, const std::string& name) {
  for (auto& st : config["flow"])
    if (st["name"] == name) return st;
  FAIL("no state " << name);
  static json none;
  return none;
}

// One call against a config, with the agent's last turn kept as text.
struct Call {
  BusinessConfig biz;
  dialogue::MemoryCalendar calendar;
  dialogue::OutboxMessenger outbox;
  std::unique_ptr<Conversation> conv;
  std::string last;
  ConversationOptions options;

  Call(const json& config, const std::string& now_local, const std::string& caller = "+15125557788",
       const std::string& preload = "")
      : biz(Parse(config)) {
    options.caller_phone = caller;
    options.now_utc = LocalTimeToUtc(now_local, biz.timezone).value();
    if (!preload.empty()) REQUIRE(PreloadBookings(preload, biz, calendar).ok());
  }
  std::string Start() {
    conv = std::make_unique<Conversation>(biz, calendar, &outbox, options);
    Take(conv->Start());
    return last;
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
  std::string Keys(const std::string& keys) {
    Take(conv->OnDtmf(keys));
    return last;
  }
  const CallOutcome& outcome() const { return conv->outcome(); }
  bool Free(const std::string& service, const std::string& local_start, const std::string& resource) {
    dialogue::Scheduler s(biz, calendar);
    dialogue::LocalMinute start = 0, now = dialogue::UtcToLocal(biz.timezone, options.now_utc);
    REQUIRE(dialogue::ParseLocal(local_start, &start));
    std::string chosen;
    return s.Check(service, start, resource, now, &chosen) == dialogue::SlotProblem::kNone;
  }
};

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A Tuesday, 10:15 in Austin: the HVAC business is open.
const char* kOpen = "2026-12-08T10:15:00";
// The same Tuesday, 20:30: closed.
const char* kClosed = "2026-12-08T20:30:00";

}  // namespace

// ---------------------------------------------------------------- the flow drives the engine

TEST_CASE("flow: without a flow the config gets the default flow, which books as before") {
  Call c(TestData("hvac"), kOpen);
  c.Start();
  CHECK(c.biz.flow_is_default);
  CHECK(c.biz.flow.size() == DefaultFlow().size());
  c.Say("My AC stopped working, can someone come tomorrow at nine?");
  c.Say("John Smith");
  c.Say("5125557788");
  CHECK(Has(c.Say("1200 Oak Street"), "Is that right?"));
  c.Say("Yes");
  CHECK(c.outcome().appointment.has_value());
}

TEST_CASE("flow: check.free -> book skips the read-back") {
  json j = Example("hvac");
  StateNamed(j, "details")["transitions"]["done"] = "book";
  Call c(j, kOpen);
  c.Start();
  c.Say("AC repair tomorrow at nine please, my name is John Smith");
  c.Say("five one two five five five seven seven eight eight");
  std::string said = c.Say("1200 Oak Street");
  CHECK_FALSE(Has(said, "read that back"));
  CHECK(c.outcome().appointment.has_value());  // booked straight away
  CHECK(Has(said, "send a text"));             // the template asks before texting
}

TEST_CASE("flow: book.booked -> anything_else sends no text but still says it is done") {
  json j = Example("hvac");
  StateNamed(j, "book")["transitions"]["booked"] = "anything_else";
  Call c(j, kOpen);
  c.Start();
  c.Say("AC repair tomorrow at nine please, my name is John Smith");
  c.Say("five one two five five five seven seven eight eight");
  c.Say("1200 Oak Street");
  std::string said = c.Say("Yes");
  CHECK(Has(said, "You're all set tomorrow at 9 AM."));
  CHECK(Has(said, "anything else"));
  CHECK(c.outcome().sms.empty());
  CHECK(c.outcome().appointment.has_value());
}

TEST_CASE("flow: greeting.book -> voicemail makes a message-only line") {
  json j = Example("salon");
  StateNamed(j, "greeting")["transitions"]["book"] = "voicemail";
  Call c(j, "2026-12-08T12:30:00");
  c.Start();
  CHECK(Has(c.Say("I'd like a haircut on Friday at two"), "What message would you like to leave?"));
  c.Say("Please call me about a haircut Friday.");
  c.Say("Ana Lopez");
  CHECK(c.outcome().voicemail.has_value());
  CHECK_FALSE(c.outcome().appointment.has_value());
}

TEST_CASE("flow: a collect state's slots order the questions") {
  json j = Example("hvac");
  StateNamed(j, "details")["slots"] = {"address", "phone", "name"};
  Call c(j, kOpen, "");
  c.Start();
  c.Say("AC repair tomorrow at nine");
  CHECK(c.conv->expecting() == "address");
  c.Say("1200 Oak Street");
  CHECK(c.conv->expecting() == "phone");
  c.Say("5125557788");
  CHECK(c.conv->expecting() == "name");
}

TEST_CASE("flow: confirm.no -> voicemail and a custom state's own prompt") {
  json j = Example("hvac");
  StateNamed(j, "confirm")["transitions"]["no"] = "note";
  j["flow"].push_back({{"name", "note"}, {"action", "take_voicemail"}, {"prompt", "Tell me what you need after the tone."},
                       {"transitions", {{"done", "goodbye"}}}});
  Call c(j, kOpen);
  c.Start();
  c.Say("AC repair tomorrow at nine please, my name is John Smith");
  c.Say("five one two five five five seven seven eight eight");
  c.Say("1200 Oak Street");
  CHECK(Has(c.Say("No."), "Tell me what you need after the tone."));
  std::string said = c.Say("Just call me please.");
  CHECK(Has(said, "Goodbye"));  // note.done -> goodbye, not anything_else
  CHECK(c.conv->ended());
  CHECK(c.outcome().outcome == "voicemail");
}

TEST_CASE("flow: check.none and alternatives.refused follow the config") {
  json j = Example("hvac");
  StateNamed(j, "alternatives")["transitions"]["refused"] = "goodbye";
  Call c(j, kOpen, "+15125557788",
         R"([{"service":"ac_repair","start":"2026-12-09T09:00","resource":"Tech 1"},
             {"service":"ac_repair","start":"2026-12-09T09:00","resource":"Tech 2"}])");
  c.Start();
  CHECK(Has(c.Say("AC repair tomorrow at nine"), "Would one of those work?"));
  c.Say("No, neither works.");
  CHECK(c.conv->ended());
  CHECK_FALSE(c.outcome().voicemail.has_value());
  CHECK(c.outcome().callback.has_value());  // still a lead for the owner
  CHECK(c.outcome().callback->request == "AC repair");
}

TEST_CASE("flow: a loop in the config ends the call instead of hanging") {
  json j = Example("hvac");
  j["flow"].push_back({{"name", "a"}, {"action", "collect"}, {"slots", {"service"}}, {"transitions", {{"done", "b"}}}});
  j["flow"].push_back({{"name", "b"}, {"action", "answer_faq"}, {"transitions", {{"done", "a"}}}});
  StateNamed(j, "greeting")["transitions"]["book"] = "b";
  Call c(j, kOpen);
  c.Start();
  c.Say("AC repair tomorrow at nine");
  CHECK(c.conv->ended());
}

TEST_CASE("flow: validation of the new fields names the field") {
  json j = TestData("hvac");
  auto bad = [&](const char* field, json value, const std::string& expect) {
    json k = j;
    k[field] = value;
    auto r = ParseBusinessConfig(k.dump(), "hvac.json");
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(Has(r.status().message(), expect), r.status().message());
  };
  bad("on_call", "911", "hvac.json: on_call: not an E.164 number");
  bad("sms_consent", "maybe", "hvac.json: sms_consent: must be \"ask\", \"assume\" or \"never\"");
  bad("keypad_fallback", "yes", "hvac.json: keypad_fallback: must be true or false");
  bad("cancellation_policy", 24, "hvac.json: cancellation_policy: must be a string");
  json k = j;
  k["services"][0]["safety_script"] = 3;
  auto r = ParseBusinessConfig(k.dump(), "hvac.json");
  REQUIRE_FALSE(r.ok());
  CHECK(Has(r.status().message(), "hvac.json: services[0].safety_script: must be a string"));
  k = Example("hvac");
  k["flow"][0]["action"] = "find_appointment";
  CHECK(ParseBusinessConfig(k.dump(), "x.json").ok());
}

// ---------------------------------------------------------------- keypad

TEST_CASE("keypad: offered after two failed phone answers; keys one at a time fill the slot") {
  Call c(TestData("hvac"), kOpen, "");
  c.Start();
  c.Say("AC repair tomorrow at nine, my name is John Smith");
  REQUIRE(c.conv->expecting() == "phone");
  CHECK_FALSE(Has(c.Say("mmm"), "keypad"));
  CHECK(Has(c.Say("uh"), "type your phone number on the keypad"));
  for (char k : std::string("512555"))
    CHECK(c.conv->OnDtmf(std::string(1, k)).empty());  // still typing: no reply
  c.Keys("9*");                                         // '*' starts over
  CHECK(c.conv->expecting() == "phone");
  c.Keys("5125557788");
  CHECK(c.conv->expecting() == "phone");
  c.Keys("#");
  CHECK(c.conv->expecting() == "address");
  c.Say("1200 Oak Street");
  CHECK(Has(c.last, "512-555-7788"));
  c.Keys("1");  // yes at the read-back
  CHECK(c.outcome().appointment.has_value());
  CHECK(c.outcome().appointment->phone == "+15125557788");
}

TEST_CASE("keypad: 1/2/3 picks an offered time, a date as MMDD, 2 is no") {
  Call c(TestData("hvac"), kOpen, "+15125557788",
         R"([{"service":"ac_repair","start":"2026-12-09T09:00","resource":"Tech 1"},
             {"service":"ac_repair","start":"2026-12-09T09:00","resource":"Tech 2"}])");
  c.Start();
  c.Say("AC repair please");
  REQUIRE(c.conv->expecting() == "time");
  c.Keys("1209#");  // December 9: the earliest free times that day are offered
  CHECK(Has(c.last, "The earliest I have is"));
  CHECK(Has(c.last, "tomorrow"));
  REQUIRE(c.conv->expecting() == "alternative");
  c.Keys("2");
  CHECK(c.conv->expecting() == "name");
  c.Say("John Smith");
  c.Say("the number I'm calling from");
  c.Say("1200 Oak Street");
  c.Keys("2");  // no at the read-back
  CHECK(Has(c.last, "What should I change?"));
}

// ---------------------------------------------------------------- emergencies and transfers

TEST_CASE("emergency in hours: safety script first, daytime number; transfer not answered -> emergency callback") {
  json j = TestData("hvac");
  j["on_call"] = "+15125550911";
  j["safety_script"] = "If you smell gas, leave the house now and call 911 from outside.";
  Call c(j, kOpen);
  c.Start();
  auto actions = c.conv->OnUtterance("I smell gas in the kitchen!");
  REQUIRE(actions.size() >= 2);
  CHECK(actions[0].text == "If you smell gas, leave the house now and call 911 from outside.");
  CHECK(c.conv->ended());
  CHECK(c.outcome().transfer_to == "+15125550199");
  c.Take(c.conv->OnTransferFailed());
  CHECK(Has(c.last, "no one was able to pick up"));
  CHECK_FALSE(c.conv->ended());
  CHECK(c.conv->expecting() == "name");
  CHECK(Has(c.Say("Dana White"), "as soon as possible"));
  c.Say("No, that's all.");
  CHECK(c.conv->ended());
  REQUIRE(c.outcome().callback.has_value());
  CHECK(c.outcome().callback->urgency == "emergency");
  CHECK(c.outcome().callback->phone == "+15125557788");
  CHECK(c.outcome().outcome == "callback");
  CHECK_FALSE(c.outcome().transfer_to.has_value());
  CHECK(c.conv->OnTransferFailed().empty());  // only once, only after a transfer
}

TEST_CASE("emergency after hours goes to the on-call number; without one to the daytime number") {
  json j = TestData("hvac");
  j["on_call"] = "+15125550911";
  Call c(j, kClosed);
  c.Start();
  c.Say("There's water everywhere, a pipe burst!");
  CHECK(c.outcome().transfer_to == "+15125550911");
  CHECK(c.outcome().urgency == "emergency");
  json no_on_call = TestData("hvac");
  no_on_call.erase("on_call");
  Call d(no_on_call, kClosed);
  d.Start();
  d.Say("There's water everywhere, a pipe burst!");
  CHECK(d.outcome().transfer_to == "+15125550199");
}

TEST_CASE("a person asked for after hours: told honestly, a callback with the best time") {
  Call c(TestData("hvac"), kClosed);
  c.Start();
  std::string said = c.Say("Can I talk to a real person?");
  CHECK(Has(said, "we're closed right now"));
  CHECK_FALSE(c.outcome().transfer_to.has_value());
  CHECK(c.conv->expecting() == "name");
  c.Say("Dana White");
  CHECK(c.conv->expecting() == "best_time");  // caller id is the number
  CHECK(Has(c.Say("Tomorrow after 5 pm"), "call you back at 512-555-7788 tomorrow after 5 PM"));
  c.Say("No, that's all.");
  REQUIRE(c.outcome().callback.has_value());
  CHECK(c.outcome().callback->name == "Dana White");
  CHECK(c.outcome().callback->best_time == "Tomorrow after 5 PM");
  CHECK(c.outcome().callback->request == "talk to a person");
  CHECK(c.outcome().outcome == "callback");
}

TEST_CASE("no transfer number at all: a person request becomes a callback, in hours too") {
  json j = TestData("hvac");
  j.erase("transfer_to");
  Call c(j, kOpen);
  c.Start();
  CHECK(Has(c.Say("I want to speak to the owner"), "no one available"));
  c.Say("Dana White");
  c.Say("any time");
  CHECK(c.outcome().callback.has_value());
}

TEST_CASE("a human transfer that is not answered leaves a high-urgency callback") {
  Call c(TestData("hvac"), kOpen);
  c.Start();
  c.Say("Let me talk to a person please");
  REQUIRE(c.outcome().transfer_to.has_value());
  c.Take(c.conv->OnTransferFailed());
  CHECK(c.conv->expecting() == "name");  // urgent: no best-time question
  c.Say("Dana White");
  c.Take(c.conv->OnHangup());
  REQUIRE(c.outcome().callback.has_value());
  CHECK(c.outcome().callback->urgency == "high");
  CHECK(c.outcome().callback->name == "Dana White");
}

// ---------------------------------------------------------------- urgency, callbacks, consent

TEST_CASE("urgency words raise the call's urgency in a normal booking") {
  Call c(TestData("hvac"), kOpen);
  c.Start();
  c.Say("We have no heat, can you fix the furnace tomorrow at nine? My name is John Smith");
  c.Say("the number I'm calling from");
  c.Say("1200 Oak Street");
  c.Say("Yes");
  REQUIRE(c.outcome().appointment.has_value());
  CHECK(c.outcome().urgency == "high");
  CHECK_FALSE(c.outcome().callback.has_value());  // booked: no callback task
  auto list = c.calendar.FindByPhone("hvac", "+15125557788", 0).value();
  REQUIRE(list.size() == 1);
  CHECK(Has(list[0].notes, "Urgency: high"));
}

TEST_CASE("every call that does not book leaves a callback: a question, a hang-up") {
  Call c(TestData("hvac"), kOpen);
  c.Start();
  c.Say("What are your hours?");
  c.Say("No, that's all.");
  REQUIRE(c.outcome().callback.has_value());
  CHECK(c.outcome().outcome == "answered");
  CHECK(c.outcome().callback->urgency == "low");
  Call d(TestData("hvac"), kOpen);
  d.Start();
  d.Say("I need my AC repaired");
  d.Take(d.conv->OnHangup());
  REQUIRE(d.outcome().callback.has_value());
  CHECK(d.outcome().callback->request == "AC repair");
  CHECK(d.outcome().callback->phone == "+15125557788");
  CHECK(Has(d.outcome().callback->summary, "hung up"));
  CHECK(Has(CallOutcomeJson(d.outcome()), "\"callback\":{\"name\""));
}

TEST_CASE("SMS only with consent: refused means no text, and the answer is recorded") {
  Call c(Example("hvac"), kOpen);
  c.Start();
  c.Say("AC repair tomorrow at nine please, my name is John Smith");
  c.Say("the number I'm calling from");
  c.Say("1200 Oak Street");
  CHECK(Has(c.Say("Yes"), "Can I send a text message to 512-555-7788"));
  CHECK(c.outcome().appointment.has_value());
  std::string said = c.Say("No, please don't text me.");
  CHECK(Has(said, "You're all set tomorrow at 9 AM."));
  CHECK_FALSE(Has(said, "sent"));
  CHECK(c.outcome().sms.empty());
  CHECK(c.outcome().sms_consent == false);
  CHECK(c.outbox.sent().empty());
}

// ---------------------------------------------------------------- existing appointments

const char* kExisting = R"([{"service":"maintenance","start":"2026-12-10T10:00","resource":"Tech 1",
                              "name":"Sam Lee","phone":"+15125557788","address":"9 Elm Street","id":"appt-sam"}])";

TEST_CASE("reschedule: found by number, moved with the same rules, old slot freed, texted") {
  json j = Example("hvac");
  Call c(j, kOpen, "+15125557788", kExisting);
  CHECK(Has(c.Start(), "Welcome back, Sam!"));
  std::string said = c.Say("I need to move my appointment");
  CHECK(Has(said, "I found your seasonal tune-up on Thursday, December 10 at 10 AM"));
  CHECK(Has(said, "24 hours notice"));  // the policy text
  CHECK(c.conv->expecting() == "time");
  CHECK(Has(c.Say("Friday at two pm"), "I'll move your seasonal tune-up to Friday, December 11 at 2 PM"));
  c.Say("Yes");
  c.Say("Yes please");
  REQUIRE(c.outcome().changed.has_value());
  CHECK(c.outcome().changed->action == "moved");
  CHECK(c.outcome().changed->from == "2026-12-10T10:00");
  CHECK(c.outcome().changed->to == "2026-12-11T14:00");
  c.Say("No, that's all");
  CHECK(c.outcome().outcome == "rescheduled");
  CHECK(c.Free("maintenance", "2026-12-10T10:00", "Tech 1"));  // the old slot is free again
  CHECK_FALSE(c.Free("maintenance", "2026-12-11T14:00", "Tech 1"));
  REQUIRE(c.outcome().sms.size() == 1);
  CHECK(Has(c.outcome().sms[0].text, "moved to Friday, December 11 at 2 PM"));
  CHECK(c.calendar.FindByPhone("hvac", "+15125557788", 0).value().size() == 1);  // moved, not copied
}

TEST_CASE("reschedule into a busy time offers alternatives, the appointment is unchanged until confirmed") {
  Call c(TestData("hvac"), kOpen, "+15125557788",
         std::string(R"([{"service":"maintenance","start":"2026-12-10T10:00","resource":"Tech 1","name":"Sam Lee","phone":"+15125557788"},
                          {"service":"ac_repair","start":"2026-12-11T13:00","resource":"Tech 1"},
                          {"service":"ac_repair","start":"2026-12-11T13:00","resource":"Tech 2"}])"));
  c.Start();
  c.Say("Can I reschedule my tune-up to Friday at two?");
  CHECK(c.conv->expecting() == "alternative");
  CHECK_FALSE(c.Free("maintenance", "2026-12-10T10:00", "Tech 1"));
  c.Say("the first one");
  c.Say("yes");
  REQUIRE(c.outcome().changed.has_value());
  CHECK(c.outcome().changed->to != "2026-12-11T14:00");
}

TEST_CASE("reschedule within the hour: overlapping its own old slot is allowed, other jobs' buffers are not") {
  // Tech 2 is busy all morning; Tech 1 has only Sam's tune-up (10-11) and a repair at 12:30.
  Call c(TestData("hvac"), kOpen, "+15125557788",
         std::string(R"([{"service":"maintenance","start":"2026-12-10T10:00","resource":"Tech 1","name":"Sam Lee",
                           "phone":"+15125557788","id":"appt-sam"},
                          {"service":"emergency","start":"2026-12-10T08:00","resource":"Tech 2"},
                          {"service":"emergency","start":"2026-12-10T10:00","resource":"Tech 2"},
                          {"service":"ac_repair","start":"2026-12-10T12:30","resource":"Tech 1"}])"));
  c.Start();
  CHECK(Has(c.Say("I need to move my tune-up to Thursday at ten thirty"),
            "I'll move your seasonal tune-up to Thursday, December 10 at 10:30 AM"));
  c.Say("Yes");
  c.Say("Yes please");
  REQUIRE(c.outcome().changed.has_value());
  CHECK(c.outcome().changed->to == "2026-12-10T10:30");
  CHECK(c.outcome().changed->resource == "Tech 1");
}

TEST_CASE("cancel: policy read, yes cancels, slot freed, text confirms") {
  Call c(Example("hvac"), kOpen, "+15125557788", kExisting);
  c.Start();
  std::string said = c.Say("I need to cancel my tune-up");
  CHECK(Has(said, "I found your seasonal tune-up"));
  CHECK(Has(said, "Would you like me to cancel it?"));
  c.Say("Yes");
  CHECK(Has(c.last, "send a text"));
  c.Say("Sure");
  CHECK(Has(c.last, "It's cancelled."));
  REQUIRE(c.outcome().changed.has_value());
  CHECK(c.outcome().changed->action == "cancelled");
  CHECK(c.Free("maintenance", "2026-12-10T10:00", "Tech 1"));
  REQUIRE(c.outcome().sms.size() == 1);
  CHECK(Has(c.outcome().sms[0].text, "is cancelled"));
  c.Say("No that's all");
  CHECK(c.outcome().outcome == "cancelled");
  CHECK(c.outcome().callback.has_value());  // a lead: they may want to rebook
}

TEST_CASE("several appointments on one number: listed, picked by name") {
  Call c(TestData("hvac"), kOpen, "+15125557788",
         R"([{"service":"maintenance","start":"2026-12-10T10:00","resource":"Tech 1","name":"Sam Lee","phone":"+15125557788"},
             {"service":"ac_repair","start":"2026-12-11T13:00","resource":"Tech 2","name":"Kim Lee","phone":"+15125557788"}])");
  c.Start();
  std::string said = c.Say("I want to cancel my appointment");
  CHECK(Has(said, "I see 2 appointments for this number"));
  CHECK(c.conv->expecting() == "which_appointment");
  said = c.Say("The one for Kim");
  CHECK(Has(said, "I found your AC repair on Friday, December 11 at 1 PM for Kim Lee"));
  c.Say("yes");
  REQUIRE(c.outcome().changed.has_value());
  CHECK(c.outcome().changed->service == "ac_repair");
  CHECK_FALSE(c.Free("maintenance", "2026-12-10T10:00", "Tech 1"));  // Sam's stays
}

TEST_CASE("several appointments on one number: a misheard name picks the one it sounds like, read back first") {
  const std::string two =
      R"([{"service":"maintenance","start":"2026-12-10T10:00","resource":"Tech 1","name":"Gina Rossi","phone":"+15125557788"},
          {"service":"ac_repair","start":"2026-12-11T13:00","resource":"Tech 2","name":"Mia Rossi","phone":"+15125557788"}])";
  Call c(TestData("hvac"), kOpen, "+15125557788", two);
  c.Start();
  c.Say("I want to cancel my appointment");
  REQUIRE(c.conv->expecting() == "which_appointment");
  // "The one for Mia" as a phone line delivered it.
  std::string said = c.Say("the one for me or");
  CHECK(Has(said, "for Mia Rossi"));
  CHECK(c.conv->expecting() == "confirm_cancel");
  c.Say("no, leave it");
  CHECK_FALSE(c.outcome().changed.has_value());  // nothing is cancelled on a guess

  // Both names start alike: no guess, asked again.
  Call same(TestData("hvac"), kOpen, "+15125557788",
            R"([{"service":"maintenance","start":"2026-12-10T10:00","resource":"Tech 1","name":"Mia Rossi","phone":"+15125557788"},
                {"service":"ac_repair","start":"2026-12-11T13:00","resource":"Tech 2","name":"Max Rossi","phone":"+15125557788"}])");
  same.Start();
  same.Say("I want to cancel my appointment");
  same.Say("the one for me or");
  CHECK(same.conv->expecting() == "which_appointment");
}

TEST_CASE("a closed day asked for without a time: said at once, with the nearest open times") {
  Call c(TestData("dental"), kOpen);
  c.Start();
  std::string said = c.Say("I need a cleaning on December 25th");
  CHECK(Has(said, "closed on Friday, December 25 for Christmas Day"));
  CHECK_FALSE(Has(said, "What time on"));
  CHECK(c.conv->expecting() == "alternative");
  said = c.Say("Sunday then");
  CHECK(Has(said, "closed on Sundays"));
  // An open day without a time is still asked for the time.
  Call open(TestData("dental"), kOpen);
  open.Start();
  CHECK(Has(open.Say("I need a cleaning on Thursday"), "What time on Thursday"));
}

TEST_CASE("no appointment under the number: said so, and a callback") {
  Call c(TestData("hvac"), kOpen, "+15125550000");
  c.Start();
  CHECK(Has(c.Say("I need to move my appointment"), "couldn't find an upcoming appointment"));
  c.Say("Sam Lee");
  c.Say("in the morning");
  c.Say("No that's all");
  REQUIRE(c.outcome().callback.has_value());
  CHECK(c.outcome().callback->request == "change an appointment");
}

// ---------------------------------------------------------------- returning callers

TEST_CASE("returning caller: greeted by name, details on file confirmed, not asked") {
  Call c(TestData("hvac"), kOpen, "+15125557788",
         R"([{"service":"maintenance","start":"2026-11-20T10:00","resource":"Tech 1",
              "name":"Sam Lee","phone":"+15125557788","address":"9 Elm Street"}])");
  CHECK(Has(c.Start(), "Welcome back, Sam!"));
  std::string said = c.Say("My AC is broken, can you come tomorrow at nine?");
  CHECK(c.conv->expecting() == "confirm");  // name, phone, address all on file
  CHECK(Has(said, "for Sam Lee, phone 512-555-7788, at 9 Elm Street"));
  c.Say("No, it's at 12 Oak Street now");
  CHECK(Has(c.last, "at 12 Oak Street"));
  c.Say("yes");
  REQUIRE(c.outcome().appointment.has_value());
  CHECK(c.outcome().appointment->name == "Sam Lee");
  CHECK(c.outcome().returning_name == "Sam Lee");
  json j = TestData("hvac");
  j["recognize_callers"] = false;
  Call d(j, kOpen, "+15125557788", R"([{"service":"maintenance","start":"2026-11-20T10:00","resource":"Tech 1","name":"Sam Lee","phone":"+15125557788"}])");
  CHECK_FALSE(Has(d.Start(), "Welcome back"));
}

// ---------------------------------------------------------------- understanding the new requests

#include "dialogue/nlu.h"

TEST_CASE("nlu: reschedule, cancel and person phrasings from the held-out scenarios") {
  dialogue::NluContext ctx;
  ctx.now.date = {2026, 12, 8};
  ctx.now.hour = 10;
  using dialogue::Intent;
  auto u = [&](const char* text) { return dialogue::Understand(text, ctx); };
  CHECK(u("I booked a haircut for Thursday but I can't make it").has(Intent::kReschedule));
  CHECK(u("Can we postpone it a week?").has(Intent::kReschedule));
  CHECK(u("I was thinking of cancelling my cleaning").has(Intent::kCancel));
  CHECK_FALSE(u("What's your cancellation policy?").has(Intent::kCancel));  // a question, not a request
  CHECK(u("I need to speak with a manager about my repair").has(Intent::kHuman));
  CHECK_FALSE(u("Can I leave a message for the owner?").has(Intent::kHuman));
  CHECK(u("We have no heat").urgency_words.size() == 1);
}
