// A simulated caller phones a real in-process host (`infini serve`'s Server on 127.0.0.1):
// over the Twilio Media Streams protocol (signed webhook, TwiML, μ-law media, marks) and over
// the native wideband WebSocket. Both must book the appointment the scenario asks for.
#include <doctest/doctest.h>

#include "infini/registry.h"
#include "infini/remote_call.h"

namespace {

struct Speech {
  std::unique_ptr<infini::Recognizer> host, caller;
  std::unique_ptr<infini::Synthesizer> voices;
  Speech() {
    const auto& r = infini::ProviderRegistry::Builtin();
    auto a = r.Make<infini::Recognizer>("pocketsphinx");
    auto c = r.Make<infini::Recognizer>("pocketsphinx");
    auto v = r.Make<infini::Synthesizer>("flite");
    REQUIRE(a.ok());
    REQUIRE(c.ok());
    REQUIRE(v.ok());
    host = std::move(a.value());
    caller = std::move(c.value());
    voices = std::move(v.value());
  }
  infini::HostedScenarioOptions Options(infini::CallTransport t, std::vector<std::string>& lines) {
    infini::HostedScenarioOptions o;
    o.host_recognizer = host.get();
    o.host_synthesizer = voices.get();
    o.caller = {caller.get(), voices.get()};
    o.transport = t;
    o.on_line = [&lines](const std::string& l) { lines.push_back(l); };
    return o;
  }
};

const std::string kExamples = std::string(INFINI_SOURCE_DIR) + "/examples";

void CheckBooked(const infini::RemoteCallResult& r) {
  CHECK(r.outcome_known);
  CHECK(r.outcome.outcome == "booked");
  REQUIRE(r.outcome.appointment.has_value());
  CHECK(r.outcome.appointment->service == "ac_repair");
  CHECK(r.outcome.appointment->start == "2026-12-09T09:00");
  CHECK(r.outcome.appointment->phone == "+15125557788");
  CHECK(r.passed);
  CHECK(r.turns.size() >= 4);
  CHECK(r.frames_received > 100);  // the caller heard the agent's audio, not just text
  CHECK(r.marks_echoed >= 1);      // and told the host when each utterance had played
}

}  // namespace

TEST_CASE("a Twilio Media Streams call to the in-process host: webhook, stream, marks, outcome from the store") {
  // Narrowband μ-law both ways: the embedded recognizers (host and caller) often mishear at
  // 8 kHz, so whether this call books is reported, not asserted (the native call below books).
  Speech speech;
  std::vector<std::string> lines;
  auto r = infini::RunHostedScenario(kExamples + "/scenarios/demo-hvac.json", kExamples + "/businesses",
                                     speech.Options(infini::CallTransport::kTwilio, lines));
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  for (const auto& l : lines) MESSAGE(l);
  for (const auto& f : r->failures) MESSAGE(f);
  CHECK(r->call_id.rfind("CA", 0) == 0);
  CHECK(r->outcome_known);               // the host recorded the call under its CallSid
  CHECK_FALSE(r->outcome.said.empty());  // with the agent's turns
  CHECK(r->outcome.said.front().find("Polar Bear") != std::string::npos);
  CHECK(r->frames_received > 100);       // μ-law media came back and was decoded
  CHECK(r->marks_echoed >= 1);
  CHECK(r->frames_sent > 100);
  CHECK_FALSE(r->turns.empty());
  // Twilio carries no host timings: they come from the host's store, ordered stage by stage.
  REQUIRE_FALSE(r->host_turns.empty());
  for (const auto& t : r->host_turns) {
    CHECK(t.asr_final_ms >= t.speech_end_ms);
    CHECK(t.decision_ms >= t.asr_final_ms);
    if (t.first_frame_out_ms > 0) CHECK(t.first_frame_out_ms >= t.decision_ms);
  }
  MESSAGE("twilio call outcome: " << r->outcome.outcome);
}

TEST_CASE("a native wideband call to the in-process host books, with the host's timings per turn") {
  Speech speech;
  std::vector<std::string> lines;
  auto r = infini::RunHostedScenario(kExamples + "/scenarios/demo-hvac.json", kExamples + "/businesses",
                                     speech.Options(infini::CallTransport::kNative, lines));
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  for (const auto& l : lines) MESSAGE(l);
  for (const auto& f : r->failures) MESSAGE(f);
  CheckBooked(*r);
  CHECK_FALSE(r->call_id.empty());
  CHECK_FALSE(r->agent_transcript.empty());
  int timed = 0;
  for (const auto& t : r->turns) {
    if (!t.host) continue;
    ++timed;
    CHECK(t.host->speech_end_ms <= t.host->asr_final_ms);
    CHECK(t.host->asr_final_ms <= t.host->decision_ms);
    CHECK(t.reply_after_ms > 0);
  }
  CHECK(timed >= 3);
}
