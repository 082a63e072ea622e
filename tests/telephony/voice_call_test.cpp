// The whole voice pipeline on real speech providers: flite speaks the caller's lines,
// pocketsphinx hears them, the dialogue engine books, flite answers, and the caller's own
// pocketsphinx transcribes the answer to choose what to say next.
#include <doctest/doctest.h>

#include "infini/call.h"
#include "infini/registry.h"
#include "infini/simulation.h"
#include "infini/voice_simulation.h"

namespace {

struct Speech {
  std::unique_ptr<infini::Recognizer> agent, caller;
  std::unique_ptr<infini::Synthesizer> voices;
  Speech() {
    const auto& r = infini::ProviderRegistry::Builtin();
    auto a = r.Make<infini::Recognizer>("pocketsphinx");
    auto c = r.Make<infini::Recognizer>("pocketsphinx");
    auto v = r.Make<infini::Synthesizer>("flite");
    REQUIRE(a.ok());
    REQUIRE(c.ok());
    REQUIRE(v.ok());
    agent = std::move(a.value());
    caller = std::move(c.value());
    voices = std::move(v.value());
  }
};

const std::string kExamples = std::string(INFINI_SOURCE_DIR) + "/examples";

}  // namespace

TEST_CASE("a spoken call books the appointment the caller asked for") {
  Speech speech;
  std::vector<std::string> lines;
  infini::VoiceScenarioOptions options;
  options.on_line = [&](const std::string& l) { lines.push_back(l); };
  auto r = infini::RunVoiceScenario(kExamples + "/scenarios/demo-hvac.json", kExamples + "/businesses",
                                    {speech.agent.get(), speech.caller.get(), speech.voices.get()}, options);
  REQUIRE(r.ok());
  for (const auto& l : lines) MESSAGE(l);
  CHECK(r->outcome.outcome == "booked");
  REQUIRE(r->outcome.appointment.has_value());
  CHECK(r->outcome.appointment->service == "ac_repair");
  CHECK(r->outcome.appointment->start == "2026-12-09T09:00");
  CHECK(r->outcome.appointment->phone == "+15125557788");
  CHECK_FALSE(r->outcome.sms.empty());
  REQUIRE(r->turns.size() >= 4);
  for (const auto& t : r->turns) {
    // Every turn was measured in order: end of speech <= ASR final <= decision <= first frame.
    CHECK(t.speech_end_ms <= t.asr_final_ms);
    CHECK(t.asr_final_ms <= t.decision_ms);
    CHECK(t.decision_ms <= t.first_frame_out_ms);
    CHECK_FALSE(t.agent_text.empty());
  }
}

TEST_CASE("bad input to a call is an error, not a crash") {
  Speech speech;
  auto business = infini::LoadBusinessConfig(kExamples + "/businesses/hvac.json");
  REQUIRE(business.ok());
  auto calendar = infini::NewMemoryCalendar();
  infini::Conversation conversation(business.value(), *calendar, nullptr, {});
  int frames_out = 0;
  auto call = infini::VoiceCall::Create(business.value(), conversation, *speech.agent, *speech.voices, {},
                                        [&](infini::AudioFrame) { ++frames_out; });
  REQUIRE(call.ok());
  REQUIRE((*call)->Start().ok());
  CHECK(frames_out > 10);  // the greeting was spoken
  infini::AudioFrame narrow = infini::AudioFrame::Silence(8000);
  auto s = (*call)->PushFrame(narrow);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("8000 Hz") != std::string::npos);
  // Silence and an empty frame keep the call alive and waiting.
  CHECK((*call)->PushFrame(infini::AudioFrame::Silence(16000)).ok());
  infini::AudioFrame empty;
  CHECK((*call)->PushFrame(empty).ok());
  CHECK_FALSE((*call)->ended());
  CHECK((*call)->Hangup().ok());
  CHECK((*call)->ended());
  CHECK(conversation.outcome().outcome == "abandoned");

  infini::VoiceCallOptions odd_rate;
  odd_rate.sample_rate = 11025;
  CHECK(infini::VoiceCall::Create(business.value(), conversation, *speech.agent, *speech.voices, odd_rate,
                                  [](infini::AudioFrame) {})
            .status()
            .IsInvalidArgument());
}
