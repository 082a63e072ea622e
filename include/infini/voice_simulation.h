// A simulated caller over audio: scenario lines are spoken with one flite voice, the
// agent's audio is transcribed by the caller's own recognizer, and the answer is chosen
// from those words alone (SimulatedCaller). Runs in-process against a VoiceCall.
//
//   auto r = infini::RunVoiceScenario("examples/scenarios/demo-hvac.json", "examples/businesses",
//                                     providers, {.on_line = [](auto& l) { puts(l.c_str()); }});
//
// Audio moves faster than real time; the per-turn timings are processing times (the
// endpointing silence, TurnOptions::end_silence_ms, comes on top and is reported apart).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "infini/call.h"
#include "infini/dialogue.h"
#include "infini/recognizer.h"
#include "infini/status.h"
#include "infini/synthesizer.h"

namespace infini {

struct VoiceProviders {
  Recognizer* agent_recognizer = nullptr;   // the receptionist's ears
  Recognizer* caller_recognizer = nullptr;  // the simulated caller's ears
  Synthesizer* synthesizer = nullptr;       // both voices
};

struct VoiceScenarioOptions {
  std::string caller_voice = "rms";  // different from the agent's
  VoiceCallOptions call;             // agent side: voice, rate, VAD/turn tuning
  int max_turns = 30;
  std::function<void(const std::string&)> on_line;  // live progress, one line per event
};

struct VoiceScenarioResult {
  std::string name;
  bool passed = false;
  bool expects_booking = false;
  std::vector<std::string> failures;
  CallOutcome outcome;
  std::vector<TurnTimings> turns;
  int end_silence_ms = 0;
  int caller_mishearings = 0;  // agent turns whose transcript matched no question
};

Result<VoiceScenarioResult> RunVoiceScenario(const std::string& scenario_path, const std::string& businesses_dir,
                                             const VoiceProviders& providers, const VoiceScenarioOptions& options);

}  // namespace infini
