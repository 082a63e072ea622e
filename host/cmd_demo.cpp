// `infini demo`: the host and one simulated call in one process, on the embedded providers
// (pocketsphinx, flite), no keys, no network beyond 127.0.0.1: `infini serve` listens on an
// ephemeral port and a simulated caller phones it over the native wideband WebSocket.
#include <algorithm>
#include <cstdio>

#include "commands.h"
#include "infini/log.h"
#include "infini/registry.h"
#include "infini/remote_call.h"

namespace {

struct DemoFlags {
  std::string scenario = INFINI_SOURCE_DIR "/examples/scenarios/demo-hvac.json";
  std::string businesses = INFINI_SOURCE_DIR "/examples/businesses";
  std::string transport = "native";
  std::string agent_voice = "slt";
  std::string caller_voice = "rms";
  int end_silence_ms = 600;
  bool realtime = false;
};

int RunDemo(const DemoFlags& f) {
  std::printf("infini demo: `infini serve` on 127.0.0.1 + one simulated phone call over the %s WebSocket,\n"
              "embedded providers (pocketsphinx + flite), no keys, no network\n",
              f.transport == "twilio" ? "Twilio Media Streams" : "native wideband (PCM16 16 kHz)");
  std::printf("scenario %s\nloading speech models...\n", f.scenario.c_str());
  std::fflush(stdout);
  infini::SetLogLevel(infini::LogLevel::kWarn);
  const auto& registry = infini::ProviderRegistry::Builtin();
  auto agent_ears = registry.Make<infini::Recognizer>("pocketsphinx");
  auto caller_ears = registry.Make<infini::Recognizer>(infini::host::CallerEarsSpec());
  auto voices = registry.Make<infini::Synthesizer>("flite");
  for (const infini::Status* s : {&agent_ears.status(), &caller_ears.status(), &voices.status()}) {
    if (!s->ok()) {
      std::fprintf(stderr, "infini demo: %s\n", s->ToString().c_str());
      return 1;
    }
  }
  infini::HostedScenarioOptions o;
  o.host_recognizer = agent_ears->get();
  o.host_synthesizer = voices->get();
  o.caller = {caller_ears->get(), voices->get()};
  o.transport = f.transport == "twilio" ? infini::CallTransport::kTwilio : infini::CallTransport::kNative;
  o.realtime = f.realtime;
  o.call.agent_voice = f.agent_voice;
  o.call.turn.end_silence_ms = f.end_silence_ms;
  o.caller_voice = f.caller_voice;
  o.on_line = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  o.on_host_log = [](const std::string& line) {
    std::printf("[host] %s\n", line.c_str());
    std::fflush(stdout);
  };
  auto result = infini::RunHostedScenario(f.scenario, f.businesses, o);
  if (!result.ok()) {
    std::fprintf(stderr, "infini demo: %s\n", result.status().ToString().c_str());
    return 1;
  }
  const auto& r = result.value();
  std::printf("\noutcome: %s\n", r.outcome_known ? r.outcome.outcome.c_str() : "(not reported)");
  if (r.outcome.appointment) {
    const auto& a = *r.outcome.appointment;
    std::printf("booked:  %s at %s with %s for %s (%s)\n", a.service.c_str(), a.start.c_str(), a.resource.c_str(),
                a.name.c_str(), a.phone.c_str());
  }
  for (const auto& sms : r.outcome.sms) std::printf("sms to %s: %s\n", sms.to.c_str(), sms.text.c_str());
  std::printf("\nlatency per turn, on the host's clock: end of caller speech -> first reply frame out\n"
              "(+ %d ms endpointing silence; \"heard after\" is the caller's view: its last word to the first reply audio)\n",
              f.end_silence_ms);
  std::printf("  %-4s %10s %10s %10s %10s %13s\n", "turn", "asr final", "decision", "tts audio", "total", "heard after");
  auto print_row = [](int n, const infini::TurnTimings* h, const double* heard) {
    char heard_s[32] = "-";
    if (heard) std::snprintf(heard_s, sizeof heard_s, "%.0f ms", *heard);
    if (!h || h->first_frame_out_ms <= 0) {
      std::printf("  %-4d %10s %10s %10s %10s %13s\n", n, "-", "-", "-", "-", heard_s);
      return;
    }
    std::printf("  %-4d %7.0f ms %7.1f ms %7.0f ms %7.0f ms %13s\n", n, h->asr_final_ms - h->speech_end_ms,
                h->decision_ms - h->asr_final_ms, h->first_frame_out_ms - h->decision_ms, h->latency_ms(), heard_s);
  };
  const bool events = std::any_of(r.turns.begin(), r.turns.end(), [](const auto& t) { return t.host.has_value(); });
  if (events || r.host_turns.empty()) {
    int n = 0;
    for (const auto& t : r.turns) print_row(++n, t.host ? &*t.host : nullptr, &t.reply_after_ms);
  } else {
    // Twilio carries no timings: the host's own turns from its store, and what it heard. The
    // caller's view lines up turn by turn only when both sides counted the same turns.
    const bool aligned = r.host_turns.size() == r.turns.size();
    for (size_t i = 0; i < r.host_turns.size(); ++i)
      print_row(static_cast<int>(i + 1), &r.host_turns[i], aligned ? &r.turns[i].reply_after_ms : nullptr);
    if (!aligned)
      std::printf("  (the host counted %zu caller turns, the caller %zu: \"heard after\" is not paired)\n",
                  r.host_turns.size(), r.turns.size());
    std::printf("\nwhat the host's recognizer heard:\n");
    for (size_t i = 0; i < r.host_turns.size(); ++i)
      std::printf("  %-4zu \"%s\"\n", i + 1, r.host_turns[i].caller_text.c_str());
  }
  if (!r.passed) {
    std::printf("\nthe call did not go as the scenario expected:\n");
    for (const auto& why : r.failures) std::printf("  %s\n", why.c_str());
  }
  std::printf("\n(%s; %d frames sent, %d received, %d marks echoed)\n",
              f.realtime ? "audio in real time" : "audio faster than real time (--realtime for a phone's pace)",
              r.frames_sent, r.frames_received, r.marks_echoed);
  return r.passed ? 0 : 1;
}

infini::host::RegisterCommand reg{{"demo", 5, [](CLI::App& app) {
  auto flags = std::make_shared<DemoFlags>();
  auto* sub = app.add_subcommand("demo", "`infini serve` on 127.0.0.1 and one simulated phone call to it over the native\n"
                                          "wideband WebSocket, on embedded speech (no keys, no network): prints the\n"
                                          "conversation live, the booking and per-turn latency.");
  sub->add_option("--scenario", flags->scenario, "scenario file (docs/scenarios.md)")->capture_default_str();
  sub->add_option("--businesses", flags->businesses, "folder of business configs")->capture_default_str();
  sub->add_option("--transport", flags->transport, "native | twilio (μ-law 8 kHz, as a phone call)")
      ->check(CLI::IsMember({"native", "twilio"}))->capture_default_str();
  sub->add_flag("--realtime", flags->realtime, "send and play audio at a phone's pace");
  sub->add_option("--agent-voice", flags->agent_voice, "flite voice of the receptionist")->capture_default_str();
  sub->add_option("--caller-voice", flags->caller_voice, "flite voice of the simulated caller")->capture_default_str();
  sub->add_option("--end-silence-ms", flags->end_silence_ms, "silence that ends a caller turn")->capture_default_str();
  return std::function<int()>([flags] { return RunDemo(*flags); });
}}};

}  // namespace
