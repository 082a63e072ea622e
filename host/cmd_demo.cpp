// `infini demo`: one spoken call, in one process, on the embedded providers (pocketsphinx,
// flite), no keys, no network: a simulated caller speaks a scenario to the receptionist.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "infini/registry.h"
#include "infini/voice_simulation.h"

namespace {

struct DemoFlags {
  std::string scenario = INFINI_SOURCE_DIR "/examples/scenarios/demo-hvac.json";
  std::string businesses = INFINI_SOURCE_DIR "/examples/businesses";
  std::string agent_voice = "slt";
  std::string caller_voice = "rms";
  int end_silence_ms = 600;
};

int RunDemo(const DemoFlags& f) {
  std::printf("infini demo: one simulated phone call, in-process, embedded providers (pocketsphinx + flite)\n");
  std::printf("scenario %s\n", f.scenario.c_str());
  std::printf("loading speech models...\n");
  std::fflush(stdout);
  const auto& registry = infini::ProviderRegistry::Builtin();
  auto agent_ears = registry.Make<infini::Recognizer>("pocketsphinx");
  auto caller_ears = registry.Make<infini::Recognizer>("pocketsphinx");
  auto voices = registry.Make<infini::Synthesizer>("flite");
  for (const infini::Status* s : {&agent_ears.status(), &caller_ears.status(), &voices.status()}) {
    if (!s->ok()) {
      std::fprintf(stderr, "infini demo: %s\n", s->ToString().c_str());
      return 1;
    }
  }
  infini::VoiceProviders providers{agent_ears->get(), caller_ears->get(), voices->get()};
  infini::VoiceScenarioOptions options;
  options.caller_voice = f.caller_voice;
  options.call.agent_voice = f.agent_voice;
  options.call.turn.end_silence_ms = f.end_silence_ms;
  bool first_agent_line = true;
  options.on_line = [&](const std::string& line) {
    if (first_agent_line && line.rfind("  caller heard", 0) == 0) first_agent_line = false;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  auto result = infini::RunVoiceScenario(f.scenario, f.businesses, providers, options);
  if (!result.ok()) {
    std::fprintf(stderr, "infini demo: %s\n", result.status().ToString().c_str());
    return 1;
  }
  const auto& r = result.value();
  std::printf("\noutcome: %s\n", r.outcome.outcome.c_str());
  if (r.outcome.appointment) {
    const auto& a = *r.outcome.appointment;
    std::printf("booked:  %s at %s with %s for %s (%s)\n", a.service.c_str(), a.start.c_str(), a.resource.c_str(),
                a.name.c_str(), a.phone.c_str());
  }
  for (const auto& sms : r.outcome.sms) std::printf("sms to %s: %s\n", sms.to.c_str(), sms.text.c_str());
  std::printf("\nlatency per turn (end of caller speech -> first reply frame; + %d ms endpointing silence):\n",
              r.end_silence_ms);
  std::printf("  %-4s %10s %10s %10s %12s\n", "turn", "asr final", "decision", "tts audio", "total");
  int n = 0;
  for (const auto& t : r.turns) {
    std::printf("  %-4d %7.0f ms %7.1f ms %7.0f ms %9.0f ms\n", ++n, t.asr_final_ms - t.speech_end_ms,
                t.decision_ms - t.asr_final_ms, t.first_frame_out_ms - t.decision_ms, t.latency_ms());
  }
  if (!r.passed) {
    std::printf("\nthe call did not go as the scenario expected:\n");
    for (const auto& why : r.failures) std::printf("  %s\n", why.c_str());
  }
  std::printf("\n(audio runs in-process, faster than real time; `infini serve` and the Twilio/native transports "
              "are not built yet: see the issue notes)\n");
  return 0;
}

infini::host::RegisterCommand reg{{"demo", 5, [](CLI::App& app) {
  auto flags = std::make_shared<DemoFlags>();
  auto* sub = app.add_subcommand("demo", "One simulated phone call to the receptionist, on embedded speech "
                                          "(no keys, no network): prints the conversation, the booking and "
                                          "per-turn latency.");
  sub->add_option("--scenario", flags->scenario, "scenario file (docs/scenarios.md)")->capture_default_str();
  sub->add_option("--businesses", flags->businesses, "folder of business configs")->capture_default_str();
  sub->add_option("--agent-voice", flags->agent_voice, "flite voice of the receptionist")->capture_default_str();
  sub->add_option("--caller-voice", flags->caller_voice, "flite voice of the simulated caller")->capture_default_str();
  sub->add_option("--end-silence-ms", flags->end_silence_ms, "silence that ends a caller turn")->capture_default_str();
  return std::function<int()>([flags] { return RunDemo(*flags); });
}}};

}  // namespace
