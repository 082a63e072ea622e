// Cost tracking, the LLM tool schema / stream accumulator / validation, and the mapping of a
// model's answer into the engine's understanding. No I/O except an in-memory SQLite store.
#include <doctest/doctest.h>

#include <cmath>

#include "cloud/llm_tools.h"
#include "dialogue/model_nlu.h"
#include "infini/business.h"
#include "infini/cost.h"
#include "infini/store.h"

using namespace infini;
using json = nlohmann::json;

namespace {
BusinessConfig Hvac() {
  auto r = LoadBusinessConfig(std::string(INFINI_TEST_DATA) + "/businesses/hvac.json");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return r.value();
}
std::string Chunk(const json& delta, const char* finish = nullptr) {
  json c = {{"id", "chatcmpl-1"}, {"object", "chat.completion.chunk"}, {"created", 1}, {"model", "m"}};
  c["choices"] = json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish ? json(finish) : json(nullptr)}}});
  return c.dump();
}
}  // namespace

TEST_CASE("usage meter totals per provider and kind; nonsense quantities are not billed") {
  UsageMeter m;
  m.Add("openai", usage::kLlmPromptTokens, 800);
  m.Add("openai", usage::kLlmPromptTokens, 200);
  m.Add("openai", usage::kLlmCompletionTokens, 40);
  m.Add("twilio", usage::kSmsSegments, 1);
  m.Add("twilio", usage::kSmsSegments, -5);
  m.Add("twilio", usage::kSmsSegments, NAN);
  CHECK(m.Total("openai", usage::kLlmPromptTokens) == 1000);
  CHECK(m.Total("twilio", usage::kSmsSegments) == 1);
  CHECK(m.Total("groq", usage::kLlmPromptTokens) == 0);
  auto totals = m.Totals();
  REQUIRE(totals.size() == 3);
  CHECK(totals[0].provider == "openai");
  m.Observe("openai", "tts_first_audio_ms", 180);
  REQUIRE(m.Observations().size() == 1);
  CHECK(m.Observations()[0].value == 180);
}

TEST_CASE("price table: defaults, overrides from config, wildcard kinds, precise errors") {
  auto d = PriceTable::Defaults();
  auto p = d.Find("openai", usage::kLlmPromptTokens);
  REQUIRE(p);
  CHECK(p->usd_per_unit == doctest::Approx(0.15e-6));
  CHECK(p->source.find("openai.com") != std::string::npos);
  CHECK_FALSE(d.Find("acme", usage::kLlmPromptTokens));

  auto t = PriceTable::FromJson(json::parse(R"({"acme/llm_prompt_tokens": 1e-6,
      "*/tts_chars": {"usd_per_unit": 2e-5, "source": "contract"}})"));
  REQUIRE(t.ok());
  CHECK(t->Find("acme", usage::kLlmPromptTokens)->usd_per_unit == doctest::Approx(1e-6));
  CHECK(t->Find("openai", usage::kTtsCharacters)->usd_per_unit == doctest::Approx(15e-6));  // exact key wins
  CHECK(t->Find("polly", usage::kTtsCharacters)->source == "contract");                     // wildcard

  auto bad = PriceTable::FromJson(json::parse(R"({"openai": 1})"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("\"provider/kind\"") != std::string::npos);
  auto neg = PriceTable::FromJson(json::parse(R"({"openai/tts_chars": -1})"));
  REQUIRE_FALSE(neg.ok());
  CHECK(neg.status().message().find(">= 0") != std::string::npos);
  auto str = PriceTable::FromJson(json::parse(R"({"openai/tts_chars": "cheap"})"));
  CHECK_FALSE(str.ok());
}

TEST_CASE("cost report: priced lines, unpriced ones listed, stored as usage events in SQLite") {
  std::vector<UsageEntry> usage = {{"openai", usage::kLlmPromptTokens, 20000},
                                   {"openai", usage::kLlmCompletionTokens, 1000},
                                   {"twilio", usage::kTelephonySeconds, 300},
                                   {"mystery", usage::kAsrSeconds, 10}};
  auto r = EstimateCost(usage, PriceTable::Defaults());
  REQUIRE(r.lines.size() == 4);
  CHECK(r.lines[0].usd == doctest::Approx(0.003));
  CHECK(r.lines[1].usd == doctest::Approx(0.0006));
  CHECK(r.lines[2].usd == doctest::Approx(0.0425));
  CHECK_FALSE(r.lines[3].priced);
  REQUIRE(r.unpriced.size() == 1);
  CHECK(r.unpriced[0] == "mystery/asr_seconds");
  CHECK(r.total_usd == doctest::Approx(0.0461));
  const std::string table = FormatCostReport(r);
  CHECK(table.find("no price") != std::string::npos);
  CHECK(table.find("0.0461") != std::string::npos);
  CHECK(CostReportJson(r)["lines"].size() == 4);

  auto store = Store::Open({});
  REQUIRE(store.ok());
  auto call = (*store)->StartCall({.business_id = "hvac", .from_phone = "+15125557788"});
  REQUIRE(call.ok());
  REQUIRE(RecordUsage(**store, *call, "hvac", r).ok());
  auto listed = (*store)->ListUsage(*call);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 4);
  int64_t micros = 0;
  bool saw_twilio = false;
  for (const auto& u : *listed) {
    micros += u.cost_micros;
    saw_twilio = saw_twilio || (u.kind == "twilio/call_seconds" && u.quantity == 300 && u.cost_micros == 42500);
  }
  CHECK(saw_twilio);
  CHECK(micros == 46100);
}

TEST_CASE("a typical 5-minute call with the default stack lands inside the $0.20-0.50 target band or below") {
  CallProfile p;  // twilio + deepgram + openai gpt-4o-mini + openai tts-1 + 1 SMS
  auto r = EstimateCost(TypicalCallUsage(p), PriceTable::Defaults());
  CHECK(r.unpriced.empty());
  CHECK(r.total_usd > 0.05);
  CHECK(r.total_usd < 0.50);
  p.tts = "elevenlabs";
  auto e = EstimateCost(TypicalCallUsage(p), PriceTable::Defaults());
  CHECK(e.total_usd > r.total_usd);
  CallProfile local;
  local.asr = "pocketsphinx";
  local.tts = "flite";
  local.llm = "vllm";
  auto l = EstimateCost(TypicalCallUsage(local), PriceTable::Defaults());
  CHECK(l.total_usd < r.total_usd);  // telephony + SMS only
  CHECK(l.unpriced.empty());
}

TEST_CASE("tool schema comes from the business config: service ids and staff as enums") {
  auto biz = Hvac();
  json tools = cloud::BuildTools(&biz);
  REQUIRE(tools.size() == 1);
  const auto& fn = tools[0]["function"];
  CHECK(fn["name"] == "record_caller_turn");
  const auto& props = fn["parameters"]["properties"];
  CHECK(props["service"]["enum"] == json({"ac_repair", "furnace_repair", "maintenance", "emergency"}));
  CHECK(props["service"]["description"].get<std::string>().find("air conditioner") != std::string::npos);
  CHECK(props["staff"]["enum"] == json({"Tech 1", "Tech 2", "any"}));
  CHECK(props["intents"]["items"]["enum"].size() == cloud::ToolIntents().size());
  CHECK(fn["parameters"]["additionalProperties"] == false);
  UnderstandingContext ctx{.business_id = "hvac", .state = "", .expecting = "time", .history = {}};
  ctx.business = &biz;
  ctx.now_local = "2026-12-08T10:15";
  const std::string prompt = cloud::BuildSystemPrompt(ctx);
  CHECK(prompt.find("Tuesday 2026-12-08T10:15") != std::string::npos);
  CHECK(prompt.find("just asked for: time") != std::string::npos);
}

TEST_CASE("stream accumulator merges tool-call argument deltas by index and reads the usage chunk") {
  cloud::ChatStream s;
  REQUIRE(s.Feed(Chunk({{"role", "assistant"}, {"content", nullptr}})).ok());
  REQUIRE(s.Feed(Chunk({{"tool_calls", {{{"index", 0}, {"id", "call_1"}, {"type", "function"},
                                         {"function", {{"name", "record_caller_turn"}, {"arguments", ""}}}}}}})).ok());
  const std::string args = R"({"intents":["book"],"service":"ac_repair"})";
  for (size_t i = 0; i < args.size(); i += 7)
    REQUIRE(s.Feed(Chunk({{"tool_calls", {{{"index", 0}, {"function", {{"arguments", args.substr(i, 7)}}}}}}})).ok());
  REQUIRE(s.Feed(Chunk(json::object(), "tool_calls")).ok());
  REQUIRE(s.Feed(R"({"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":812,"completion_tokens":19,"total_tokens":831}})").ok());
  REQUIRE(s.Feed(R"({"id":"c","choices":null})").ok());  // vLLM's usage-only chunk style
  REQUIRE(s.Feed("[DONE]").ok());
  CHECK(s.done());
  CHECK(s.finish_reason() == "tool_calls");
  REQUIRE(s.tool_calls().size() == 1);
  CHECK(s.tool_calls()[0].id == "call_1");
  CHECK(s.tool_calls()[0].arguments == args);
  CHECK(s.usage().present);
  CHECK(s.usage().prompt_tokens == 812);
  CHECK(s.usage().completion_tokens == 19);

  cloud::ChatStream bad;
  auto st = bad.Feed("{\"choices\": [");
  CHECK(st.code() == Status::Code::kCorruption);
  cloud::ChatStream err;
  auto e = err.Feed(R"({"error":{"message":"overloaded","type":"server_error"}})");
  CHECK(e.code() == Status::Code::kUnavailable);
  CHECK(e.message().find("overloaded") != std::string::npos);
}

TEST_CASE("tool calls are validated: hallucinated tools, ids, types and values are rejected") {
  auto biz = Hvac();
  auto call = [](std::string name, std::string args) { return std::vector<cloud::ToolCall>{{"c1", name, args}}; };
  auto ok = cloud::ValidateToolCalls(
      call("record_caller_turn", R"({"intents":["book","yes"],"service":"ac_repair","staff":"Tech 2",
        "date":"2026-12-09","time":"09:00","day_part":"morning","asap":false,"name":" John Smith ",
        "phone":"(512) 555-7788","address":"1200 Oak Street","vehicle":{"year":2015,"make":"Honda","model":"Civic"},
        "choice":1,"question":null})"),
      &biz);
  REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
  CHECK(ok->intent == "book");
  CHECK(ok->slots.at("intents") == "book,yes");
  CHECK(ok->slots.at("service") == "ac_repair");
  CHECK(ok->slots.at("name") == "John Smith");
  CHECK(ok->slots.at("phone") == "5125557788");
  CHECK(ok->slots.at("vehicle_make") == "Honda");
  CHECK(ok->slots.at("choice") == "1");
  CHECK(ok->slots.count("asap") == 0);
  CHECK(ok->slots.count("question") == 0);

  struct Case {
    std::string name, args, expect;
  };
  const std::vector<Case> cases = {
      {"book_flight", R"({"intents":["book"]})", "unknown tool 'book_flight'"},
      {"record_caller_turn", R"({"intents":["book"],"service":"helicopter_repair"})", "unknown service id"},
      {"record_caller_turn", R"({"intents":["book"],"service": )", "not a JSON object"},
      {"record_caller_turn", R"({"intents":"book"})", "must be an array"},
      {"record_caller_turn", R"({"intents":["fly"]})", "unknown intent"},
      {"record_caller_turn", R"({"choice":"the first one"})", "small non-negative integer"},
      {"record_caller_turn", R"({"date":"2026-02-30"})", "real YYYY-MM-DD"},
      {"record_caller_turn", R"({"time":"25:00"})", "HH:MM"},
      {"record_caller_turn", R"({"staff":"Bob"})", "not a staff member"},
      {"record_caller_turn", R"({"phone":"call me"})", "not a phone number"},
      {"record_caller_turn", R"({"asap":"yes"})", "boolean"},
      {"record_caller_turn", R"({"mood":"happy"})", "unknown argument 'mood'"},
      {"record_caller_turn", R"([1,2])", "not a JSON object"},
  };
  for (const auto& c : cases) {
    auto r = cloud::ValidateToolCalls(call(c.name, c.args), &biz);
    REQUIRE_MESSAGE(!r.ok(), c.args);
    CHECK_MESSAGE(r.status().message().find(c.expect) != std::string::npos, r.status().message());
  }
  CHECK_FALSE(cloud::ValidateToolCalls({}, &biz).ok());
  // Without a business config nothing can be matched to a service.
  CHECK_FALSE(cloud::ValidateToolCalls(call("record_caller_turn", R"({"service":"ac_repair"})"), nullptr).ok());
}

TEST_CASE("a model's slots map onto the engine's understanding; misfits are rejected") {
  auto biz = Hvac();
  dialogue::NluContext ctx;
  ctx.now = {{2026, 12, 8}, 10, 15};
  ctx.caller_phone = "+15125557788";
  for (const auto& s : biz.services) ctx.services.push_back({s.id, s.name, s.synonyms});
  Understanding m{.intent = "book", .confidence = 0.9,
                  .slots = {{"intents", "book,yes"}, {"service", "ac_repair"}, {"date", "2026-12-09"},
                            {"time", "09:30"}, {"name", "John Smith"}, {"phone", "5125550100"},
                            {"vehicle_make", "Honda"}, {"vehicle_year", "2015"}, {"choice", "1"}},
                  .reply = ""};
  auto u = dialogue::FromModelUnderstanding(m, ctx, biz);
  REQUIRE_MESSAGE(u.ok(), u.status().ToString());
  CHECK(u->has(dialogue::Intent::kBook));
  CHECK(u->has(dialogue::Intent::kYes));
  CHECK(*u->service_id == "ac_repair");
  REQUIRE(u->time);
  CHECK(u->time->date == dialogue::LocalDate{2026, 12, 9});
  CHECK(*u->time->minute_of_day == 570);
  CHECK(*u->phone == "+15125550100");
  CHECK(u->vehicle->year == 2015);
  CHECK(*u->choice == 1);

  Understanding caller{.intent = "inform", .confidence = 1, .slots = {{"phone", "caller"}}, .reply = ""};
  CHECK(*dialogue::FromModelUnderstanding(caller, ctx, biz)->phone == "+15125557788");

  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"service", "helicopter_repair"}, {"date", "2026-11-30"}, {"date", "2026-13-01"}, {"time", "9am"},
           {"intents", "fly"}, {"staff", "Bob"}, {"phone", "12"}, {"day_part", "night"}}) {
    Understanding bad{.intent = "book", .confidence = 1, .slots = {{key, value}}, .reply = ""};
    auto r = dialogue::FromModelUnderstanding(bad, ctx, biz);
    CHECK_MESSAGE(!r.ok(), key, "=", value);
    if (!r.ok()) CHECK(r.status().message().find(key) != std::string::npos);
  }
}
