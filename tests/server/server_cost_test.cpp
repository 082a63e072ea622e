// Cost per served call: a real Twilio Media Streams call on the server (127.0.0.1) with priced
// providers in its chains — the agent speaks through the OpenAI-compatible speech fake
// (tests/fakes/fake_openai.py, then flite), the caller is heard by the real pocketsphinx and
// understood by the fake's chat completions (then the rules) —
// leaves priced usage events per provider in the store, and the REST API reports the call's cost.
#include "server_harness.h"

#include <set>

#include "infini/api.h"
#include "infini/base64.h"
#include "infini/cost.h"
#include "infini/g711.h"
#include "infini/log.h"
#include "infini/simulation.h"
#include "infini/twilio.h"
#include "cloud/voice_fakes.h"

using namespace test;

namespace {

struct FakeOpenAiServer {  // tests/fakes/fake_openai.py: chat completions + speech
  ChildProcess process{{"/usr/bin/python3", std::string(INFINI_SOURCE_DIR) + "/tests/fakes/fake_openai.py"}};
  std::string port = process.WaitForLine("PORT ", 20000);
  std::string Url() const { return "http://127.0.0.1:" + port; }
};

std::vector<int16_t> Speak(const std::string& text, int rate) {
  infini::SynthesisOptions so;
  so.voice = "rms";
  so.sample_rate = rate;
  auto pcm = infini::SynthesizeAll(*Providers::Get().tts, text, so);
  REQUIRE(pcm.ok());
  return std::move(pcm).value();
}

// Captures every log line while alive (the API key must never be in one).
struct LogCapture {
  std::mutex mu;
  std::string text;
  LogCapture() {
    infini::SetLogSink([this](infini::LogLevel, std::string_view m) {
      std::lock_guard lock(mu);
      text.append(m).push_back('\n');
    });
  }
  ~LogCapture() { infini::SetLogSink(nullptr); }
  std::string Text() {
    std::lock_guard lock(mu);
    return text;
  }
};

}  // namespace

TEST_CASE("a served Twilio call is metered per provider, priced, stored as usage events and shown by the API") {
  FakeOpenAiServer openai;
  REQUIRE_MESSAGE(!openai.port.empty(), "tests/fakes/fake_openai.py did not start");
  constexpr const char* kKey = "sk-fake-metering-5b1e0c77";  // must never reach a log line
  ::setenv("INFINI_TEST_OPENAI_KEY", kKey, 1);
  LogCapture logs;

  auto o = BaseOptions();
  o.pace_output = false;
  o.synthesizer_instance = nullptr;  // the agent speaks through the chain: fake OpenAI speech, then flite
  o.synthesizer = json::array({{{"name", "openai"}, {"base_url", openai.Url()}, {"api_key_env", "INFINI_TEST_OPENAI_KEY"}},
                               "flite"});
  // The caller's turn is understood by the fake's chat completions first (tokens metered), rules after.
  o.language_model = json::array({{{"name", "openai"}, {"base_url", openai.Url()}, {"api_key_env", "INFINI_TEST_OPENAI_KEY"}},
                                  "rules"});
  o.prices = {{"twilio/call_seconds", {{"usd_per_unit", 0.0002}, {"source", "test contract"}}}};
  std::vector<std::string> call_log;
  std::mutex log_mu;
  o.on_call_log = [&](const std::string& line) {
    std::lock_guard l(log_mu);
    call_log.push_back(line);
  };
  auto created = infini::Server::Create(o);
  REQUIRE_MESSAGE(created.ok(), created.status().ToString());
  auto server = std::move(created).value();
  auto token = infini::CreateApiUser(server->store(), "owner", "owner");
  REQUIRE(token.ok());
  server->Mount("/api/v1", infini::MakeApiHandler(server->store(), {.business_id = "hvac"}));
  REQUIRE(server->Start().ok());
  const std::string base = "http://127.0.0.1:" + std::to_string(server->port());

  const std::map<std::string, std::string> form = {{"CallSid", "CA9001"}, {"From", "+15125557788"}, {"To", "+15125550100"}};
  REQUIRE(Http("POST", base + "/twilio/voice",
               {{"X-Twilio-Signature", infini::TwilioSignature(base + "/twilio/voice", form, "test-token-123")}},
               FormEncode(form)).status == 200);
  Client c(server->port(), "/twilio/stream");
  using M = infini::MediaStreamMessage;
  M start;
  start.event = M::Event::kStart;
  start.stream_sid = "MZ9001";
  start.call_sid = "CA9001";
  start.custom_parameters = {{"caller", "+15125557788"}, {"callSid", "CA9001"}, {"to", "+15125550100"}};
  REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(start)).ok());
  auto played = [&](const json& mark) {
    M p;
    p.event = M::Event::kMark;
    p.stream_sid = "MZ9001";
    p.mark_name = mark["mark"]["name"];
    REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(p)).ok());
  };

  // The greeting, then one caller turn and the agent's answer, then the caller hangs up.
  auto greeting = c.Next("mark", 30s);
  REQUIRE(greeting.has_value());
  played(*greeting);
  auto pcm = Speak("I would like to leave a message for the owner please.", 8000);
  pcm.resize(pcm.size() + 8000, 0);  // a second of silence ends the turn
  for (size_t i = 0; i + 160 <= pcm.size(); i += 160) {
    M m;
    m.event = M::Event::kMedia;
    m.stream_sid = "MZ9001";
    m.payload = infini::Base64Encode(infini::g711::EncodeUlaw(std::span<const int16_t>(&pcm[i], 160)));
    REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(m)).ok());
  }
  auto answer = c.Next("mark", 30s);
  REQUIRE(answer.has_value());
  M stop;
  stop.event = M::Event::kStop;
  stop.stream_sid = "MZ9001";
  stop.call_sid = "CA9001";
  REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(stop)).ok());
  CHECK(c.WaitClosed(20s));

  auto calls = server->store().ListCalls({});
  REQUIRE(calls->size() == 1);
  const int64_t row = calls->front().id;
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->ended_utc > 0; }));

  // One priced usage event per provider and kind the call used.
  auto usage = server->store().ListUsage(row);
  REQUIRE(usage.ok());
  std::map<std::string, infini::UsageRecord> by_kind;
  for (const auto& u : *usage) {
    MESSAGE(u.kind << ": " << u.quantity << " -> " << u.cost_micros << " micro-$");
    CHECK(u.business_id == "hvac");
    by_kind[u.kind] = u;
  }
  REQUIRE(by_kind.count("twilio/call_seconds"));
  CHECK(by_kind["twilio/call_seconds"].quantity > 0.5);
  CHECK(by_kind["twilio/call_seconds"].cost_micros ==
        std::llround(by_kind["twilio/call_seconds"].quantity * 0.0002 * 1e6));  // the configured price
  REQUIRE(by_kind.count("openai/tts_chars"));                                   // greeting + answer
  CHECK(by_kind["openai/tts_chars"].quantity > 40);
  CHECK(by_kind["openai/tts_chars"].cost_micros > 0);
  REQUIRE(by_kind.count("pocketsphinx/asr_seconds"));  // the recognizer that heard the caller, at $0
  CHECK(by_kind["pocketsphinx/asr_seconds"].quantity > 2.0);
  CHECK(by_kind["pocketsphinx/asr_seconds"].cost_micros == 0);
  CHECK_FALSE(by_kind.count("flite/tts_chars"));  // the primary spoke everything
  REQUIRE(by_kind.count("openai/llm_prompt_tokens"));  // the server's language model, from its `usage`
  CHECK(by_kind["openai/llm_prompt_tokens"].quantity > 100);
  CHECK(by_kind["openai/llm_prompt_tokens"].cost_micros > 0);
  CHECK(by_kind.count("openai/llm_completion_tokens"));
  int64_t total = 0;
  for (const auto& u : *usage) total += u.cost_micros;
  CHECK(total > 0);

  // The call's summary line carries the estimate; the API's call detail and analytics report it.
  {
    std::lock_guard l(log_mu);
    bool priced = false;
    for (const auto& line : call_log)
      if (line.find("ended") != std::string::npos)
        priced = line.find(fmt::format("est. cost ${:.4f}", total / 1e6)) != std::string::npos;
    CHECK(priced);
  }
  auto detail = Http("GET", base + "/api/v1/calls/" + std::to_string(row), {{"authorization", "Bearer " + *token}});
  REQUIRE(detail.status == 200);
  auto dj = json::parse(detail.body);
  CHECK(dj["cost_micros"] == total);
  std::set<std::string> kinds;
  for (const auto& u : dj["usage"]) kinds.insert(u["kind"].get<std::string>());
  CHECK(kinds.count("openai/tts_chars"));
  CHECK(kinds.count("twilio/call_seconds"));
  auto analytics = Http("GET", base + "/api/v1/analytics", {{"authorization", "Bearer " + *token}});
  REQUIRE(analytics.status == 200);
  auto aj = json::parse(analytics.body);
  MESSAGE("analytics cost: " << aj["cost"].dump());
  CHECK(aj["cost"]["total_micros"] == total);
  CHECK(aj["cost"]["per_call_micros"].get<int64_t>() > 0);

  server->Stop();
  CHECK(logs.Text().find(kKey) == std::string::npos);
  ::unsetenv("INFINI_TEST_OPENAI_KEY");
}

TEST_CASE("a served call's confirmation SMS: Twilio (fake) failing -> kept queued in the outbox, the booking stands") {
  VoiceFake twilio("fake_twilio.py", {"--account-sid", "AC00000000000000000000000000000001", "--auth-token", "tok-4d1f"});
  ::setenv("INFINI_TEST_TWILIO_TOKEN", "tok-4d1f", 1);
  twilio.Post("/_fake/faults", R"({"faults": ["500", "500", "500"]})");  // every try of the one SMS
  auto o = BaseOptions();
  auto now = infini::LocalTimeToUtc("2026-12-08T10:15:00", "America/Chicago");
  REQUIRE(now.ok());
  o.now_utc = *now;
  o.messenger = json::array({{{"name", "twilio"}, {"base_url", twilio.http_base()},
                              {"account_sid", "AC00000000000000000000000000000001"},
                              {"auth_token_env", "INFINI_TEST_TWILIO_TOKEN"}, {"from", "+15125550100"},
                              {"retry_base_ms", 20}, {"timeout_ms", 2000}},
                             "outbox"});
  auto server = StartServer(o);
  Client c(server->port(), "/voice");
  c.Send({{"event", "start"}, {"from", "+15125557788"}, {"to", "+15125550100"}, {"format", "pcm16"},
          {"sample_rate", 16000}, {"pacing", "none"}});
  auto started = c.Next("started");
  REQUIRE(started.has_value());
  const int64_t row = std::stoll((*started)["call_id"].get<std::string>());
  const std::map<std::string, std::vector<std::string>> answers = {
      {"name", {"John Smith"}},
      {"phone", {"five one two, five five five, seven seven eight eight"}},
      {"address", {"1200 Oak Street"}},
      {"service", {"AC repair"}},
      {"time", {"tomorrow at nine a m"}},
      {"confirm", {"Yes, that's right."}},
      {"anything_else", {"No, that's all. Thank you, bye."}}};
  infini::SimulatedCaller caller(
      "Hi, my air conditioner stopped working. Can someone come out tomorrow at nine in the morning?", answers);
  for (int turn = 0; turn < 12; ++turn) {
    auto mark = c.Next("mark", 30s);
    if (!mark) break;
    c.EchoMark(*mark);
    std::vector<std::string> heard;
    for (const auto& j : c.All())
      if (j.value("event", "") == "transcript" && j.value("role", "") == "agent") heard = {j["text"].get<std::string>()};
    auto reply = caller.Reply(heard);
    if (!reply) break;
    auto pcm = Speak(*reply, 16000);
    pcm.resize(pcm.size() + 16000, 0);
    for (size_t i = 0; i + 320 <= pcm.size(); i += 320)
      REQUIRE(c.ws().SendBinary(std::string_view(reinterpret_cast<const char*>(&pcm[i]), 640)).ok());
    if (reply->find("bye") != std::string::npos) break;
  }
  auto end = c.Next("end", 30s);
  REQUIRE(end.has_value());
  CHECK((*end)["outcome"]["outcome"] == "booked");  // a failed SMS never fails the booking
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->ended_utc > 0; }));
  // Twilio was tried (and retried), then the text was kept for a person / a retry job.
  CHECK(twilio.Get("/_fake/requests")["requests"].size() == 3);
  auto queued = server->store().ListOutbox("queued");
  REQUIRE(queued.ok());
  REQUIRE(queued->size() == 1);
  CHECK(queued->front().call_id == row);
  CHECK(queued->front().to_phone == "+15125557788");
  CHECK(queued->front().error.find("HTTP 500") != std::string::npos);
  auto usage = server->store().ListUsage(row);  // (kept: a range-for over *temporary would dangle)
  REQUIRE(usage.ok());
  for (const auto& u : *usage) CHECK(u.kind != "twilio/sms_segments");  // not billed
  ::unsetenv("INFINI_TEST_TWILIO_TOKEN");
}
