#include <doctest/doctest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "dialogue/memory_calendar.h"
#include "dialogue/scheduler.h"
#include "infini/dialogue.h"
#include "infini/simulation.h"

using namespace infini;

namespace {

BusinessConfig Load(const std::string& id) {
  auto r = LoadBusinessConfig(std::string(INFINI_TEST_DATA) + "/businesses/" + id + ".json");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return r.value();
}

struct Call {
  BusinessConfig biz;
  dialogue::MemoryCalendar calendar;
  dialogue::OutboxMessenger outbox;
  std::unique_ptr<Conversation> conv;
  std::string last;  // everything said in the last agent turn

  Call(const std::string& id, const std::string& now_local, const std::string& caller = "+15125557788")
      : biz(Load(id)) {
    ConversationOptions o;
    o.caller_phone = caller;
    o.now_utc = LocalTimeToUtc(now_local, biz.timezone).value();
    conv = std::make_unique<Conversation>(biz, calendar, &outbox, o);
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
  // Books `service` at business-local `start` on each of `resources` (someone else's appointments).
  void Occupy(const std::string& service, const std::string& start, int minutes,
              std::initializer_list<const char*> resources) {
    for (const char* who : resources) {
      Appointment a;
      a.id = std::string("x") + who;
      a.business_id = biz.id;
      a.service_id = service;
      a.resource = who;
      a.start_utc = LocalTimeToUtc(start, biz.timezone).value();
      a.end_utc = a.start_utc + minutes * 60;
      REQUIRE(calendar.Book(a).ok());
    }
  }
};

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("booking: several slots in one sentence, asks only for what is missing, books and texts") {
  Call c("hvac", "2026-12-08T10:15:00");
  c.Say("Hi, my air conditioner stopped working. Can someone come out tomorrow at nine in the morning?");
  CHECK(c.conv->expecting() == "name");  // service + time were both taken from the first sentence
  c.Say("John Smith");
  CHECK(c.conv->expecting() == "phone");
  c.Say("five one two, five five five, seven seven eight eight");
  CHECK(c.conv->expecting() == "address");
  std::string readback = c.Say("1200 Oak Street");
  CHECK(c.conv->expecting() == "confirm");
  CHECK(Has(readback, "9 AM"));
  CHECK(Has(readback, "John Smith"));
  c.Say("Yes, that's right.");
  CHECK(c.conv->expecting() == "anything_else");
  c.Say("No, that's all. Thank you, bye.");
  REQUIRE(c.conv->ended());
  const auto& o = c.conv->outcome();
  CHECK(o.outcome == "booked");
  REQUIRE(o.appointment);
  CHECK(o.appointment->service == "ac_repair");
  CHECK(o.appointment->start == "2026-12-09T09:00");
  CHECK(o.appointment->phone == "+15125557788");
  REQUIRE(o.sms.size() == 1);
  CHECK(c.outbox.sent().size() == 1);
  // The booking is really in the calendar, at 9:00 Chicago = 15:00 UTC.
  auto listed = c.calendar.List("hvac", 0, INT64_MAX).value();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].start_utc == LocalTimeToUtc("2026-12-09T09:00", "America/Chicago").value());
  CHECK(listed[0].end_utc - listed[0].start_utc == 120 * 60);
  auto j = nlohmann::json::parse(CallOutcomeJson(o));
  CHECK(j["type"] == "end");
  CHECK(j["appointment"]["start"] == "2026-12-09T09:00");
  CHECK(j["voicemail"].is_null());
}

TEST_CASE("a taken slot gets concrete alternatives; the caller picks one") {
  Call c("salon", "2026-12-08T12:30:00");
  c.Occupy("haircut", "2026-12-10T18:00", 60, {"Ana", "Marco", "Jess"});
  std::string said = c.Say("I'd like a haircut on Thursday at six p m, anyone is fine");
  CHECK(c.conv->expecting() == "alternative");
  CHECK(Has(said, "5 PM"));  // 5:00-5:45 ends before the 6 PM block; said as a concrete time
  c.Say("The first one is fine.");
  CHECK(c.conv->expecting() == "name");
}

TEST_CASE("a time heard in the answer to the name question keeps the agreed slot unless a change is asked for") {
  Call c("auto", "2026-12-08T09:05:00");
  c.Occupy("diagnostic", "2026-12-09T07:30", 180, {"Bay 1", "Bay 2", "Bay 3"});
  c.Say("My brakes are squeaking, can you look at them tomorrow at eight?");
  REQUIRE(c.conv->expecting() == "alternative");
  c.Say("The first one is fine.");
  REQUIRE(c.conv->expecting() == "name");
  // "Sarah Johnson" as a phone line's recognizer heard it: not a request for Sunday.
  std::string said = c.Say("storage on sunday");
  CHECK(c.conv->expecting() == "name");
  CHECK_FALSE(Has(said, "closed on Sunday"));
  c.Say("Sarah Johnson");
  CHECK(c.conv->expecting() == "phone");
  // Asked for a change, it is one.
  c.Say("Actually, can we do Thursday at ten instead?");
  c.Say("six one seven five five five nine nine zero zero");
  for (int i = 0; i < 4 && c.conv->expecting() != "confirm"; ++i) c.Say("Toyota Camry");
  REQUIRE(c.conv->expecting() == "confirm");
  c.Say("Yes, that's right.");
  REQUIRE(c.conv->outcome().appointment);
  CHECK(c.conv->outcome().appointment->start.substr(0, 10) == "2026-12-10");
}

TEST_CASE("closed day: says so and offers open days; refusing everything takes a message") {
  Call c("dental", "2026-12-08T10:00:00");
  std::string said = c.Say("Can I come in this Saturday for a new patient exam?");
  // Either asked for a time on Saturday or already said it is closed.
  if (c.conv->expecting() == "time") said = c.Say("Saturday morning");
  CHECK(Has(said, "closed"));
  CHECK(c.conv->expecting() == "alternative");
  c.Say("No, none of those work for me.");
  CHECK(c.conv->expecting() == "message");
  c.Say("Please call me about next month.");
  c.Say("Olivia Wilson");
  CHECK(c.conv->expecting() == "anything_else");
  c.Say("No, bye.");
  REQUIRE(c.conv->ended());
  CHECK(c.conv->outcome().outcome == "voicemail");
  REQUIRE(c.conv->outcome().voicemail);
  CHECK(c.conv->outcome().voicemail->phone == "+15125557788");  // caller id
}

TEST_CASE("emergency transfers at once to the business number") {
  Call c("hvac", "2026-12-08T11:00:00");
  std::string said = c.Say("I think I smell gas near my furnace, this is an emergency!");
  REQUIRE(c.conv->ended());
  CHECK(Has(said, "911"));
  CHECK(c.conv->outcome().outcome == "transferred");
  CHECK(c.conv->outcome().transfer_to == std::optional<std::string>("+15125550199"));
}

TEST_CASE("FAQ answered from config, then the flow resumes") {
  Call c("dental", "2026-12-08T10:00:00");
  c.Say("I need a cleaning");
  CHECK(c.conv->expecting() == "time");
  std::string said = c.Say("Do you accept Delta Dental insurance?");
  CHECK(Has(said, "PPO"));
  CHECK(c.conv->expecting() == "time");  // back to the question it was asking
}

TEST_CASE("questions that name a service or a day are answered, bookings are not taken for questions") {
  {
    Call c("auto", "2026-12-08T10:00:00");
    CHECK(Has(c.Say("Are you open on Saturday?"), "Saturday 8 AM to noon"));
    CHECK(Has(c.Say("What time do you close today?"), "5:30 PM"));
    CHECK(Has(c.Say("Do you work on Saturdays?"), "Saturday 8 AM to noon"));
    CHECK(Has(c.Say("How much is an oil change?"), "49 dollars"));
    // Not in the FAQ: the service's own price from the config.
    CHECK(Has(c.Say("How much is a tire rotation?"), "A tire rotation is 35 dollars."));
    // And then booking it needs only the time.
    c.Say("Great, can I book it for Saturday at ten?");
    CHECK(c.conv->expecting() == "name");
  }
  {
    Call c("auto", "2026-12-08T10:00:00");
    std::string said = c.Say("Can I get an oil change this Saturday?");
    CHECK_FALSE(Has(said, "49 dollars"));
    CHECK(c.conv->expecting() == "time");
  }
  {
    Call c("dental", "2026-12-08T10:00:00");
    // "Do you take Aetna insurance?" as a phone line's recognizer heard it ("at two": a time).
    CHECK(Has(c.Say("do you take at two insurance"), "Aetna"));
  }
}

TEST_CASE("silence and nonsense are reprompted up to a limit, then a message or a person is offered") {
  Call c("salon", "2026-12-08T12:30:00");
  int turns = 0;
  while (!c.conv->ended() && turns < 20) {
    c.Take(c.conv->OnSilence());
    ++turns;
  }
  CHECK(c.conv->ended());
  CHECK(turns <= 6);
  CHECK(c.conv->outcome().outcome == "transferred");
  Call n("salon", "2026-12-08T12:30:00");
  n.Say("blorp zzzk");
  n.Say("qwerty uiop");
  std::string said = n.Say("asdf ghjk");
  CHECK(Has(said, "message"));
  CHECK(n.conv->expecting() == "rescue");
  n.Say("take a message");
  CHECK(n.conv->expecting() == "message");
}

TEST_CASE("garbage input never crashes and hang-up ends the call") {
  Call c("auto", "2026-12-08T09:05:00");
  for (const char* junk : {"\xff\xfe\x01", "9999999999999999999999 at 99:99", "????", "the the the the",
                           "tomorrow at 25 o'clock", "book book book", std::string(5000, 'a').c_str()}) {
    c.Say(junk);
    if (c.conv->ended()) break;
  }
  c.Take(c.conv->OnHangup());
  CHECK(c.conv->ended());
  CHECK(c.conv->OnUtterance("hello?").empty());
}

TEST_CASE("correction at the read-back changes the day") {
  Call c("dental", "2026-12-08T10:00:00");
  c.Say("I'd like a cleaning on Wednesday at two p m");
  c.Say("Emily Chen");
  c.Say("four one five, five five five, three four five six");
  REQUIRE(c.conv->expecting() == "confirm");
  std::string said = c.Say("No, I said Thursday");
  CHECK(c.conv->expecting() == "confirm");
  CHECK(Has(said, "Thursday"));
  c.Say("Yes");
  c.Say("No thanks, bye");
  REQUIRE(c.conv->outcome().appointment);
  CHECK(c.conv->outcome().appointment->start == "2026-12-10T14:00");
}

TEST_CASE("the simulated caller reads only the agent's words") {
  CHECK(SimulatedCaller::WhatWasAsked({"May I have your name, please?"}) == "name");
  CHECK(SimulatedCaller::WhatWasAsked({"Thanks.", "What's the best phone number to reach you?"}) == "phone");
  CHECK(SimulatedCaller::WhatWasAsked({"I can do 2 PM or 3 PM on Friday. Would one of those work?"}) == "alternative");
  CHECK(SimulatedCaller::WhatWasAsked({"Let me read that back: a haircut for Ana Lee, phone 303-555-1212. Is that right?"}) == "confirm");
  CHECK(SimulatedCaller::WhatWasAsked({"Is there anything else I can help you with?"}) == "anything_else");
  CHECK(SimulatedCaller::WhatWasAsked({"Lovely weather."}) == "");
  // As its recognizer heard the SMS question over a phone line (a real transcript).
  CHECK(SimulatedCaller::WhatWasAsked({"can i can attack method i'd like to five five five want you want it to confirm"}) ==
        "sms_consent");
  // The staff, which-appointment and move-or-cancel questions as its ears heard them (real transcripts).
  CHECK(SimulatedCaller::WhatWasAsked({"do you have a preference for me is he on a park or just or is anyone find"}) ==
        "staff_preference");
  CHECK(SimulatedCaller::WhatWasAsked({"i see new appointment for this number your hair cut on thursday for me and rossi which one is a"}) ==
        "which_appointment");
  CHECK(SimulatedCaller::WhatWasAsked({"would you like to move it to another time are cancel it"}) == "change_or_cancel");
  CHECK(SimulatedCaller::WhatWasAsked({"but day and time and you like to come name"}) == "time");
  // The voicemail question as heard over a phone line (a real transcript).
  CHECK(SimulatedCaller::WhatWasAsked({"i can take him at the end but at the new like to leave"}) == "message");
  // Asked for a message the scenario did not script: what they called about, and a call back.
  SimulatedCaller leaves("I need a cleaning.", {});
  (void)leaves.Reply({"Thanks for calling. How can I help you?"});
  CHECK(leaves.Reply({"I can take a message. What message would you like to leave?"}) ==
        std::optional<std::string>("I need a cleaning. Please call me back."));
  // Asked for a preference after asking for someone by name (the agent missed "with Ana"): Ana again;
  // a caller who named nobody has none.
  SimulatedCaller wants_ana("A haircut with Ana on Thursday at six p m, please.", {});
  (void)wants_ana.Reply({"How can I help you?"});
  CHECK(wants_ana.Reply({"Do you have a preference for who you see: Ana, Marco or Jess, or is anyone fine?"}) ==
        std::optional<std::string>("Ana, please."));
  SimulatedCaller anyone("A haircut within the hour, with a wash.", {});
  (void)anyone.Reply({"How can I help you?"});
  CHECK(anyone.Reply({"Do you have a preference for who you see: Ana, Marco or Jess, or is anyone fine?"}) ==
        std::optional<std::string>("No preference, anyone is fine."));
  // Reprompted "how can I help": the opening again, twice, then the caller is lost.
  SimulatedCaller opener("I need a cleaning.", {});
  for (int i = 0; i < 3; ++i) CHECK(opener.Reply({"How can I help you today?"}) == std::optional<std::string>("I need a cleaning."));
  CHECK(opener.Reply({"How can I help you today?"}) == std::optional<std::string>("Sorry, what?"));
  // A greeting its ears garbled (a real transcript of "How may I help you?"): it still opens.
  SimulatedCaller garbled("I need a cleaning.", {});
  CHECK(garbled.Reply({"hello p every stride smell dental can a i help you"}) ==
        std::optional<std::string>("I need a cleaning."));
  // A read-back of another day than the one it asked for: it says so, once; not after it was
  // offered other times (it may have taken one without naming the day).
  SimulatedCaller wants_thursday("A furnace tune-up on Thursday, please.", {{"time", {"Thursday at three p m."}}});
  (void)wants_thursday.Reply({"How can I help you?"});
  (void)wants_thursday.Reply({"What day and time would you like?"});
  CHECK(wants_thursday.Reply({"Let me read that back: a furnace tune-up on Wednesday, December 9 at 3 PM. Is that right?"}) ==
        std::optional<std::string>("No, Thursday at three p m."));
  CHECK(wants_thursday.Reply({"Let me read that back: a furnace tune-up on Wednesday, December 9 at 3 PM. Is that right?"}) ==
        std::optional<std::string>("Yes."));
  SimulatedCaller says_day("A furnace tune-up on Thursday, please.", {});
  (void)says_day.Reply({"How can I help you?"});
  CHECK(says_day.Reply({"Let me read that back: a furnace tune-up today at 3 PM. Is that right?"}) ==
        std::optional<std::string>("Yes."));  // "today" cannot be checked without knowing the day
  CHECK(says_day.Reply({"Let me read that back: a furnace tune-up on Friday at 3 PM. Is that right?"}) ==
        std::optional<std::string>("No, I said Thursday."));
  SimulatedCaller right_day("A furnace tune-up on Thursday, please.", {});
  (void)right_day.Reply({"How can I help you?"});
  CHECK(right_day.Reply({"Let me read that back: a furnace tune-up on Thursday, December 10 at 3 PM. Is that right?"}) ==
        std::optional<std::string>("Yes."));
  SimulatedCaller took_other("A furnace tune-up on Thursday, please.", {{"alternative", {"The first one."}}});
  (void)took_other.Reply({"How can I help you?"});
  (void)took_other.Reply({"Thursday is full. I can do 9 AM or 10 AM on Friday. Would one of those work?"});
  CHECK(took_other.Reply({"Let me read that back: a furnace tune-up on Friday at 9 AM. Is that right?"}) ==
        std::optional<std::string>("Yes."));
  // A scripted "yes" is for a right read-back: a wrong day gets the no first, then the "yes".
  SimulatedCaller scripted_yes("A furnace tune-up on Thursday, please.", {{"confirm", {"Yes, that's right."}}});
  (void)scripted_yes.Reply({"How can I help you?"});
  CHECK(scripted_yes.Reply({"Let me read that back: a furnace tune-up on Friday at 3 PM. Is that right?"}) ==
        std::optional<std::string>("No, I said Thursday."));
  CHECK(scripted_yes.Reply({"Let me read that back: a furnace tune-up on Thursday at 3 PM. Is that right?"}) ==
        std::optional<std::string>("Yes, that's right."));
  // A scripted no is the scenario's own correction: said as written, then its day is the one checked.
  SimulatedCaller scripted_no("A furnace tune-up on Thursday, please.", {{"confirm", {"No, I said Friday.", "Yes."}}});
  (void)scripted_no.Reply({"How can I help you?"});
  CHECK(scripted_no.Reply({"Let me read that back: a furnace tune-up on Wednesday at 3 PM. Is that right?"}) ==
        std::optional<std::string>("No, I said Friday."));
  CHECK(scripted_no.Reply({"Let me read that back: a furnace tune-up on Friday at 3 PM. Is that right?"}) ==
        std::optional<std::string>("Yes."));
  SimulatedCaller caller("Hi", {{"name", {"Ann"}}, {"confirm", {"No, I said Friday.", "Yes."}}});
  CHECK(caller.Reply({"Hello, how can I help?"}) == std::optional<std::string>("Hi"));
  CHECK(caller.Reply({"Your name?"}) == std::optional<std::string>("Ann"));
  CHECK(caller.Reply({"Is that right?"}) == std::optional<std::string>("No, I said Friday."));
  CHECK(caller.Reply({"Is that right?"}) == std::optional<std::string>("Yes."));
  CHECK(caller.Reply({"Is that right?"}) == std::optional<std::string>("Yes."));
}


// A scenario for `c`'s business at `local_now`, for SimulatedCaller::ForScenario.
static Scenario ScenarioFor(const Call& c, const std::string& local_now, std::string says_first,
                            std::map<std::string, std::vector<std::string>> answers) {
  Scenario sc;
  sc.business = c.biz;
  sc.now_utc = LocalTimeToUtc(local_now, c.biz.timezone).value();
  sc.says_first = std::move(says_first);
  sc.answers = std::move(answers);
  return sc;
}

TEST_CASE("the scenario caller checks a read-back's date against the weekday it asked for") {
  Call c("hvac", "2026-12-08T10:00:00");  // a Tuesday
  const Scenario sc = ScenarioFor(c, "2026-12-08T10:00:00", "Can you do a tune-up this Sunday at ten a m?",
                                  {{"name", {"Pat Rivera"}},
                                   {"phone", {"five one two five five five zero one two three"}},
                                   {"address", {"12 Maple Lane"}},
                                   {"alternative", {"Monday at ten works."}}});
  // A real read-back as the caller's recognizer heard it over audio: "Monday" is gone, the
  // date is not. December 14 is a Monday, not the Sunday it asked for.
  const std::string garbled =
      "let me read that back the seasonal tuna pond a december fourteenth at ten am for pat for ever is that right";
  auto wants_sunday = SimulatedCaller::ForScenario(sc);
  (void)wants_sunday.Reply({"How can I help you?"});
  CHECK(wants_sunday.Reply({garbled}) == std::optional<std::string>("No, I said Sunday."));
  // December 13 is that Sunday: no complaint. Nor without a scenario (the date is unknown).
  auto right_date = SimulatedCaller::ForScenario(sc);
  (void)right_date.Reply({"How can I help you?"});
  CHECK(right_date.Reply({"let me read that back a tune up december thirteenth at ten am is that right"}) ==
        std::optional<std::string>("Yes."));
  // The Twilio smoke run's dental call: "Thursday" lost on the way in, "today" read back, and the
  // scenario's scripted "Yes." -- the wrong day is still said first.
  Call dental("dental", "2026-12-08T10:00:00");
  auto ada = SimulatedCaller::ForScenario(ScenarioFor(dental, "2026-12-08T10:00:00",
                                                      "I'd like a cleaning on Thursday at 3 p m.",
                                                      {{"name", {"Ada Moss"}}, {"confirm", {"Yes."}}}));
  (void)ada.Reply({"How can I help you?"});
  CHECK(ada.Reply({"let me read that back at cleaning with i've done it again today at three p m is that right"}) ==
        std::optional<std::string>("No, I said Thursday."));
  SimulatedCaller no_calendar(sc.says_first, sc.answers);
  (void)no_calendar.Reply({"How can I help you?"});
  CHECK(no_calendar.Reply({garbled}) == std::optional<std::string>("Yes."));
  // The whole call, with the engine hearing "Monday" for "Sunday" as the recognizer did: the
  // caller's no brings out that Sunday is closed, and it takes Monday at ten.
  Call call("hvac", "2026-12-08T10:00:00");
  auto person = SimulatedCaller::ForScenario(sc);
  auto line = person.Reply({call.last});
  REQUIRE(line);
  call.Say("can you do a tune up this monday at ten a m");
  std::string agent;
  for (int turn = 0; turn < 14 && !call.conv->ended(); ++turn) {
    agent += call.last + "\n";
    // The caller hears the read-back without its weekday, as over audio.
    std::string as_heard = call.last;
    if (auto at = as_heard.find("Monday, "); at != std::string::npos) as_heard.erase(at, 8);
    line = person.Reply({as_heard});
    if (!line) break;
    call.Say(*line);
  }
  CHECK(agent.find("closed") != std::string::npos);
  REQUIRE(call.conv->outcome().appointment);
  CHECK(call.conv->outcome().appointment->start == "2026-12-14T10:00");
}

TEST_CASE("a day lost to the ears is put right at the read-back: the scenario caller says no, the agent books its day") {
  Call c("hvac", "2026-12-08T10:15:00");  // a Tuesday
  const Scenario sc = ScenarioFor(c, "2026-12-08T10:15:00", "I need a seasonal tune-up on Thursday at three p m.",
                                  {{"name", {"John Smith"}}, {"address", {"1200 Oak Street"}}});
  auto person = SimulatedCaller::ForScenario(sc);
  auto line = person.Reply({c.last});
  REQUIRE(line);
  CHECK(*line == sc.says_first);
  // As a phone line's recognizer heard it (a real transcript): the day is gone.
  c.Say("I need a seasonal tune-up and her student three p m.");
  std::vector<std::string> heard;
  for (int turn = 0; turn < 12 && !c.conv->ended(); ++turn) {
    heard.push_back(c.last);
    line = person.Reply({c.last});
    if (!line) break;
    heard.push_back("caller: " + *line);
    c.Say(*line);
  }
  // Read back as today at first; the caller said no with its day; booked on Thursday.
  CHECK(std::find(heard.begin(), heard.end(), "caller: No, I said Thursday.") != heard.end());
  REQUIRE(c.conv->outcome().appointment);
  CHECK(c.conv->outcome().appointment->start == "2026-12-10T15:00");
}

TEST_CASE("a slot taken between the read-back and 'yes' is not double-booked: alternatives are offered") {
  Call c("hvac", "2026-12-08T10:15:00");
  c.Say("AC repair tomorrow at nine a m please");
  c.Say("John Smith");
  c.Say("five one two five five five seven seven eight eight");
  c.Say("1200 Oak Street");
  REQUIRE(c.conv->expecting() == "confirm");
  // Another call books both technicians meanwhile.
  for (const char* tech : {"Tech 1", "Tech 2"}) {
    Appointment a;
    a.id = std::string("other-") + tech;
    a.business_id = "hvac";
    a.service_id = "ac_repair";
    a.resource = tech;
    a.start_utc = LocalTimeToUtc("2026-12-09T09:00", "America/Chicago").value();
    a.end_utc = a.start_utc + 2 * 3600;
    REQUIRE(c.calendar.Book(a).ok());
  }
  std::string said = c.Say("Yes, that's right.");
  CHECK(Has(said, "just taken"));
  CHECK(c.conv->expecting() == "alternative");
  CHECK_FALSE(c.conv->outcome().appointment);
  c.Say("The first one.");
  c.Say("Yes.");
  REQUIRE(c.conv->outcome().appointment);
  CHECK(c.conv->outcome().appointment->start == "2026-12-09T11:30");  // 9-11 jobs + 30 min travel buffer
  CHECK(c.calendar.List("hvac", 0, INT64_MAX).value().size() == 3);
}

TEST_CASE("a closing-time edge: a service that ends exactly at closing is booked") {
  Call c("dental", "2026-12-08T10:00:00");
  c.Say("I'd like teeth whitening on Thursday at 5:30 p m.");
  CHECK(c.conv->expecting() == "name");  // no alternatives needed
  Call late("dental", "2026-12-08T10:00:00");
  std::string said = late.Say("I'd like teeth whitening on Thursday at 5:45 p m.");
  CHECK(late.conv->expecting() == "alternative");
  CHECK(Has(said, "outside our hours"));
}

TEST_CASE("random caller turns never crash and every call ends within the turn limit") {
  const char* pieces[] = {"yes", "no", "tomorrow", "at nine", "haircut", "AC repair", "my name is Ann Lee",
                          "five one two five five five one two one two", "the first one", "what?", "",
                          "leave a message", "Thursday", "asdf", "bye", "no, I said Friday", "anyone",
                          "oil change", "12 Elm Street", "how much is it?", "at 25:99", "next Monday at noon"};
  const int n = int(sizeof(pieces) / sizeof(pieces[0]));
  uint32_t seed = 12345;
  auto next = [&] { return (seed = seed * 1103515245u + 12345u) >> 16; };
  for (const char* biz : {"hvac", "dental", "salon", "auto"}) {
    for (int call = 0; call < 40; ++call) {
      Call c(biz, "2026-12-08T10:00:00");
      int turns = 0;
      while (!c.conv->ended() && turns < 60) {
        std::string text = std::string(pieces[next() % n]) + " " + pieces[next() % n];
        c.Say(text);
        ++turns;
      }
      CHECK(c.conv->ended());
      CHECK(turns <= 41);
      const std::string& o = c.conv->outcome().outcome;
      CHECK((o == "booked" || o == "transferred" || o == "voicemail" || o == "answered" || o == "abandoned"));
    }
  }
}

TEST_CASE("9 AM bookings on either side of the DST change land at the right UTC instant") {
  struct Case {
    const char* said;
    const char* local;
    const char* utc_iso;
    int64_t utc;
  };
  // Friday 2026-03-06 in Chicago; the clocks spring forward on Sunday 2026-03-08.
  for (Case k : {Case{"tune-up tomorrow at nine a m", "2026-03-07T09:00", "15:00Z", 1772895600},
                 Case{"tune-up Monday at nine a m", "2026-03-09T09:00", "14:00Z", 1773064800}}) {
    CAPTURE(k.said);
    Call c("hvac", "2026-03-06T10:00:00");
    c.Say(k.said);
    c.Say("Ann Lee");
    c.Say("five one two five five five one two one two");
    c.Say("12 Elm Street");
    c.Say("yes");
    REQUIRE(c.conv->outcome().appointment);
    CHECK(c.conv->outcome().appointment->start == k.local);
    auto listed = c.calendar.List("hvac", 0, INT64_MAX).value();
    REQUIRE(listed.size() == 1);
    CHECK_MESSAGE(listed[0].start_utc == k.utc, k.utc_iso);
  }
}

TEST_CASE("'sorry, what?' gets the same words again: not a failed turn, not an answer") {
  Call c("salon", "2026-12-08T12:30:00", "");
  c.Say("Can I leave a message for Marco?");
  const std::string asked = c.last;
  REQUIRE(c.conv->expecting() == "message");
  // Not taken as the message, and the same words come back.
  CHECK(c.Say("Sorry, what?") == asked);
  CHECK(c.conv->expecting() == "message");
  CHECK(c.Say("Could you repeat that please?") == asked);
  c.Say("Please move my Saturday appointment.");
  CHECK(c.conv->expecting() == "name");
  const std::string name_q = c.last;
  CHECK(c.Say("pardon?") == name_q);
  c.Say("Chris Martin");
  c.Say("three zero three five five five one two one two");
  REQUIRE(c.conv->outcome().voicemail);
  CHECK(c.conv->outcome().voicemail->message == "Please move my Saturday appointment.");
  CHECK(c.conv->outcome().voicemail->name == "Chris Martin");

  // Repeats do not count toward the reprompt limit; a third in a row is taken as said.
  Call r("salon", "2026-12-08T12:30:00");
  const std::string greeting = r.last;
  CHECK(r.Say("sorry?") == greeting);
  CHECK(r.Say("what?") == greeting);
  CHECK(r.Say("what?") != greeting);  // the third is an (unanswerable) question
  Call n("salon", "2026-12-08T12:30:00");
  n.Say("blorp zzzk");
  n.Say("sorry, what?");
  n.Say("pardon?");
  CHECK(Has(n.Say("qwerty uiop"), "didn't catch"));  // the second failed turn, not the fourth
  CHECK(n.conv->expecting() != "rescue");
}

TEST_CASE("a name misheard twice: the second answer's first name words are taken, and read back") {
  Call c("dental", "2026-12-08T10:00:00");
  c.Say("I'm a new patient and I'd like an exam on Wednesday at 9:30 in the morning.");
  REQUIRE(c.conv->expecting() == "name");
  c.Say("sam or to use");  // strict: not a name
  CHECK(c.conv->expecting() == "name");
  c.Say("sam or to use");  // asked again: "Sam"
  REQUIRE(c.conv->expecting() == "phone");
  c.Say("five one two five five five seven seven eight eight");
  REQUIRE(c.conv->expecting() == "confirm");
  CHECK(Has(c.last, "for Sam,"));  // read back, so the caller can correct it
  c.Say("yes");
  c.Say("yes");
  REQUIRE(c.conv->outcome().appointment);
  CHECK(c.conv->outcome().appointment->name == "Sam");
  // The first miss is still reprompted: one garbled answer is not taken as a name.
  Call once("dental", "2026-12-08T10:00:00");
  once.Say("I'm a new patient and I'd like an exam on Wednesday at 9:30 in the morning.");
  once.Say("sam or to use");
  CHECK(once.conv->expecting() == "name");
}

TEST_CASE("a name never made out: the last try keeps the booking under the words heard, and the read-back corrects it") {
  Call c("dental", "2026-12-08T10:00:00");
  c.Say("I'd like a cleaning on Thursday at 3 p m.");
  REQUIRE(c.conv->expecting() == "name");
  c.Say("a m os");
  c.Say("a m os");
  CHECK(c.conv->expecting() == "name");  // two misses are asked again, as before
  c.Say("a m os");                        // the last try before a message would be offered
  REQUIRE(c.conv->expecting() == "phone");
  c.Say("six one seven five five five zero one nine nine");
  REQUIRE(c.conv->expecting() == "confirm");
  CHECK(Has(c.last, "for M Os,"));
  c.Say("no, my name is Ada Moss");
  CHECK(Has(c.last, "for Ada Moss,"));
  c.Say("yes");
  c.Say("no thanks");
  REQUIRE(c.conv->outcome().appointment);
  CHECK(c.conv->outcome().appointment->name == "Ada Moss");
  // Nonsense with digits in it is still not a name: help is offered instead.
  Call n("dental", "2026-12-08T10:00:00");
  n.Say("I'd like a cleaning on Thursday at 3 p m.");
  for (int i = 0; i < 3; ++i) n.Say("five five five");
  CHECK(n.conv->expecting() != "phone");
}

TEST_CASE("the same question asked again and again although each answer 'moves' something: help is offered") {
  Call c("auto", "2026-12-08T09:00:00");
  // A time every turn (so never a failed turn) but never a service the shop knows.
  std::string said;
  int asks = 0;
  for (; asks < 10 && c.conv->expecting() != "rescue"; ++asks) said = c.Say("Can you check my widgets tomorrow at nine a m?");
  CHECK(c.conv->expecting() == "rescue");
  CHECK(asks <= 4);
  CHECK(Has(said, "take a message"));
}

TEST_CASE("voicemail without caller id asks for a number; hang-up mid-message keeps the message") {
  Call c("salon", "2026-12-08T12:30:00", "");
  c.Say("Can I leave a message for Marco?");
  CHECK(c.conv->expecting() == "message");
  c.Say("Please move my Saturday appointment.");
  CHECK(c.conv->expecting() == "name");
  c.Say("Chris Martin");
  CHECK(c.conv->expecting() == "phone");
  c.Say("three zero three five five five one two one two");
  CHECK(c.conv->expecting() == "anything_else");
  REQUIRE(c.conv->outcome().voicemail);
  CHECK(c.conv->outcome().voicemail->phone == "+13035551212");
  CHECK(c.conv->outcome().voicemail->name == "Chris Martin");

  Call h("salon", "2026-12-08T12:30:00", "+13035550000");
  h.Say("I'd like to leave a message please.");
  h.Say("Tell Ana I'll be late.");
  h.Take(h.conv->OnHangup());
  CHECK(h.conv->outcome().outcome == "voicemail");
  CHECK(h.conv->outcome().voicemail->phone == "+13035550000");
}

TEST_CASE("asking for a person mid-booking transfers; a question without an answer offers help") {
  Call c("auto", "2026-12-08T09:05:00");
  c.Say("I need an oil change tomorrow at ten a m");
  c.Say("Actually, can I talk to a real person?");
  CHECK(c.conv->ended());
  CHECK(c.conv->outcome().outcome == "transferred");
  CHECK(c.conv->outcome().transfer_to == std::optional<std::string>("+16175550199"));

  Call q("auto", "2026-12-08T09:05:00");
  std::string said = q.Say("Do you sell motorcycles?");
  CHECK_FALSE(q.conv->ended());
  CHECK(Has(said, "don't have an answer"));
}

TEST_CASE("after a booking the caller can book a second appointment") {
  Call c("salon", "2026-12-08T12:30:00", "+13035550000");
  c.Say("A haircut with Jess on Wednesday at eleven a m");
  c.Say("Dana Cruz");
  c.Say("three zero three five five five one two three four");
  c.Say("yes");
  REQUIRE(c.conv->expecting() == "anything_else");
  c.Say("Yes, can I also book a massage on Friday at two p m?");
  CHECK(c.conv->outcome().appointment);
  CHECK_FALSE(c.conv->ended());
  CHECK(c.conv->expecting() == "staff_preference");  // name and phone are not asked again
  std::string readback = c.Say("anyone");
  CHECK(c.conv->expecting() == "confirm");
  CHECK(Has(readback, "massage"));
  CHECK(Has(readback, "Dana Cruz"));
  c.Say("yes");
  CHECK(c.calendar.List("salon", 0, INT64_MAX).value().size() == 2);
  CHECK(c.conv->outcome().appointment->service == "massage");
}

TEST_CASE("scenario evaluation: a wrong expectation fails, a bad file is an error naming it") {
  const std::string businesses = std::string(INFINI_TEST_DATA) + "/businesses";
  auto good = RunScenarioFile(std::string(INFINI_TEST_DATA) + "/scenarios/hvac-ac-tomorrow-9am.json", businesses);
  REQUIRE(good.ok());
  CHECK(good.value().passed);
  CHECK(good.value().expects_booking);

  std::string wrong = std::string(INFINI_TEST_TMP) + "/wrong_expect.json";
  {
    auto text = nlohmann::json::parse(std::ifstream(std::string(INFINI_TEST_DATA) + "/scenarios/hvac-ac-tomorrow-9am.json"));
    text["expect"]["start"] = "2026-12-09T10:00";
    std::ofstream(wrong) << text.dump();
  }
  auto failed = RunScenarioFile(wrong, businesses);
  REQUIRE(failed.ok());
  CHECK_FALSE(failed.value().passed);
  REQUIRE(failed.value().failures.size() == 1);
  CHECK(failed.value().failures[0] == "start: expected '2026-12-09T10:00', got '2026-12-09T09:00'");

  std::string broken = std::string(INFINI_TEST_TMP) + "/broken_scenario.json";
  std::ofstream(broken) << R"({"name":"x","business":"hvac","now":"yesterday","caller":{},"expect":{}})";
  auto err = RunScenarioFile(broken, businesses);
  REQUIRE_FALSE(err.ok());
  CHECK(err.status().message().find("/broken_scenario.json: now: 'yesterday' is not a local time") != std::string::npos);
  auto missing_business = RunScenarioFile(std::string(INFINI_TEST_DATA) + "/scenarios/hvac-ac-tomorrow-9am.json", "/nonexistent");
  REQUIRE_FALSE(missing_business.ok());
  CHECK(missing_business.status().message().find("business 'hvac'") != std::string::npos);
}

TEST_CASE("flow transitions in the config decide where a refusal goes") {
  std::ifstream in(std::string(INFINI_SOURCE_DIR) + "/examples/businesses/dental.json");
  auto j = nlohmann::json::parse(in);
  for (auto& state : j["flow"])
    if (state["name"] == "alternatives") state["transitions"]["refused"] = "transfer";
  auto biz = ParseBusinessConfig(j.dump(), "dental-refuse-transfers.json");
  REQUIRE_MESSAGE(biz.ok(), biz.status().ToString());
  dialogue::MemoryCalendar calendar;
  ConversationOptions o;
  o.caller_phone = "+14155550000";
  o.now_utc = LocalTimeToUtc("2026-12-08T10:00:00", biz.value().timezone).value();
  Conversation call(biz.value(), calendar, nullptr, o);
  call.Start();
  call.OnUtterance("Can I get an exam on Saturday at ten a m?");
  REQUIRE(call.expecting() == "alternative");
  call.OnUtterance("No, none of those work.");
  CHECK(call.ended());
  CHECK(call.outcome().outcome == "transferred");
  // The default flow takes a message instead (see "closed day ..." above).
}
