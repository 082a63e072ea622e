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
#include "infini/call_control.h"
#include "infini/twilio.h"
#include "server_harness.h"

using namespace test;
namespace fs = std::filesystem;

namespace {

std::string Base(const infini::Server& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }

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

bool Has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

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
