// Transfers on the real server (127.0.0.1, real libwebsockets, SQLite, pocketsphinx/flite):
// - native /voice: the server asks the client to transfer ({"event":"transfer"}) and waits for
//   its transfer_result: answered -> the call ends as transferred; not answered -> the same
//   socket goes on (the caller is told, a callback task is left, the owner hears twice);
// - the simulated caller answers transfers as its scenario says;
// - a call waiting on a transfer result that never comes is closed after ring + grace, with
//   what was collected, over both transports.
// The transfers are asked for on the keypad (three unanswerable keys, then "2" for a person at
// the rescue question), so no speech recognition decides whether a case runs.
#include <fstream>

#include "infini/business.h"
#include "infini/call_control.h"
#include "infini/remote_call.h"
#include "infini/simulation.h"
#include "infini/twilio.h"
#include "server_harness.h"

using namespace test;
using Clock = std::chrono::steady_clock;

namespace {


constexpr const char* kOwner = "+15125550999";
constexpr const char* kCaller = "+15125557788";
constexpr const char* kPerson = "+15125550199";  // hvac.json transfer_to

infini::ServerOptions HvacDaytime() {
  auto o = BaseOptions();
  std::ifstream in(kExamples + "/businesses/hvac.json");
  json j = json::parse(in);
  j["notifications"] = {{"owner_phone", kOwner}};  // SMS summaries to the owner
  auto biz = infini::ParseBusinessConfig(j.dump(), "hvac.json");
  REQUIRE_MESSAGE(biz.ok(), biz.status().ToString());
  o.business_files.clear();
  o.businesses = {*biz};
  auto now = infini::LocalTimeToUtc("2026-12-08T10:15:00", "America/Chicago");  // open: a person can be reached
  REQUIRE(now.ok());
  o.now_utc = now.value();
  o.pace_output = false;
  return o;
}

std::vector<infini::ActionRecord> Actions(infini::Store& store, int64_t row, const std::string& kind) {
  std::vector<infini::ActionRecord> out;
  for (const auto& a : Val(store.ListActions(row)))
    if (a.kind == kind) out.push_back(a);
  return out;
}

std::vector<std::string> AgentLines(infini::Store& store, int64_t row) {
  std::vector<std::string> out;
  for (const auto& t : Val(store.ListTurns(row)))
    if (t.speaker == "agent") out.push_back(t.text);
  return out;
}

// A native caller who asks for a person on the keypad: keys no question accepts until the
// agent offers "a message, or a person", then 2. Returns the transfer message.
json NativeAskForPerson(Client& c, infini::Server& server, int64_t& row, bool client_transfers = true) {
  json start = {{"event", "start"}, {"from", kCaller}, {"pacing", "none"}};
  if (client_transfers) start["transfers"] = true;
  c.Send(start);
  auto started = c.Next("started");
  REQUIRE(started.has_value());
  row = std::stoll((*started)["call_id"].get<std::string>());
  for (int turn = 0; turn < 8; ++turn) {
    auto mark = c.Next("mark", 30s);
    REQUIRE(mark.has_value());
    c.EchoMark(*mark);
    const auto said = AgentLines(server.store(), row);
    REQUIRE(!said.empty());
    const bool rescue = Has(said.back(), "take a message, or connect");
    if (!rescue && Has(said.back(), "connect you")) break;  // "Let me connect you with someone who can help."
    for (char d : std::string(rescue ? "2" : "9#")) c.Send({{"event", "dtmf"}, {"digit", std::string(1, d)}});
  }
  auto transfer = c.Next("transfer", 30s);
  REQUIRE_MESSAGE(transfer.has_value(), "no transfer; the agent said: " << AgentLines(server.store(), row).back());
  return *transfer;
}

}  // namespace

TEST_CASE("native transfer answered: the client is asked to transfer, reports completed, the call ends transferred") {
  auto o = HvacDaytime();
  o.transfer_ring_seconds = 17;
  auto server = StartServer(o);
  Client c(server->port(), "/voice");
  int64_t row = 0;
  json transfer = NativeAskForPerson(c, *server, row);
  CHECK(transfer["to"] == kPerson);
  CHECK(transfer["timeout_seconds"] == 17);
  CHECK(server->store().GetCall(row)->status == "transferring");
  CHECK(server->store().GetCall(row)->ended_utc == 0);
  // A result the protocol does not know is a bad message: logged, ignored, the transfer still waits.
  const int64_t bad = server->stats().bad_messages;
  c.Send({{"event", "transfer_result"}, {"status", "maybe"}});
  REQUIRE(Eventually([&] { return server->stats().bad_messages == bad + 1; }, 5s));
  CHECK(server->store().GetCall(row)->ended_utc == 0);
  c.Send({{"event", "transfer_result"}, {"status", "completed"}});
  auto end = c.Next("end", 20s);
  REQUIRE(end.has_value());
  CHECK((*end)["outcome"]["outcome"] == "transferred");
  CHECK((*end)["outcome"]["transfer_to"] == kPerson);
  CHECK(c.WaitClosed(10s));
  CHECK(c.close_code() == 1000);
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->ended_utc > 0; }));
  CHECK(server->store().GetCall(row)->outcome == "transferred");
  auto transfers = Actions(server->store(), row, "transfer");
  REQUIRE(!transfers.empty());
  CHECK(Has(transfers.front().detail_json, "native client"));
  CHECK(Has(transfers.front().detail_json, "\"awaiting_result\":true"));
  auto results = Actions(server->store(), row, "transfer_result");
  REQUIRE(results.size() == 1);
  CHECK(Has(results[0].detail_json, "completed"));
}

TEST_CASE("native transfer not answered: the same socket goes on, the caller is told, a callback is left, the owner hears twice") {
  auto server = StartServer(HvacDaytime());
  Client c(server->port(), "/voice");
  int64_t row = 0;
  (void)NativeAskForPerson(c, *server, row);
  c.Send({{"event", "transfer_result"}, {"status", "busy"}});
  // The agent is back on the same call: it says no one picked up (before its next mark).
  auto mark = c.Next("mark", 30s);
  REQUIRE(mark.has_value());
  bool told = false;
  for (const auto& j : c.All())
    told = told || (j.value("event", "") == "transcript" && Has(j.value("text", ""), "no one was able to pick up"));
  CHECK(told);
  CHECK(server->store().GetCall(row)->status == "in-progress");
  CHECK(server->store().GetCall(row)->ended_utc == 0);
  c.Send({{"event", "hangup"}});
  auto end = c.Next("end", 20s);
  REQUIRE(end.has_value());
  CHECK((*end)["outcome"]["outcome"] != "transferred");
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->ended_utc > 0; }));
  bool urgent = false;
  for (const auto& cb : Val(server->store().ListCallbacks("hvac")))
    if (cb.call_id == row) urgent = cb.urgency == "high" || cb.urgency == "emergency";
  CHECK_MESSAGE(urgent, "a high-urgency callback task for call " << row);
  auto results = Actions(server->store(), row, "transfer_result");
  REQUIRE(results.size() == 1);
  CHECK(Has(results[0].detail_json, "busy"));
  std::vector<infini::SmsRecord> owner;
  REQUIRE(Eventually([&] {
    owner.clear();
    for (const auto& m : Val(server->store().ListOutbox()))
      if (m.call_id == row && m.to_phone == kOwner) owner.push_back(m);
    return owner.size() >= 2;
  }));
  CHECK(Has(owner[0].body, "Transferred to"));
  CHECK_FALSE(Has(owner[1].body, "Transferred to"));
}

TEST_CASE("native client without transfers: a transfer is recorded and the call ends, as before (no transfer message)") {
  auto server = StartServer(HvacDaytime());
  Client c(server->port(), "/voice");
  int64_t row = 0;
  c.Send({{"event", "start"}, {"from", kCaller}, {"pacing", "none"}});
  auto started = c.Next("started");
  REQUIRE(started.has_value());
  row = std::stoll((*started)["call_id"].get<std::string>());
  for (int turn = 0; turn < 8; ++turn) {
    auto mark = c.Next("mark", 30s);
    if (!mark) break;
    c.EchoMark(*mark);
    const auto said = AgentLines(server->store(), row);
    const bool rescue = !said.empty() && Has(said.back(), "take a message, or connect");
    for (char d : std::string(rescue ? "2" : "9#")) c.Send({{"event", "dtmf"}, {"digit", std::string(1, d)}});
    if (rescue) break;
  }
  auto end = c.Next("end", 30s);
  REQUIRE(end.has_value());
  CHECK((*end)["outcome"]["transfer_to"] == kPerson);
  for (const auto& j : c.All()) CHECK(j.value("event", "") != "transfer");
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->ended_utc > 0; }));
  CHECK(server->store().GetCall(row)->outcome == "transferred");
}

TEST_CASE("transfer wait is bounded (native): a client that never reports the result is closed after ring + grace") {
  auto o = HvacDaytime();
  o.transfer_ring_seconds = 1;
  o.transfer_grace_seconds = 1;
  o.start_timeout_ms = 500;  // the sweep that checks deadlines runs every 100 ms
  auto server = StartServer(o);
  Client c(server->port(), "/voice");
  int64_t row = 0;
  (void)NativeAskForPerson(c, *server, row);
  const auto asked = Clock::now();
  auto end = c.Next("end", 20s);  // the client says nothing more
  REQUIRE(end.has_value());
  const double waited = std::chrono::duration<double>(Clock::now() - asked).count();
  MESSAGE("closed " << waited << " s after the transfer was asked for");
  CHECK(waited >= 1.8);
  CHECK(waited < 6);
  CHECK((*end)["outcome"]["transfer_to"] == kPerson);
  CHECK(c.WaitClosed(10s));
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->ended_utc > 0; }));
  auto call = server->store().GetCall(row);
  CHECK(call->outcome == "transferred");
  auto results = Actions(server->store(), row, "transfer_result");
  REQUIRE(results.size() == 1);
  INFO(results[0].detail_json);
  CHECK(Has(results[0].detail_json, "\"dial_status\":\"timeout\""));
  CHECK(Has(results[0].detail_json, "ring 1 s + grace 1 s"));
  CHECK(AgentLines(server->store(), row).size() >= 4);  // what was said is kept
  // A result after the deadline changes nothing (the socket is closed; nothing waits for it).
}

namespace {
// Stands in for the Twilio REST client: records each Dial.
class DialRecorder final : public infini::CallControl {
 public:
  infini::Status Transfer(const std::string& sid, const std::string& target) override { return Dial(sid, target, {}); }
  infini::Status Dial(const std::string& sid, const std::string& target, const DialOptions&) override {
    std::lock_guard<std::mutex> l(mu);
    dials.push_back(sid + " -> " + target);
    return infini::Status::OK();
  }
  infini::Status Hangup(const std::string&) override { return infini::Status::OK(); }
  std::string name() const override { return "dial-recorder"; }
  size_t count() {
    std::lock_guard<std::mutex> l(mu);
    return dials.size();
  }
  std::mutex mu;
  std::vector<std::string> dials;
};
}  // namespace

TEST_CASE("transfer wait is bounded (Twilio): no dial-status within ring + grace closes the call; a late result is hung up") {
  auto o = HvacDaytime();
  o.transfer_ring_seconds = 1;
  o.transfer_grace_seconds = 1;
  o.start_timeout_ms = 500;
  auto control = std::make_shared<DialRecorder>();
  o.call_control = control;
  auto server = StartServer(o);
  const std::string base = Base(*server);
  const std::string sid = "CA6060";
  const std::map<std::string, std::string> form = {{"CallSid", sid}, {"From", kCaller}, {"To", "+15125550100"}};
  REQUIRE(Http("POST", base + "/twilio/voice",
               {{"X-Twilio-Signature", infini::TwilioSignature(base + "/twilio/voice", form, "test-token-123")}},
               FormEncode(form)).status == 200);
  const int64_t row = server->store().ListCalls({})->front().id;
  Client c(server->port(), "/twilio/stream");
  using M = infini::MediaStreamMessage;
  M start;
  start.event = M::Event::kStart;
  start.stream_sid = "MZ6060";
  start.call_sid = sid;
  start.custom_parameters = {{"caller", kCaller}, {"callSid", sid}, {"to", "+15125550100"}};
  REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(start)).ok());
  auto key = [&](char d) {
    M m;
    m.event = M::Event::kDtmf;
    m.stream_sid = "MZ6060";
    m.digit = d;
    (void)c.ws().SendText(infini::FormatMediaStreamMessage(m));
  };
  for (int turn = 0; turn < 8 && control->count() == 0; ++turn) {
    auto mark = c.Next("mark", 30s);
    if (!mark) break;  // the stream ended for the <Dial>
    M played;
    played.event = M::Event::kMark;
    played.stream_sid = "MZ6060";
    played.mark_name = (*mark)["mark"]["name"];
    (void)c.ws().SendText(infini::FormatMediaStreamMessage(played));
    const auto said = AgentLines(server->store(), row);
    if (!said.empty() && Has(said.back(), "take a message, or connect")) {
      key('2');
      break;
    }
    key('9');
    key('#');
  }
  REQUIRE(Eventually([&] { return control->count() == 1; }, 20s));
  const auto dialed = Clock::now();
  CHECK(c.WaitClosed(10s));  // the stream ends for the <Dial>
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->status == "transferring"; }, 5s));
  // Twilio never posts the dial's result.
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->ended_utc > 0; }, 15s));
  const double waited = std::chrono::duration<double>(Clock::now() - dialed).count();
  MESSAGE("closed " << waited << " s after the dial");
  CHECK(waited >= 1.8);
  auto call = server->store().GetCall(row);
  CHECK(call->outcome == "transferred");
  auto results = Actions(server->store(), row, "transfer_result");
  REQUIRE(results.size() == 1);
  CHECK(Has(results[0].detail_json, "\"dial_status\":\"timeout\""));
  // The result, late: nothing waits for it any more.
  const std::map<std::string, std::string> result = {{"CallSid", sid}, {"DialCallStatus", "completed"}};
  auto late = Http("POST", base + "/twilio/dial-status",
                   {{"X-Twilio-Signature", infini::TwilioSignature(base + "/twilio/dial-status", result, "test-token-123")}},
                   FormEncode(result));
  CHECK(late.status == 200);
  CHECK(Has(late.body, "<Hangup/>"));
  CHECK(Actions(server->store(), row, "transfer_result").size() == 1);
}

// ---------------------------------------------------------------- the simulated caller

namespace {
struct Speech {
  std::unique_ptr<infini::Recognizer> host, caller;
  Speech() {
    const auto& r = infini::ProviderRegistry::Builtin();
    auto a = r.Make<infini::Recognizer>("pocketsphinx");
    auto c = r.Make<infini::Recognizer>("pocketsphinx");
    REQUIRE(a.ok());
    REQUIRE(c.ok());
    host = std::move(a.value());
    caller = std::move(c.value());
  }
  infini::HostedScenarioOptions Options(std::vector<std::string>& lines) {
    infini::HostedScenarioOptions o;
    o.host_recognizer = host.get();
    o.host_synthesizer = Providers::Get().tts.get();
    o.caller = {caller.get(), Providers::Get().tts.get()};
    o.transport = infini::CallTransport::kNative;
    o.on_line = [&lines](const std::string& l) { lines.push_back(l); };
    return o;
  }
};
const std::string kData = std::string(INFINI_SOURCE_DIR) + "/tests/data";
}  // namespace

TEST_CASE("simulated caller over native: it answers the host's transfer as the scenario says (not answered -> callback)") {
  Speech speech;
  std::vector<std::string> lines;
  auto r = infini::RunHostedScenario(kData + "/scenarios/auto-person-transfer-no-answer.json", kData + "/businesses",
                                     speech.Options(lines));
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  for (const auto& l : lines) MESSAGE(l);
  for (const auto& f : r->failures) MESSAGE(f);
  CHECK(r->transfer_to == "+16175550199");
  CHECK(r->transfer_result == "no-answer");
  bool reported = false;
  for (const auto& l : lines) reported = reported || Has(l, "transfer to +16175550199");
  CHECK(reported);
  CHECK(r->outcome_known);
  CHECK(r->outcome.outcome == "callback");
  REQUIRE(r->outcome.callback.has_value());
  CHECK(r->outcome.callback->urgency == "high");
  bool told = false;
  for (const auto& s : r->agent_transcript) told = told || Has(s, "no one was able to pick up");
  CHECK(told);
  // The callback's name is what pocketsphinx heard: reported, not asserted.
  MESSAGE("callback name heard as: " << r->outcome.callback->name << std::string(r->passed ? " (scenario passed)" : ""));
}

TEST_CASE("simulated caller over native: a transfer it answers ends the call as transferred") {
  Speech speech;
  std::vector<std::string> lines;
  auto o = speech.Options(lines);
  o.transfer_result = "completed";
  auto r = infini::RunHostedScenario(kData + "/scenarios/auto-person-transfer-no-answer.json", kData + "/businesses", o);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  for (const auto& l : lines) MESSAGE(l);
  CHECK(r->transfer_result == "completed");
  CHECK(r->outcome_known);
  CHECK(r->outcome.outcome == "transferred");
  CHECK(r->outcome.transfer_to == std::optional<std::string>("+16175550199"));
}
