// The OpenAI-compatible language model against tests/fakes/fake_openai.py (a local fake
// speaking the chat-completions SSE format): the request on the wire, tool calls understood,
// usage metered, every fault mode falling back to the rule NLU within the same turn, and
// the apology + message/person offer when nothing understands the caller.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <mutex>

#include "dialogue/memory_calendar.h"
#include "fake_servers.h"
#include "infini/cost.h"
#include "infini/dialogue.h"
#include "infini/language_model.h"
#include "infini/log.h"
#include "infini/registry.h"
#include "infini/simulation.h"

using namespace infini;
using json = nlohmann::json;

namespace {

BusinessConfig Hvac() {
  auto r = LoadBusinessConfig(std::string(INFINI_TEST_DATA) + "/businesses/hvac.json");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return r.value();
}

std::unique_ptr<LanguageModel> Model(const json& spec) {
  auto m = ProviderRegistry::Builtin().Make<LanguageModel>(spec);
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  return std::move(m).value();
}

json OpenAi(const std::string& mode = "", int timeout_ms = 3000) {
  ::setenv("INFINI_FAKE_OPENAI_KEY", "sk-fake-secret-1234", 1);
  std::string base = FakeOpenAi().Url(mode.empty() ? "" : "/fault/" + mode);
  return {{"name", "openai"}, {"base_url", base}, {"model", "gpt-4o-mini"},
          {"api_key_env", "INFINI_FAKE_OPENAI_KEY"}, {"timeout_ms", timeout_ms}};
}

// Captures log lines (to prove the API key is never logged).
struct LogCapture {
  std::mutex mu;
  std::string text;
  LogCapture() {
    SetLogLevel(LogLevel::kDebug);
    SetLogSink([this](LogLevel, std::string_view m) {
      std::lock_guard l(mu);
      text.append(m).append("\n");
    });
  }
  ~LogCapture() {
    SetLogSink(nullptr);
    SetLogLevel(LogLevel::kInfo);
  }
  std::string get() {
    std::lock_guard l(mu);
    return text;
  }
};

struct Call {
  BusinessConfig biz = Hvac();
  dialogue::MemoryCalendar calendar;
  dialogue::OutboxMessenger outbox;
  UsageMeter meter;
  std::unique_ptr<LanguageModel> model;
  std::unique_ptr<Conversation> conv;
  std::string last;
  Call(std::unique_ptr<LanguageModel> m, const std::string& now_local = "2026-12-08T10:15:00")
      : model(std::move(m)) {
    ConversationOptions o;
    o.caller_phone = "+15125557788";
    o.call_id = "call-1";
    o.now_utc = LocalTimeToUtc(now_local, biz.timezone).value();
    o.language_model = model.get();
    o.usage = &meter;
    conv = std::make_unique<Conversation>(biz, calendar, &outbox, o);
    Say("");
  }
  std::string Say(const std::string& text) {
    last.clear();
    for (const auto& a : text.empty() ? conv->Start() : conv->OnUtterance(text))
      if (a.kind == AgentAction::Kind::kSay) last += a.text + " ";
    return last;
  }
};

// A booking that both the fake LLM and the rule NLU understand, with what the agent must
// ask for next after each caller turn.
const std::vector<std::pair<std::string, std::string>> kBooking = {
    {"Hi, my air conditioner stopped working. Can someone come out tomorrow at 9 am?", "name"},
    {"John Smith", "phone"},
    {"5125557788", "address"},
    {"1200 Oak Street", "confirm"},
    {"Yes, that's right.", "anything_else"},
    {"No, that's all. Thank you, bye.", ""},
};

void CheckBooked(Call& c) {
  REQUIRE(c.conv->ended());
  const auto& o = c.conv->outcome();
  CHECK(o.outcome == "booked");
  REQUIRE(o.appointment);
  CHECK(o.appointment->service == "ac_repair");
  CHECK(o.appointment->start == "2026-12-09T09:00");
  CHECK(o.appointment->name == "John Smith");
  CHECK(o.appointment->phone == "+15125557788");
  CHECK(c.calendar.List("hvac", 0, INT64_MAX).value().size() == 1);
}

}  // namespace

TEST_CASE("openai LLM: the request on the wire, the streamed tool call understood, tokens metered") {
  LogCapture logs;
  auto model = Model(OpenAi());
  auto biz = Hvac();
  UsageMeter meter;
  UnderstandingContext ctx{.business_id = "hvac", .state = "", .expecting = "", .history = {"agent: How can I help?"}};
  ctx.business = &biz;
  ctx.now_local = "2026-12-08T10:15";
  ctx.usage = &meter;
  const std::string said = "My air conditioner stopped working, can you come tomorrow at 9 am? My name is John Smith";
  auto u = model->Understand(said, ctx);
  REQUIRE_MESSAGE(u.ok(), u.status().ToString());
  CHECK(u->intent == "book");
  CHECK(u->slots["service"] == "ac_repair");
  CHECK(u->slots["date"] == "2026-12-09");
  CHECK(u->slots["time"] == "09:00");
  CHECK(u->slots["name"] == "John Smith");
  CHECK(meter.Total("openai", usage::kLlmPromptTokens) > 100);
  CHECK(meter.Total("openai", usage::kLlmCompletionTokens) > 5);

  json requests = FakeOpenAi().Requests();
  REQUIRE(!requests.empty());
  const json& r = requests.back();
  CHECK(r["path"] == "/v1/chat/completions");
  CHECK(r["headers"]["authorization"] == "Bearer sk-fake-secret-1234");
  CHECK(r["headers"]["content-type"] == "application/json");
  const json& body = r["body"];
  CHECK(body["model"] == "gpt-4o-mini");
  CHECK(body["stream"] == true);
  CHECK(body["stream_options"]["include_usage"] == true);
  CHECK(body["tool_choice"] == "required");
  CHECK(body["tools"][0]["function"]["parameters"]["properties"]["service"]["enum"][0] == "ac_repair");
  CHECK(body["messages"].back()["role"] == "user");
  CHECK(body["messages"].back()["content"] == said);
  CHECK(body["messages"][0]["content"].get<std::string>().find("2026-12-08T10:15") != std::string::npos);
  CHECK(logs.get().find("sk-fake-secret-1234") == std::string::npos);
}

TEST_CASE("openai LLM faults: each one is a precise error status, fast; a chain ending in rules defers") {
  LogCapture logs;
  auto biz = Hvac();
  UnderstandingContext ctx{.business_id = "hvac", .state = "", .expecting = "", .history = {}};
  ctx.business = &biz;
  ctx.now_local = "2026-12-08T10:15";
  struct Fault {
    std::string mode, expect;
    Status::Code code;
  };
  const std::vector<Fault> faults = {
      {"500", "HTTP 500", Status::Code::kUnavailable},
      {"close", "", Status::Code::kUnavailable},
      {"hang", "", Status::Code::kDeadlineExceeded},
      {"garbage", "not JSON", Status::Code::kCorruption},
      {"error_event", "overloaded", Status::Code::kUnavailable},
      {"unknown_tool", "unknown tool 'book_flight'", Status::Code::kInvalidArgument},
      {"bad_service", "unknown service id", Status::Code::kInvalidArgument},
      {"bad_json", "not a JSON object", Status::Code::kInvalidArgument},
      {"wrong_type", "must be", Status::Code::kInvalidArgument},
      {"text_only", "no tool call", Status::Code::kInvalidArgument},
  };
  for (const auto& f : faults) {
    CAPTURE(f.mode);
    auto model = Model(OpenAi(f.mode, 400));
    const auto t0 = std::chrono::steady_clock::now();
    auto u = model->Understand("I need an AC repair tomorrow at 9 am", ctx);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE_FALSE(u.ok());
    CHECK(u.status().code() == f.code);
    CHECK_MESSAGE(u.status().message().find(f.expect) != std::string::npos, u.status().message());
    CHECK(ms < 10000);  // bounded by timeout_ms (400), not by the fake's 30 s stall

    auto chain = Model(json::array({OpenAi(f.mode, 400), "rules"}));
    auto d = chain->Understand("I need an AC repair tomorrow at 9 am", ctx);
    CHECK(d.status().code() == Status::Code::kUnimplemented);
  }
  CHECK(logs.get().find("sk-fake-secret-1234") == std::string::npos);
}

TEST_CASE("openai LLM per-call token budget: once spent, the turn goes to the next in the chain") {
  auto biz = Hvac();
  UsageMeter meter;
  UnderstandingContext ctx{.business_id = "hvac", .state = "", .expecting = "", .history = {}};
  ctx.business = &biz;
  ctx.usage = &meter;
  json spec = OpenAi();
  spec["max_tokens_per_call"] = 50;
  auto model = Model(spec);
  REQUIRE(model->Understand("I need an AC repair", ctx).ok());  // spends > 50 tokens
  auto second = model->Understand("I need an AC repair", ctx);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message().find("budget") != std::string::npos);
}

TEST_CASE("a booking call understood by the LLM, every turn; its tokens priced in the call's cost") {
  Call c(Model(json::array({OpenAi(), "rules"})));
  for (const auto& [said, next] : kBooking) {
    CAPTURE(said);
    c.Say(said);
    CHECK(c.conv->expecting() == next);
  }
  CheckBooked(c);
  CHECK(c.conv->nlu_stats().model_turns == int(kBooking.size()));
  CHECK(c.conv->nlu_stats().rules_turns == 0);
  CHECK(c.conv->nlu_stats().model_failures == 0);
  auto report = EstimateCost(c.meter.Totals(), PriceTable::Defaults());
  CHECK(report.unpriced.empty());
  CHECK(report.total_usd > 0);
  CHECK(report.total_usd < 0.01);  // six gpt-4o-mini turns cost well under a cent
}

TEST_CASE("LLM faults mid-call: the rule NLU takes each turn, the call goes on as if nothing happened") {
  for (const std::string mode : {"500", "close", "hang", "garbage", "unknown_tool", "bad_service", "wrong_type"}) {
    CAPTURE(mode);
    Call c(Model(json::array({OpenAi(mode, 300), "rules"})));
    for (const auto& [said, next] : kBooking) {
      CAPTURE(said);
      c.Say(said);
      CHECK(c.conv->expecting() == next);  // the same turn answered: no extra prompt, no reprompt
    }
    CheckBooked(c);
    CHECK(c.conv->nlu_stats().model_turns == 0);
    CHECK(c.conv->nlu_stats().rules_turns == int(kBooking.size()));
    CHECK(c.conv->nlu_stats().model_failures == int(kBooking.size()));
    CHECK_FALSE(c.conv->nlu_stats().last_failure.empty());
  }
}

TEST_CASE("every NLU fails: the caller hears an apology, is offered a message or a person, and nothing is lost") {
  Call c(Model(OpenAi("500", 300)));  // no explicit rules: the engine still falls back to them
  c.Say("I need a furnace repair. My name is Jane Doe.");
  CHECK(c.conv->expecting() == "time");
  std::string heard;
  for (int i = 0; i < 3 && c.conv->expecting() != "rescue"; ++i) heard = c.Say("blorp fizzle wump");
  CHECK(c.conv->expecting() == "rescue");
  CHECK(heard.find("I'm sorry") != std::string::npos);
  CHECK(heard.find("take a message") != std::string::npos);
  CHECK(heard.find("person") != std::string::npos);
  c.Say("Take a message please");
  c.Say("Please call me back about my furnace, it is making a noise.");
  c.Say("No, that's all. Bye.");
  REQUIRE(c.conv->ended());
  const auto& o = c.conv->outcome();
  CHECK(o.outcome == "voicemail");
  REQUIRE(o.voicemail);
  CHECK(o.voicemail->name == "Jane Doe");        // collected before the trouble, kept
  CHECK(o.voicemail->phone == "+15125557788");
  CHECK(o.voicemail->message.find("furnace") != std::string::npos);
  CHECK(c.conv->nlu_stats().model_turns == 0);
  CHECK(c.conv->nlu_stats().model_failures >= 5);
}
