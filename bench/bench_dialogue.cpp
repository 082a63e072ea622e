// Dialogue engine cost per caller turn: replays every scenario's conversation (rule NLU, scheduler,
// in-memory calendar) and times each OnUtterance. Prints figures; asserts nothing.
// Usage: bench_dialogue [scenario folder] [business folder]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "infini/dialogue.h"
#include "infini/simulation.h"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::string scenarios = argc > 1 ? argv[1] : INFINI_SOURCE_DIR "/tests/data/scenarios";
  std::string businesses = argc > 2 ? argv[2] : INFINI_SOURCE_DIR "/tests/data/businesses";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(scenarios))
    if (e.path().extension() == ".json") files.push_back(e.path());
  // Whole scenarios (config load + simulated caller + engine + checks).
  const int rounds = 20;
  std::vector<double> per_scenario_ns;
  size_t caller_turns = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r) {
    for (const auto& f : files) {
      auto a = std::chrono::steady_clock::now();
      auto result = infini::RunScenarioFile(f.string(), businesses);
      auto b = std::chrono::steady_clock::now();
      per_scenario_ns.push_back(std::chrono::duration<double, std::nano>(b - a).count());
      if (result.ok())
        for (const auto& line : result.value().transcript) caller_turns += line.rfind("caller:", 0) == 0;
    }
  }
  double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto s = infini::bench::Summarize(per_scenario_ns);
  std::printf("scenarios: %zu x %d rounds, %zu caller turns in %.3f s\n", files.size(), rounds, caller_turns, total_s);
  std::printf("per scenario: mean %.2f ms, p50 %.2f ms, p95 %.2f ms\n", s.mean_ns / 1e6, s.p50_ns / 1e6, s.p95_ns / 1e6);
  std::printf("per caller turn (whole pipeline incl. config load): %.1f us\n", total_s * 1e6 / double(caller_turns));

  // One engine turn alone: a fresh booking sentence that needs NLU + availability check.
  auto biz = infini::LoadBusinessConfig(businesses + "/hvac.json").value();
  std::vector<double> turn_ns;
  for (int i = 0; i < 2000; ++i) {
    auto calendar = infini::NewMemoryCalendar();
    infini::ConversationOptions o;
    o.now_utc = infini::LocalTimeToUtc("2026-12-08T10:15:00", biz.timezone).value();
    infini::Conversation call(biz, *calendar, nullptr, o);
    call.Start();
    auto a = std::chrono::steady_clock::now();
    call.OnUtterance("Hi, my air conditioner stopped working. Can someone come out tomorrow at nine in the morning?");
    auto b = std::chrono::steady_clock::now();
    turn_ns.push_back(std::chrono::duration<double, std::nano>(b - a).count());
  }
  auto t = infini::bench::Summarize(turn_ns);
  std::printf("one booking turn (NLU + availability): mean %.1f us, p50 %.1f us, p95 %.1f us\n", t.mean_ns / 1e3,
              t.p50_ns / 1e3, t.p95_ns / 1e3);
  return 0;
}
