// What the simulated caller reads from a host: TwiML from the server's own builder, and the
// call outcome JSON the dialogue engine writes.
#include <doctest/doctest.h>

#include "infini/dialogue.h"
#include "infini/remote_call.h"
#include "infini/twilio.h"

using namespace infini;

TEST_CASE("TwiML written by ConnectStreamTwiml reads back: url and parameters, escapes undone") {
  std::string twiml = ConnectStreamTwiml("wss://rx.example.com/twilio/stream?x=1&y=2",
                                         {{"caller", "+15125557788"}, {"note", "a<b & \"c\""}});
  auto s = ParseConnectStreamTwiml(twiml);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  CHECK(s->url == "wss://rx.example.com/twilio/stream?x=1&y=2");
  REQUIRE(s->parameters.size() == 2);
  CHECK(s->parameters[0] == std::make_pair(std::string("caller"), std::string("+15125557788")));
  CHECK(s->parameters[1].second == "a<b & \"c\"");
  CHECK(ParseConnectStreamTwiml("<Response><Say>closed</Say></Response>").status().IsCorruption());
  CHECK(ParseConnectStreamTwiml("<Response><Connect><Stream/></Connect></Response>").status().IsCorruption());
}

TEST_CASE("call outcome JSON round-trips, bare or under \"outcome\"; malformed is Corruption") {
  CallOutcome o;
  o.outcome = "booked";
  o.appointment = BookedAppointment{.service = "ac_repair", .start = "2026-12-09T09:00", .resource = "tech1",
                                    .name = "Jordan Lee", .phone = "+15125557788"};
  o.sms.push_back({"+15125557788", "Booked: AC repair"});
  const std::string j = CallOutcomeJson(o);
  for (const std::string& text : {j, std::string(R"({"event":"end","outcome":)") + j + "}"}) {
    auto back = ParseCallOutcomeJson(text);
    REQUIRE_MESSAGE(back.ok(), back.status().ToString());
    CHECK(back->outcome == "booked");
    REQUIRE(back->appointment);
    CHECK(back->appointment->start == "2026-12-09T09:00");
    CHECK(back->appointment->name == "Jordan Lee");
    REQUIRE(back->sms.size() == 1);
    CHECK(back->sms[0].text == "Booked: AC repair");
    CHECK_FALSE(back->transfer_to);
  }
  CHECK(ParseCallOutcomeJson("{").status().IsCorruption());
  CHECK(ParseCallOutcomeJson(R"({"outcome":7})").status().IsCorruption());
}
