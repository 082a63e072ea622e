// What the simulated caller reads from a host: TwiML from the server's own builder, and the
// call outcome JSON the dialogue engine writes.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

#include "infini/call_record.h"
#include "infini/dialogue.h"
#include "infini/store.h"
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

TEST_CASE("call outcome JSON: the callback task, change, urgency, consent and returning caller read back") {
  CallOutcome o;
  o.outcome = "callback";
  o.transfer_to = "+16175550199";
  o.callback = CallbackTask{.name = "Nina Brooks", .phone = "+16175550404", .request = "talk to a person",
                            .urgency = "high", .best_time = "after five", .summary = "No one picked up."};
  o.changed = ChangedAppointment{.action = "moved", .id = "a1", .service = "brakes", .from = "2026-12-09T08:00",
                                 .to = "2026-12-10T08:00", .resource = "Bay 1"};
  o.urgency = "high";
  o.sms_consent = false;
  o.returning_name = "Nina Brooks";
  auto back = ParseCallOutcomeJson(CallOutcomeJson(o));
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  REQUIRE(back->callback);
  CHECK(back->callback->name == "Nina Brooks");
  CHECK(back->callback->urgency == "high");
  CHECK(back->callback->best_time == "after five");
  REQUIRE(back->changed);
  CHECK(back->changed->to == "2026-12-10T08:00");
  CHECK(back->urgency == "high");
  CHECK(back->sms_consent == std::optional<bool>(false));
  CHECK(back->returning_name == std::optional<std::string>("Nina Brooks"));
  CHECK(back->transfer_to == std::optional<std::string>("+16175550199"));
  CallOutcome plain;  // absent fields stay absent
  auto none = ParseCallOutcomeJson(CallOutcomeJson(plain));
  REQUIRE(none.ok());
  CHECK_FALSE(none->callback);
  CHECK_FALSE(none->changed);
  CHECK_FALSE(none->sms_consent);
}

TEST_CASE("an outcome rebuilt from a host's store keeps what RecordCallOutcome wrote (cancel, transfer, consent, callback)") {
  std::filesystem::create_directories(INFINI_TEST_TMP);
  const std::string path = std::string(INFINI_TEST_TMP) + "/outcome_from_store.db";
  std::remove(path.c_str());
  auto store = Store::Open({.path = path});
  REQUIRE(store.ok());
  auto business = LoadBusinessConfig(std::string(INFINI_SOURCE_DIR) + "/examples/businesses/hvac.json");
  REQUIRE(business.ok());
  CallOutcome o;
  o.outcome = "cancelled";
  o.changed = ChangedAppointment{.action = "cancelled", .id = "a1", .service = "ac_repair", .from = "2026-12-11T16:00",
                                 .to = "", .resource = "Tech 1"};
  o.transfer_to = "+15125550000";
  o.sms_consent = true;
  o.callback = CallbackTask{.name = "Mia Rossi", .phone = "+13035551212", .request = "change an appointment",
                            .urgency = "normal", .best_time = "after 5", .summary = "Wants a call."};
  auto row = (*store)->StartCall({.business_id = business->id, .provider_call_id = "CAstore"});
  REQUIRE(row.ok());
  (void)RecordCallOutcome(**store, *row, *business, o);
  REQUIRE((*store)->EndCall(*row, o.outcome, "").ok());
  auto back = CallOutcomeFromStore(**store, "CAstore");
  REQUIRE(back.has_value());
  CHECK(back->outcome == "cancelled");
  REQUIRE(back->changed.has_value());
  CHECK(back->changed->action == "cancelled");
  CHECK(back->changed->from == "2026-12-11T16:00");
  CHECK(back->transfer_to == std::optional<std::string>("+15125550000"));
  CHECK(back->sms_consent == std::optional<bool>(true));
  REQUIRE(back->callback.has_value());
  CHECK(back->callback->name == "Mia Rossi");
  CHECK(back->callback->best_time == "after 5");
  CHECK_FALSE(CallOutcomeFromStore(**store, "CAother").has_value());
  store->reset();
  std::remove(path.c_str());
}
