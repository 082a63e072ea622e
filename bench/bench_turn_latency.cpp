// Turn latency of the embedded voice pipeline, wideband (16 kHz), in-process:
// end of caller speech -> ASR final -> decision -> first reply frame, p50/p95 per stage,
// over spoken runs of scenario files. The endpointing silence is reported apart.
// Usage: bench_turn_latency [scenario_dir] [businesses_dir] [max_scenarios]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "infini/log.h"
#include "infini/registry.h"
#include "infini/voice_simulation.h"

namespace {
double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}
}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : INFINI_SOURCE_DIR "/tests/data/scenarios";
  std::string businesses = argc > 2 ? argv[2] : INFINI_SOURCE_DIR "/tests/data/businesses";
  size_t max_scenarios = argc > 3 ? static_cast<size_t>(std::stoi(argv[3])) : 12;
  infini::SetLogLevel(infini::LogLevel::kWarn);
  const auto& registry = infini::ProviderRegistry::Builtin();
  auto agent = registry.Make<infini::Recognizer>("pocketsphinx");
  auto caller = registry.Make<infini::Recognizer>("pocketsphinx");
  auto tts = registry.Make<infini::Synthesizer>("flite");
  if (!agent.ok() || !caller.ok() || !tts.ok()) {
    std::fprintf(stderr, "providers: %s %s %s\n", agent.status().ToString().c_str(),
                 caller.status().ToString().c_str(), tts.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.size() > max_scenarios) files.resize(max_scenarios);

  std::vector<double> asr, decision, tts_first, total;
  int passed = 0, booked = 0, expected_bookings = 0, mishearings = 0, caller_turns = 0;
  std::printf("%-42s %-8s %-12s %s\n", "scenario", "result", "outcome", "turns");
  for (const auto& f : files) {
    auto r = infini::RunVoiceScenario(f, businesses, {agent->get(), caller->get(), tts->get()}, {});
    if (!r.ok()) {
      std::printf("%-42s error    %s\n", std::filesystem::path(f).stem().c_str(), r.status().ToString().c_str());
      continue;
    }
    passed += r->passed;
    expected_bookings += r->expects_booking;
    booked += r->expects_booking && r->outcome.outcome == "booked" && r->passed;
    mishearings += r->caller_mishearings;
    for (const auto& t : r->turns) {
      asr.push_back(t.asr_final_ms - t.speech_end_ms);
      decision.push_back(t.decision_ms - t.asr_final_ms);
      tts_first.push_back(t.first_frame_out_ms - t.decision_ms);
      total.push_back(t.latency_ms());
      ++caller_turns;
    }
    std::printf("%-42s %-8s %-12s %zu\n", r->name.c_str(), r->passed ? "pass" : "FAIL", r->outcome.outcome.c_str(),
                r->turns.size());
  }
  std::printf("\n%d/%zu scenarios as expected; bookings %d/%d; %d caller turns\n", passed, files.size(), booked,
              expected_bookings, caller_turns);
  std::printf("\nper-turn latency (ms), wideband 16 kHz, embedded providers:\n");
  std::printf("  %-38s %8s %8s\n", "stage", "p50", "p95");
  std::printf("  %-38s %8.0f %8.0f\n", "end of speech -> ASR final", Pct(asr, 0.5), Pct(asr, 0.95));
  std::printf("  %-38s %8.1f %8.1f\n", "ASR final -> decision", Pct(decision, 0.5), Pct(decision, 0.95));
  std::printf("  %-38s %8.0f %8.0f\n", "decision -> first reply frame", Pct(tts_first, 0.5), Pct(tts_first, 0.95));
  std::printf("  %-38s %8.0f %8.0f\n", "end of speech -> first reply frame", Pct(total, 0.5), Pct(total, 0.95));
  std::printf("  (+ endpointing silence %d ms before 'end of speech' is declared)\n", infini::TurnOptions{}.end_silence_ms);
  return 0;
}
