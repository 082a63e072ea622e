#include "infini/voice_simulation.h"

#include <fmt/format.h>

#include "infini/simulation.h"
#include "telephony/receptionist_phrases.h"

namespace infini {
namespace {

std::vector<AudioFrame> Frames(const std::vector<int16_t>& pcm, int rate) {
  std::vector<AudioFrame> out;
  const size_t n = static_cast<size_t>(AudioFrame::SamplesPerFrame(rate));
  for (size_t i = 0; i < pcm.size(); i += n) {
    AudioFrame f;
    f.sample_rate = rate;
    f.samples.assign(pcm.begin() + static_cast<long>(i), pcm.begin() + static_cast<long>(std::min(pcm.size(), i + n)));
    f.samples.resize(n, 0);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

Result<VoiceScenarioResult> RunVoiceScenario(const std::string& scenario_path, const std::string& businesses_dir,
                                             const VoiceProviders& providers, const VoiceScenarioOptions& options) {
  if (!providers.agent_recognizer || !providers.caller_recognizer || !providers.synthesizer) {
    return Status::InvalidArgument("voice scenario: recognizers and synthesizer are required");
  }
  auto loaded = LoadScenario(scenario_path, businesses_dir);
  if (!loaded.ok()) return loaded.status();
  const Scenario& sc = loaded.value();
  const BusinessConfig& business = sc.business;
  auto calendar = NewMemoryCalendar();
  auto outbox = NewOutboxMessenger();
  ConversationOptions co;
  INFINI_RETURN_IF_ERROR(PrepareCall(sc, *calendar, co));
  Conversation conversation(business, *calendar, outbox.get(), co);

  const int rate = options.call.sample_rate;
  std::vector<AudioFrame> agent_audio;  // what the caller hears, per agent turn
  auto call = VoiceCall::Create(business, conversation, *providers.agent_recognizer, *providers.synthesizer,
                                options.call, [&](AudioFrame f) { agent_audio.push_back(std::move(f)); });
  if (!call.ok()) return call.status();

  RecognizerOptions ear_options;
  ear_options.sample_rate = rate;
  ear_options.partials = false;
  ear_options.hints.phrases = telephony::ReceptionistPhrases();
  auto ear = providers.caller_recognizer->Start(ear_options, nullptr);
  if (!ear.ok()) return ear.status();
  SynthesisOptions mouth;
  mouth.voice = options.caller_voice;
  mouth.sample_rate = rate;

  auto line = [&](const std::string& s) {
    if (options.on_line) options.on_line(s);
  };
  VoiceScenarioResult result;
  result.name = sc.name;
  result.end_silence_ms = options.call.turn.end_silence_ms;
  auto person = SimulatedCaller::ForScenario(sc);

  INFINI_RETURN_IF_ERROR((*call)->Start());
  size_t turns_reported = 0;
  for (int turn = 0; turn < options.max_turns && !(*call)->ended(); ++turn) {
    // The caller listens: its own recognizer turns the agent's audio into words.
    std::string heard;
    if (!agent_audio.empty()) {
      for (const auto& f : agent_audio) (void)(*ear)->Push(f);
      auto t = (*ear)->EndTurn();
      if (t.ok()) heard = t->text;
      agent_audio.clear();
    }
    if (SimulatedCaller::WhatWasAsked({heard}).empty()) ++result.caller_mishearings;
    line(fmt::format("  caller heard: \"{}\"", heard));
    auto reply = person.Reply({heard});
    if (!reply) {
      line("caller: (hangs up)");
      INFINI_RETURN_IF_ERROR((*call)->Hangup());
      break;
    }
    line(fmt::format("caller: {}", *reply));
    auto speech = SynthesizeAll(*providers.synthesizer, *reply, mouth);
    if (!speech.ok()) return speech.status();
    // Speech, then silence until the agent answers (the turn detector needs the pause).
    for (const auto& f : Frames(speech.value(), rate)) INFINI_RETURN_IF_ERROR((*call)->PushFrame(f));
    const AudioFrame silence = AudioFrame::Silence(rate);
    for (int ms = 0; ms < 4000 && agent_audio.empty() && !(*call)->ended(); ms += kFrameMs) {
      INFINI_RETURN_IF_ERROR((*call)->PushFrame(silence));
    }
    const auto& timings = (*call)->turns();
    for (; turns_reported < timings.size(); ++turns_reported) {
      const TurnTimings& t = timings[turns_reported];
      line(fmt::format("  agent heard: \"{}\"", t.caller_text));
      line(fmt::format("agent: {}", t.agent_text));
      line(fmt::format("  latency {:.0f} ms = asr final {:.0f} + decision {:.1f} + tts first audio {:.0f} (+ {} ms endpointing silence)",
                       t.latency_ms(), t.asr_final_ms - t.speech_end_ms, t.decision_ms - t.asr_final_ms,
                       t.first_frame_out_ms - t.decision_ms, result.end_silence_ms));
    }
  }
  if (!(*call)->ended()) (void)(*call)->Hangup();
  result.outcome = conversation.outcome();
  result.turns = (*call)->turns();

  result.expects_booking = ExpectsBooking(sc);
  result.failures = CheckExpectations(sc, result.outcome);
  result.passed = result.failures.empty();
  return result;
}

}  // namespace infini
