// What a live `infini serve` call gets besides the conversation, on the real server (127.0.0.1,
// real libwebsockets, real SQLite, real pocketsphinx/flite): the owner's summary and the
// missed-call text-back after each call (the outbox, and a real SMTP server for e-mail),
// transfers that are not answered (signed <Dial action> POST), and configs swapped in while
// the server runs.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "child_process.h"
#include "infini/business.h"
#include "infini/base64.h"
#include "infini/call_control.h"
#include "infini/g711.h"
#include "infini/simulation.h"
#include "infini/synthesizer.h"
#include "infini/twilio.h"
#include "server_harness.h"

using namespace test;
namespace fs = std::filesystem;

namespace {


std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json HvacJson() { return json::parse(ReadFile(kExamples + "/businesses/hvac.json")); }

infini::BusinessConfig Parse(const json& j) {
  auto b = infini::ParseBusinessConfig(j.dump(), "test-hvac");
  REQUIRE_MESSAGE(b.ok(), b.status().ToString());
  return std::move(b).value();
}

// A real SMTP server (tests/providers/smtp_sink.py, python3-aiosmtpd) writing what it receives.
struct SmtpSink {
  fs::path folder;
  std::unique_ptr<ChildProcess> process;
  std::string port;
  SmtpSink() {
    folder = fs::path(INFINI_TEST_TMP) / ("serve-smtp-" + std::to_string(::getpid()) + "-" +
                                          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(folder);
    process = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/python3", INFINI_SOURCE_DIR "/tests/providers/smtp_sink.py", folder.string()});
    port = process->WaitForLine("PORT ", 10000);
    REQUIRE_MESSAGE(!port.empty(), "the SMTP sink did not start (python3-aiosmtpd, scripts/install-deps)");
  }
  ~SmtpSink() {
    process.reset();
    std::error_code ec;
    fs::remove_all(folder, ec);
  }
  // The n-th delivered message's raw text; "" when none arrived within `timeout`.
  std::string Message(int n, std::chrono::milliseconds timeout = 10s) {
    fs::path meta = folder / (std::to_string(n) + ".json");
    Eventually([&] { return fs::exists(meta); }, timeout);
    return fs::exists(meta) ? ReadFile(folder / (std::to_string(n) + ".eml")) : "";
  }
};


std::vector<infini::SmsRecord> OutboxOf(infini::Store& store, int64_t row) {
  std::vector<infini::SmsRecord> out;
  auto all = store.ListOutbox();
  REQUIRE(all.ok());
  for (const auto& m : all.value())
    if (m.call_id == row) out.push_back(m);
  return out;
}

const infini::SmsRecord* To(const std::vector<infini::SmsRecord>& list, const std::string& phone) {
  for (const auto& m : list)
    if (m.to_phone == phone) return &m;
  return nullptr;
}

// A native call that hears the greeting and hangs up: a missed call. Returns its row.
int64_t NativeMissedCall(infini::Server& server, const std::string& from) {
  Client c(server.port(), "/voice");
  c.Send({{"event", "start"}, {"from", from}, {"pacing", "none"}});
  auto started = c.Next("started");
  REQUIRE(started.has_value());
  const int64_t row = std::stoll((*started)["call_id"].get<std::string>());
  REQUIRE(c.Next("mark", 30s).has_value());  // the greeting was said
  c.Send({{"event", "hangup"}});
  auto end = c.Next("end", 20s);
  REQUIRE(end.has_value());
  CHECK((*end)["outcome"]["outcome"] == "abandoned");
  CHECK(c.WaitClosed(10s));
  return row;
}

constexpr const char* kOwner = "+15125550999";
constexpr const char* kCaller = "+15125557788";

}  // namespace

TEST_CASE("serve: a missed native call sends the owner's SMS summary and the caller's text-back (outbox rows)") {
  json j = HvacJson();
  j["notifications"] = {{"owner_phone", kOwner}, {"channels", {"sms"}}, {"text_back", true},
                        {"dashboard_url", "https://dash.example.com"}};
  auto o = BaseOptions();
  o.business_files.clear();
  o.businesses = {Parse(j)};
  o.pace_output = false;
  auto server = StartServer(o);
  const int64_t row = NativeMissedCall(*server, kCaller);
  std::vector<infini::SmsRecord> sms;
  REQUIRE(Eventually([&] { return (sms = OutboxOf(server->store(), row)).size() >= 2; }));
  const auto* owner = To(sms, kOwner);
  const auto* back = To(sms, kCaller);
  REQUIRE(owner != nullptr);
  REQUIRE(back != nullptr);
  INFO(owner->body);
  CHECK(Has(owner->body, "Missed call"));
  CHECK(Has(owner->body, "512-555-7788"));
  CHECK(Has(owner->body, "https://dash.example.com/calls/" + std::to_string(row)));
  CHECK(Has(owner->body, "We texted them back."));
  CHECK(Has(back->body, "Sorry we missed you at Polar Bear"));
  CHECK(sms.size() == 2);  // nothing else: no booking, no confirmation
}

TEST_CASE("serve: text-back off -> only the owner's summary; a business without notifications sends nothing") {
  json with = HvacJson();
  with["id"] = "hvac-notify";
  with["phone"] = "+15125550101";
  with["notifications"] = {{"owner_phone", kOwner}};  // sms channel by default, text_back off
  json without = HvacJson();  // the template has no notifications
  auto o = BaseOptions();
  o.business_files.clear();
  o.businesses = {Parse(without), Parse(with)};
  o.pace_output = false;
  auto server = StartServer(o);

  int64_t row = 0;
  {
    Client c(server->port(), "/voice");
    c.Send({{"event", "start"}, {"from", kCaller}, {"business", "hvac-notify"}, {"pacing", "none"}});
    auto started = c.Next("started");
    REQUIRE(started.has_value());
    row = std::stoll((*started)["call_id"].get<std::string>());
    REQUIRE(c.Next("mark", 30s).has_value());
    c.Send({{"event", "hangup"}});
    REQUIRE(c.Next("end", 20s).has_value());
  }
  std::vector<infini::SmsRecord> sms;
  REQUIRE(Eventually([&] { return !(sms = OutboxOf(server->store(), row)).empty(); }));
  REQUIRE(To(sms, kOwner) != nullptr);
  CHECK(To(sms, kCaller) == nullptr);

  const int64_t quiet = NativeMissedCall(*server, kCaller);  // the first business: no notifications
  REQUIRE(Eventually([&] { return server->store().GetCall(quiet)->ended_utc > 0; }));
  server->Stop();  // flushes the notifiers: anything queued would now be in the outbox
  CHECK(OutboxOf(server->store(), quiet).empty());
  CHECK(OutboxOf(server->store(), row).size() == 1);
}

TEST_CASE("serve: a missed Twilio Media Streams call e-mails the owner over SMTP (real SMTP server) and texts back") {
  SmtpSink sink;
  json j = HvacJson();
  j["notifications"] = {{"owner_phone", kOwner},
                        {"owner_email", "owner@polarbear.test"},
                        {"channels", {"sms", "email"}},
                        {"text_back", {{"enabled", true}, {"text", "{business} here - sorry we missed you!"}}},
                        {"email",
                         {{"name", "smtp"}, {"url", "smtp://127.0.0.1:" + sink.port},
                          {"from", "Desk <desk@polarbear.test>"}, {"tls", "none"}, {"timeout_ms", 5000}}}};
  auto o = BaseOptions();
  o.business_files.clear();
  o.businesses = {Parse(j)};
  o.pace_output = false;
  auto server = StartServer(o);
  const std::string base = Base(*server);
  const std::map<std::string, std::string> form = {{"CallSid", "CA4242"}, {"From", kCaller}, {"To", "+15125550100"}};
  REQUIRE(Http("POST", base + "/twilio/voice",
               {{"X-Twilio-Signature", infini::TwilioSignature(base + "/twilio/voice", form, "test-token-123")}},
               FormEncode(form)).status == 200);
  Client c(server->port(), "/twilio/stream");
  using M = infini::MediaStreamMessage;
  M start;
  start.event = M::Event::kStart;
  start.stream_sid = "MZ4242";
  start.call_sid = "CA4242";
  start.custom_parameters = {{"caller", kCaller}, {"callSid", "CA4242"}, {"to", "+15125550100"}};
  REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(start)).ok());
  REQUIRE(c.Next("mark", 30s).has_value());  // greeting played
  M stop;
  stop.event = M::Event::kStop;
  stop.stream_sid = "MZ4242";
  stop.call_sid = "CA4242";
  REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(stop)).ok());
  CHECK(c.WaitClosed(10s));

  auto calls = server->store().ListCalls({});
  REQUIRE(calls->size() == 1);
  const int64_t row = calls->front().id;
  const std::string eml = sink.Message(1);
  REQUIRE_MESSAGE(!eml.empty(), "no owner e-mail reached the SMTP server");
  INFO(eml);
  CHECK(Has(eml, "To: owner@polarbear.test"));
  CHECK(Has(eml, "Subject: Polar Bear Heating and Cooling: Missed call"));
  CHECK(Has(eml, "X-Infini-Call-Id: " + std::to_string(row)));
  CHECK(Has(eml, "Outcome: abandoned"));
  CHECK(Has(eml, "Text-back: sent to +15125557788"));
  std::vector<infini::SmsRecord> sms;
  REQUIRE(Eventually([&] { return (sms = OutboxOf(server->store(), row)).size() >= 2; }));
  REQUIRE(To(sms, kCaller) != nullptr);
  CHECK(To(sms, kCaller)->body == "Polar Bear Heating and Cooling here - sorry we missed you!");
  REQUIRE(To(sms, kOwner) != nullptr);
  CHECK(Has(To(sms, kOwner)->body, "Missed call"));
}

namespace {

// Stands in for the Twilio REST client: records each Dial (target and the result URL asked for).
class DialRecorder final : public infini::CallControl {
 public:
  infini::Status Transfer(const std::string& sid, const std::string& target) override {
    return Dial(sid, target, {});
  }
  infini::Status Dial(const std::string& sid, const std::string& target, const DialOptions& o) override {
    std::lock_guard<std::mutex> l(mu);
    dials.push_back({sid, target, o.action_url, o.timeout_seconds});
    return infini::Status::OK();
  }
  infini::Status Hangup(const std::string& sid) override {
    std::lock_guard<std::mutex> l(mu);
    hangups.push_back(sid);
    return infini::Status::OK();
  }
  std::string name() const override { return "dial-recorder"; }
  struct Call {
    std::string sid, target, action_url;
    int timeout = 0;
  };
  std::vector<Call> Dials() {
    std::lock_guard<std::mutex> l(mu);
    return dials;
  }
  std::mutex mu;
  std::vector<Call> dials;
  std::vector<std::string> hangups;
};

// One Twilio Media Streams connection for call `sid`.
struct TwilioStream {
  Client ws;
  std::string sid, stream;
  int64_t seq = 1, chunk = 0;
  TwilioStream(int port, std::string call_sid, std::string stream_sid, std::map<std::string, std::string> params)
      : ws(port, "/twilio/stream"), sid(std::move(call_sid)), stream(std::move(stream_sid)) {
    using M = infini::MediaStreamMessage;
    M start;
    start.event = M::Event::kStart;
    start.sequence_number = seq++;
    start.stream_sid = stream;
    start.call_sid = sid;
    start.custom_parameters = std::move(params);
    REQUIRE(ws.ws().SendText(infini::FormatMediaStreamMessage(start)).ok());
  }
  void Played(const json& mark) {
    using M = infini::MediaStreamMessage;
    M played;
    played.event = M::Event::kMark;
    played.stream_sid = stream;
    played.mark_name = mark["mark"]["name"];
    (void)ws.ws().SendText(infini::FormatMediaStreamMessage(played));  // may race the server's close
  }
  void Say(const std::string& text) {  // flite at 8 kHz, as mu-law media, then a second of silence
    infini::SynthesisOptions so;
    so.voice = "rms";
    so.sample_rate = 8000;
    auto pcm = infini::SynthesizeAll(*Providers::Get().tts, text, so);
    REQUIRE(pcm.ok());
    pcm->resize(pcm->size() + 8000, 0);
    using M = infini::MediaStreamMessage;
    for (size_t i = 0; i + 160 <= pcm->size(); i += 160) {
      M m;
      m.event = M::Event::kMedia;
      m.stream_sid = stream;
      m.sequence_number = seq++;
      m.track = "inbound";
      m.chunk = ++chunk;
      m.timestamp_ms = chunk * 20;
      m.payload = infini::Base64Encode(infini::g711::EncodeUlaw(std::span<const int16_t>(&(*pcm)[i], 160)));
      REQUIRE(ws.ws().SendText(infini::FormatMediaStreamMessage(m)).ok());
    }
  }
  void Stop() {
    using M = infini::MediaStreamMessage;
    M stop;
    stop.event = M::Event::kStop;
    stop.stream_sid = stream;
    stop.call_sid = sid;
    REQUIRE(ws.ws().SendText(infini::FormatMediaStreamMessage(stop)).ok());
  }
};

std::vector<std::string> AgentLines(infini::Store& store, int64_t row) {
  std::vector<std::string> out;
  auto turns = store.ListTurns(row);  // kept: a range-for over a temporary's value() dangles
  REQUIRE(turns.ok());
  for (const auto& t : turns.value())
    if (t.speaker == "agent") out.push_back(t.text);
  return out;
}

bool AnyHas(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines)
    if (Has(l, needle)) return true;
  return false;
}

}  // namespace

TEST_CASE("twilio transfer not answered: <Dial action> -> signed POST /twilio/dial-status resumes the call on a new "
          "stream; after hours an emergency dials the on-call number; the caller hears it and a callback is left") {
  json j = HvacJson();
  j["notifications"] = {{"owner_phone", kOwner}};
  auto o = BaseOptions();
  o.business_files.clear();
  o.businesses = {Parse(j)};
  auto night = infini::LocalTimeToUtc("2026-12-08T21:30:00", "America/Chicago");  // Tuesday, closed at 18:00
  REQUIRE(night.ok());
  o.now_utc = night.value();
  o.pace_output = false;
  o.transfer_ring_seconds = 25;
  auto control = std::make_shared<DialRecorder>();
  o.call_control = control;
  auto server = StartServer(o);
  const std::string base = Base(*server);
  const std::string sid = "CA9001";
  const std::map<std::string, std::string> form = {{"CallSid", sid}, {"From", kCaller}, {"To", "+15125550100"}};
  REQUIRE(Http("POST", base + "/twilio/voice",
               {{"X-Twilio-Signature", infini::TwilioSignature(base + "/twilio/voice", form, "test-token-123")}},
               FormEncode(form)).status == 200);
  const int64_t row = server->store().ListCalls({})->front().id;

  {
    TwilioStream call(server->port(), sid, "MZ9001", {{"caller", kCaller}, {"callSid", sid}, {"to", "+15125550100"}});
    // Narrowband audio is hard for the embedded recognizer: say it again if it was misheard.
    for (int attempt = 0; attempt < 4; ++attempt) {
      auto mark = call.ws.Next("mark", 60s);
      if (!mark) break;  // the agent ended the stream: transferred
      call.Played(*mark);
      // The words that went with this mark may have been the transfer (then the dial follows).
      if (Eventually([&] { return !control->Dials().empty(); }, 3s)) break;
      MESSAGE("caller (attempt " << attempt + 1 << "): emergency");
      call.Say("This is an emergency. I smell gas in my house.");
    }
    Eventually([&] { return !control->Dials().empty(); }, 20s);
    const auto said = AgentLines(server->store(), row);
    REQUIRE_MESSAGE(!control->Dials().empty(), "the agent never transferred; it said: " << (said.empty() ? "" : said.back()));
    CHECK(call.ws.WaitClosed(20s));  // the stream ends for the <Dial>
  }
  auto dial = control->Dials().front();
  CHECK(dial.sid == sid);
  CHECK(dial.target == "+15125550911");  // on_call: an emergency after hours
  CHECK(dial.action_url == base + "/twilio/dial-status");
  CHECK(dial.timeout == 25);
  CHECK(server->store().GetCall(row)->ended_utc == 0);  // waiting for the dial's result
  CHECK(server->store().GetCall(row)->status == "transferring");

  // Twilio posts the result. Unsigned (or signed by someone else): refused, nothing changes.
  std::map<std::string, std::string> result = {{"CallSid", sid}, {"From", kCaller}, {"To", "+15125550100"},
                                               {"DialCallStatus", "no-answer"}, {"DialCallSid", "CA9002"}};
  CHECK(Http("POST", base + "/twilio/dial-status", {}, FormEncode(result)).status == 403);
  CHECK(Http("POST", base + "/twilio/dial-status",
             {{"X-Twilio-Signature", infini::TwilioSignature(base + "/twilio/dial-status", result, "wrong-token")}},
             FormEncode(result)).status == 403);
  auto twiml = Http("POST", base + "/twilio/dial-status",
                    {{"X-Twilio-Signature",
                      infini::TwilioSignature(base + "/twilio/dial-status", result, "test-token-123")}},
                    FormEncode(result));
  REQUIRE(twiml.status == 200);
  INFO(twiml.body);
  CHECK(Has(twiml.body, "<Connect><Stream url=\"ws://127.0.0.1:" + std::to_string(server->port()) + "/twilio/stream\">"));
  CHECK(Has(twiml.body, "name=\"resume\" value=\"transfer-failed\""));
  CHECK(Has(twiml.body, "value=\"" + sid + "\""));

  // Twilio runs that TwiML: a new stream for the same call. The agent says no one answered.
  {
    TwilioStream call(server->port(), sid, "MZ9003",
                      {{"caller", kCaller}, {"callSid", sid}, {"to", "+15125550100"}, {"resume", "transfer-failed"}});
    auto mark = call.ws.Next("mark", 30s);
    REQUIRE(mark.has_value());
    CHECK((*mark)["streamSid"] == "MZ9003");
    call.Played(*mark);
    REQUIRE(Eventually([&] { return AnyHas(AgentLines(server->store(), row), "no one was able to pick up"); }));
    CHECK(server->store().GetCall(row)->status == "in-progress");
    call.Stop();  // the caller hangs up before giving a name
    CHECK(call.ws.WaitClosed(20s));
  }
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->ended_utc > 0; }));
  auto rec = server->store().GetCall(row);
  CHECK(rec->outcome != "transferred");
  auto callbacks = server->store().ListCallbacks("hvac");
  REQUIRE(callbacks.ok());
  bool urgent = false;
  for (const auto& cb : callbacks.value())
    if (cb.call_id == row) urgent = cb.urgency == "emergency" || cb.urgency == "high";
  CHECK_MESSAGE(urgent, "a high-urgency callback task for call " << row);
  bool result_recorded = false;
  auto actions = server->store().ListActions(row);
  REQUIRE(actions.ok());
  for (const auto& a : actions.value())
    result_recorded = result_recorded || (a.kind == "transfer_result" && Has(a.detail_json, "no-answer"));
  CHECK(result_recorded);
  // The owner heard twice: the transfer, then how it ended.
  std::vector<infini::SmsRecord> sms;
  REQUIRE(Eventually([&] {
    sms.clear();
    for (const auto& m : OutboxOf(server->store(), row))
      if (m.to_phone == kOwner) sms.push_back(m);
    return sms.size() >= 2;
  }));
  CHECK(Has(sms[0].body, "Transferred to"));
  CHECK_FALSE(Has(sms[1].body, "Transferred to"));
  // A result nobody waits for (the call is over) is answered with a hang-up and logged.
  auto late = Http("POST", base + "/twilio/dial-status",
                   {{"X-Twilio-Signature", infini::TwilioSignature(base + "/twilio/dial-status", result, "test-token-123")}},
                   FormEncode(result));
  CHECK(late.status == 200);
  CHECK(Has(late.body, "<Hangup/>"));
}
