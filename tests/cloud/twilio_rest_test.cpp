// Twilio REST client, messenger and call control against tests/fakes/fake_twilio.py (a
// local server speaking Twilio's documented form-encoded requests and JSON resources and
// error bodies), including every fault: 5xx, 429 with Retry-After, 4xx, garbage, hang, drop.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>

#include "cloud/twilio_rest.h"
#include "cloud/voice_providers.h"
#include "infini/call_control.h"
#include "infini/cost.h"
#include "infini/registry.h"
#include "infini/log.h"
#include "infini/messenger.h"
#include "infini/store.h"
#include "voice_fakes.h"

using namespace infini;

namespace {

constexpr const char* kSid = "AC00000000000000000000000000000001";
constexpr const char* kToken = "fake-twilio-token-7f3a9c";  // must never reach a log line

struct TwilioFixture {
  VoiceFake fake{"fake_twilio.py", {"--account-sid", kSid, "--auth-token", kToken}};
  TwilioFixture() { ::setenv("INFINI_TEST_TWILIO_TOKEN", kToken, 1); }

  nlohmann::json Config(nlohmann::json extra = nlohmann::json::object()) const {
    nlohmann::json c = {{"name", "twilio"},
                        {"base_url", fake.http_base()},
                        {"account_sid", kSid},
                        {"auth_token_env", "INFINI_TEST_TWILIO_TOKEN"},
                        {"from", "+15125550100"},
                        {"retry_base_ms", 20},
                        {"timeout_ms", 2000}};
    c.update(extra);
    return c;
  }
  cloud::TwilioRest Rest(nlohmann::json extra = nlohmann::json::object()) const {
    auto r = cloud::TwilioRest::FromConfig(Config(std::move(extra)));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return *r;
  }
  nlohmann::json Requests() const { return fake.Get("/_fake/requests")["requests"]; }
  void Faults(const std::string& list) const { fake.Post("/_fake/faults", R"({"faults":)" + list + "}"); }
};

// Captures every log line while alive.
struct LogCapture {
  std::mutex mu;
  std::string text;
  LogCapture() {
    SetLogSink([this](LogLevel, std::string_view m) {
      std::lock_guard lock(mu);
      text.append(m).push_back('\n');
    });
  }
  ~LogCapture() { SetLogSink(nullptr); }
};

}  // namespace

TEST_CASE("twilio: an SMS is a form-encoded POST with basic auth; the SID and segment count come back") {
  TwilioFixture f;
  auto rest = f.Rest();
  auto sent = rest.SendSms("+15125557788", "Booked: haircut Tue 3 pm & see you");
  REQUIRE_MESSAGE(sent.ok(), sent.status().ToString());
  CHECK(sent->sid.rfind("SM", 0) == 0);
  CHECK(sent->sid.size() == 34);
  CHECK(sent->status == "queued");
  CHECK(sent->segments == 1);
  auto reqs = f.Requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0]["path"] == std::string("/2010-04-01/Accounts/") + kSid + "/Messages.json");
  CHECK(reqs[0]["auth_ok"] == true);
  CHECK(reqs[0]["form"]["To"] == "+15125557788");
  CHECK(reqs[0]["form"]["From"] == "+15125550100");
  CHECK(reqs[0]["form"]["Body"] == "Booked: haircut Tue 3 pm & see you");

  // 200 GSM characters are 2 segments (153 each); one emoji makes it UCS-2 (67 each).
  auto longer = rest.SendSms("+15125557788", std::string(200, 'a'));
  REQUIRE(longer.ok());
  CHECK(longer->segments == 2);
  CHECK(cloud::SmsSegments(std::string(160, 'a')) == 1);
  CHECK(cloud::SmsSegments(std::string(161, 'a')) == 2);
  CHECK(cloud::SmsSegments("{}") == 1);
  CHECK(cloud::SmsSegments(std::string(69, 'a') + "\xF0\x9F\x98\x80") == 2);  // 69 + 2 UTF-16 units
}

TEST_CASE("twilio: 5xx and a dropped connection are retried with backoff, then succeed") {
  TwilioFixture f;
  auto rest = f.Rest();
  f.Faults(R"(["500", "503"])");
  auto sent = rest.SendSms("+15125557788", "hello");
  REQUIRE_MESSAGE(sent.ok(), sent.status().ToString());
  CHECK(f.Requests().size() == 3);

  f.fake.Post("/_fake/reset", "{}");
  f.Faults(R"(["close"])");
  auto again = rest.SendSms("+15125557788", "hello again");
  REQUIRE_MESSAGE(again.ok(), again.status().ToString());
  CHECK(f.Requests().size() == 2);
}

TEST_CASE("twilio: 429 waits for Retry-After before the next try") {
  TwilioFixture f;
  auto rest = f.Rest();
  f.Faults(R"(["429:1"])");
  const auto t0 = std::chrono::steady_clock::now();
  auto sent = rest.SendSms("+15125557788", "hello");
  const auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE_MESSAGE(sent.ok(), sent.status().ToString());
  CHECK(f.Requests().size() == 2);
  CHECK(waited >= std::chrono::milliseconds(950));  // Retry-After: 1 (the backoff alone is 20 ms)

  // A Retry-After longer than the client allows ends the retries at once.
  f.fake.Post("/_fake/reset", "{}");
  f.Faults(R"(["429:30"])");
  auto refused = f.Rest({{"retry_max_ms", 500}}).SendSms("+15125557788", "hello");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().IsUnavailable());
  CHECK(refused.status().message().find("429") != std::string::npos);
  CHECK(f.Requests().size() == 1);
}

TEST_CASE("twilio: 4xx answers are not retried and carry Twilio's error code and message") {
  TwilioFixture f;
  auto bad_number = f.Rest().SendSms("12345", "hello");
  REQUIRE_FALSE(bad_number.ok());
  CHECK(bad_number.status().IsInvalidArgument());
  CHECK(bad_number.status().message().find("21211") != std::string::npos);
  CHECK(bad_number.status().message().find("Invalid 'To' Phone Number") != std::string::npos);
  CHECK(f.Requests().size() == 1);

  ::setenv("INFINI_TEST_TWILIO_WRONG", "not-the-token", 1);
  auto denied = f.Rest({{"auth_token_env", "INFINI_TEST_TWILIO_WRONG"}}).SendSms("+15125557788", "hi");
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.status().code() == Status::Code::kPermissionDenied);
  CHECK(denied.status().message().find("20003") != std::string::npos);
  CHECK(f.Requests().size() == 2);
}

TEST_CASE("twilio: persistent 5xx, garbage and a hung server end as errors, the token never logged") {
  TwilioFixture f;
  LogCapture logs;
  f.Faults(R"(["500", "500", "500"])");
  auto down = f.Rest().SendSms("+15125557788", "hello");
  REQUIRE_FALSE(down.ok());
  CHECK(down.status().IsUnavailable());
  CHECK(down.status().message().find("after 3 attempts") != std::string::npos);
  CHECK(f.Requests().size() == 3);

  f.Faults(R"(["garbage"])");
  auto garbage = f.Rest().SendSms("+15125557788", "hello");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.status().IsCorruption());

  f.Faults(R"(["hang"])");
  const auto t0 = std::chrono::steady_clock::now();
  auto hung = f.Rest({{"timeout_ms", 400}}).SendSms("+15125557788", "hello");
  REQUIRE_FALSE(hung.ok());
  CHECK(hung.status().IsDeadlineExceeded());  // not retried: the SMS may have gone out
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(f.Requests().size() == 5);

  std::lock_guard lock(logs.mu);
  CHECK(logs.text.find("retrying") != std::string::npos);
  CHECK(logs.text.find(kToken) == std::string::npos);
}

TEST_CASE("twilio: config rules — secrets only from the environment, SIDs checked") {
  ::unsetenv("INFINI_TEST_TWILIO_UNSET");
  auto literal = cloud::TwilioRest::FromConfig({{"account_sid", kSid}, {"auth_token", "abc"}});
  REQUIRE_FALSE(literal.ok());
  CHECK(literal.status().IsInvalidArgument());
  CHECK(literal.status().message().find("environment") != std::string::npos);
  auto unset = cloud::TwilioRest::FromConfig({{"account_sid", kSid}, {"auth_token_env", "INFINI_TEST_TWILIO_UNSET"}});
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.status().IsNotFound());
  CHECK(unset.status().message().find("INFINI_TEST_TWILIO_UNSET") != std::string::npos);
  ::setenv("INFINI_TEST_TWILIO_TOKEN", kToken, 1);
  auto bad_sid = cloud::TwilioRest::FromConfig({{"account_sid", "XX1"}, {"auth_token_env", "INFINI_TEST_TWILIO_TOKEN"}});
  REQUIRE_FALSE(bad_sid.ok());
  CHECK(bad_sid.status().IsInvalidArgument());
  auto no_from = cloud::MakeTwilioMessenger({{"account_sid", kSid}, {"auth_token_env", "INFINI_TEST_TWILIO_TOKEN"}});
  if (!std::getenv("TWILIO_FROM_NUMBER")) {
    REQUIRE_FALSE(no_from.ok());
    CHECK(no_from.status().message().find("sender") != std::string::npos);
  }
}

TEST_CASE("twilio: call control redirects a live call to <Dial> or <Hangup/>") {
  TwilioFixture f;
  const std::string call = "CA0123456789abcdef0123456789abcdef";
  f.fake.Post("/_fake/calls", R"({"sid": ")" + call + R"("})");
  auto rest = f.Rest();
  Status moved = rest.Transfer(call, "+15125550199", "Connecting you now.");
  REQUIRE_MESSAGE(moved.ok(), moved.ToString());
  auto reqs = f.Requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0]["path"] == std::string("/2010-04-01/Accounts/") + kSid + "/Calls/" + call + ".json");
  CHECK(reqs[0]["form"]["Twiml"] ==
        "<Response><Say>Connecting you now.</Say><Dial>+15125550199</Dial></Response>");

  CHECK(rest.Transfer(call, "sip:front-desk@pbx.example.com").ok());
  CHECK(f.Requests()[1]["form"]["Twiml"] ==
        "<Response><Dial><Sip>sip:front-desk@pbx.example.com</Sip></Dial></Response>");

  REQUIRE(rest.Hangup(call).ok());
  CHECK(f.Requests()[2]["form"]["Twiml"] == "<Response><Hangup/></Response>");

  Status ended = rest.Transfer(call, "+15125550199");  // the call is over now
  CHECK(ended.IsInvalidArgument());
  CHECK(ended.message().find("21220") != std::string::npos);
  Status unknown = rest.Hangup("CAffffffffffffffffffffffffffffffff");
  CHECK(unknown.IsNotFound());
  Status not_a_sid = rest.Hangup("12; DROP");
  CHECK(not_a_sid.IsInvalidArgument());
  CHECK(f.Requests().size() == 5);  // the malformed SID was never sent

  // The same through the CallControl interface the server uses.
  const std::string other = "CA11111111111111111111111111111111";
  f.fake.Post("/_fake/calls", R"({"sid": ")" + other + R"("})");
  ::unsetenv("INFINI_TEST_TWILIO_UNSET");
  auto control = MakeTwilioCallControl(f.Config());
  REQUIRE_MESSAGE(control.ok(), control.status().ToString());
  CHECK((*control)->name() == "twilio-rest");
  f.Faults(R"(["503"])");  // retried
  REQUIRE((*control)->Transfer(other, "+15125550199").ok());
  REQUIRE((*control)->Hangup(other).ok());
  auto all = f.Requests();
  REQUIRE(all.size() == 8);
  CHECK(all[6]["form"]["Twiml"] == "<Response><Dial>+15125550199</Dial></Response>");
  CHECK(all[7]["form"]["Twiml"] == "<Response><Hangup/></Response>");
  CHECK(MakeTwilioCallControl({{"account_sid", kSid}, {"auth_token_env", "INFINI_TEST_TWILIO_UNSET"}})
            .status()
            .IsNotFound());
}

TEST_CASE("sms chain twilio -> outbox: status recorded in the store outbox, segments as usage") {
  TwilioFixture f;
  auto store = Store::Open({});
  REQUIRE(store.ok());
  auto call = (*store)->StartCall({.business_id = "salon", .from_phone = "+15125557788"});
  REQUIRE(call.ok());
  const std::string call_id = std::to_string(*call);

  auto chain = MakeMessenger(nlohmann::json::array({f.Config(), "outbox"}), store->get(), "salon");
  REQUIRE_MESSAGE(chain.ok(), chain.status().ToString());
  CHECK((*chain)->name() == "twilio>outbox");

  // 1. Twilio takes it: the row is "sent", and 2 segments are billed to the call.
  auto sent = (*chain)->Send({.to = "+15125557788", .body = std::string(170, 'x'), .call_id = call_id});
  REQUIRE_MESSAGE(sent.ok(), sent.status().ToString());
  CHECK(sent->rfind("SM", 0) == 0);
  auto outbox = (*store)->ListOutbox();
  REQUIRE(outbox.ok());
  REQUIRE(outbox->size() == 1);
  CHECK((*outbox)[0].status == "sent");
  CHECK((*outbox)[0].call_id == *call);
  auto usage = (*store)->ListUsage(*call);
  REQUIRE(usage.ok());
  REQUIRE(usage->size() == 1);
  CHECK((*usage)[0].kind == "twilio/sms_segments");  // the same "<provider>/<kind>" as every usage event
  CHECK((*usage)[0].quantity == 2);
  CHECK((*usage)[0].cost_micros == 2 * 8300);           // priced from the default table ($0.0083/segment)
  CHECK((*usage)[0].business_id == "salon");

  // 2. Twilio down (5xx on every try): the message is kept queued in the outbox, error noted.
  f.Faults(R"(["500", "500", "500"])");
  auto kept = (*chain)->Send({.to = "+15125557788", .body = "Your booking is confirmed", .call_id = call_id});
  REQUIRE_MESSAGE(kept.ok(), kept.status().ToString());
  CHECK(kept->rfind("outbox:", 0) == 0);
  auto queued = (*store)->ListOutbox("queued");
  REQUIRE(queued.ok());
  REQUIRE(queued->size() == 1);
  CHECK((*queued)[0].body == "Your booking is confirmed");
  CHECK((*queued)[0].error.find("HTTP 500") != std::string::npos);
  CHECK((*store)->ListUsage(*call)->size() == 1);  // nothing billed for the unsent one

  // 3. Twilio alone, rejecting the number: the row is "failed" with Twilio's reason.
  auto alone = MakeMessenger(f.Config(), store->get(), "salon");
  REQUIRE(alone.ok());
  auto rejected = (*alone)->Send({.to = "+0", .body = "x"});
  REQUIRE_FALSE(rejected.ok());
  auto failed = (*store)->ListOutbox("failed");
  REQUIRE(failed.ok());
  REQUIRE(failed->size() == 1);
  CHECK(failed->front().error.find("21211") != std::string::npos);

  // Bad input never reaches the network.
  CHECK((*chain)->Send({.to = "", .body = "x"}).status().IsInvalidArgument());
  CHECK((*chain)->Send({.to = "+15125557788", .body = ""}).status().IsInvalidArgument());
}

TEST_CASE("messengers come from the registry: twilio -> outbox from config; a hung or failing Twilio loses nothing") {
  const auto names = ProviderRegistry::Builtin().Names<Messenger>();
  for (const char* n : {"twilio", "outbox", "smtp"})
    CHECK_MESSAGE(std::find(names.begin(), names.end(), n) != names.end(), n);

  TwilioFixture f;
  LogCapture logs;
  auto store = Store::Open({});
  REQUIRE(store.ok());
  auto call = (*store)->StartCall({.business_id = "salon", .from_phone = "+15125557788"});
  REQUIRE(call.ok());
  const std::string call_id = std::to_string(*call);
  // A price override reaches the usage events.
  auto prices = PriceTable::FromJson({{"twilio/sms_segments", 0.01}});
  REQUIRE(prices.ok());
  auto chain = MakeMessenger(nlohmann::json::array({f.Config({{"timeout_ms", 400}}), "outbox"}),
                             MessengerBinding{.store = store->get(), .business_id = "salon", .prices = &*prices});
  REQUIRE_MESSAGE(chain.ok(), chain.status().ToString());
  CHECK((*chain)->name() == "twilio>outbox");

  // Twilio hangs past its timeout: the SMS is kept queued (not retried: it may have gone out).
  f.Faults(R"(["hang"])");
  const auto t0 = std::chrono::steady_clock::now();
  auto hung = (*chain)->Send({.to = "+15125557788", .body = "Booked: haircut Tue 3 pm", .call_id = call_id});
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE_MESSAGE(hung.ok(), hung.status().ToString());
  CHECK(hung->rfind("outbox:", 0) == 0);
  CHECK(waited < 3.0);
  // Twilio answers 500 on every try: queued too.
  f.Faults(R"(["500", "500", "500"])");
  auto failed = (*chain)->Send({.to = "+15125557788", .body = "Reminder: haircut tomorrow", .call_id = call_id});
  REQUIRE_MESSAGE(failed.ok(), failed.status().ToString());
  auto queued = (*store)->ListOutbox("queued");
  REQUIRE(queued.ok());
  REQUIRE(queued->size() == 2);
  std::set<std::string> bodies;
  for (const auto& m : *queued) {
    bodies.insert(m.body);
    CHECK(m.call_id == *call);
    CHECK_FALSE(m.error.empty());  // why it was not sent is noted for the person / retry job
  }
  CHECK(bodies == std::set<std::string>{"Booked: haircut Tue 3 pm", "Reminder: haircut tomorrow"});
  CHECK((*store)->ListUsage(*call)->empty());  // nothing billed for SMS that did not go out

  // Twilio back: sent, status "sent", segments billed at the configured price.
  auto sent = (*chain)->Send({.to = "+15125557788", .body = "See you soon", .call_id = call_id});
  REQUIRE_MESSAGE(sent.ok(), sent.status().ToString());
  CHECK(sent->rfind("SM", 0) == 0);
  CHECK((*store)->ListOutbox("sent")->size() == 1);
  auto usage = (*store)->ListUsage(*call);
  REQUIRE(usage->size() == 1);
  CHECK(usage->front().kind == "twilio/sms_segments");
  CHECK(usage->front().cost_micros == 10000);
  CHECK(usage->front().business_id == "salon");
  {
    std::lock_guard lock(logs.mu);
    CHECK(logs.text.find(kToken) == std::string::npos);
  }

  // A chain without a store: "outbox" cannot keep anything, so it is an error, not a silent drop.
  auto bare = ProviderRegistry::Builtin().Make<Messenger>(nlohmann::json::array({"outbox"}));
  REQUIRE(bare.ok());
  CHECK_FALSE((*bare)->Send({.to = "+15125557788", .body = "x"}).ok());
  // Unknown messenger names are refused naming the known ones.
  auto unknown = MakeMessenger("pigeon", store->get());
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message().find("twilio") != std::string::npos);
}

TEST_CASE("twilio: Dial() asks for the result: <Dial action method timeout> (the server's /twilio/dial-status)") {
  TwilioFixture f;
  const std::string call = "CA22222222222222222222222222222222";
  f.fake.Post("/_fake/calls", R"({"sid": ")" + call + R"("})");
  auto control = MakeTwilioCallControl(f.Config());
  REQUIRE_MESSAGE(control.ok(), control.status().ToString());
  Status s = (*control)->Dial(call, "+15125550911",
                              {.action_url = "https://rx.example.com/twilio/dial-status?a=1&b=2", .timeout_seconds = 15});
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  auto reqs = f.Requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0]["form"]["Twiml"] ==
        "<Response><Dial action=\"https://rx.example.com/twilio/dial-status?a=1&amp;b=2\" method=\"POST\" "
        "timeout=\"15\">+15125550911</Dial></Response>");
}
