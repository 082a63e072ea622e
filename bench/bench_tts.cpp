// TTS speed of the embedded synthesizer (flite): time to first 20 ms frame, real-time
// factor, and the cost of a prompt-cache hit, per voice and output rate.
//
//   build-x/bench/bench_tts
#include <chrono>

#include <fmt/format.h>

#include "infini/log.h"
#include "infini/registry.h"
#include "infini/synthesizer.h"

using namespace infini;
using Clock = std::chrono::steady_clock;

namespace {
double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Measure {
  double first_frame_ms = 0, total_ms = 0, audio_ms = 0;
  int frames = 0;
};

Measure Speak(Synthesizer& tts, const std::string& voice, int rate, const std::string& text) {
  Measure m;
  const auto t0 = Clock::now();
  auto s = tts.Start({.voice = voice, .sample_rate = rate}, [&](AudioFrame f) {
    if (m.frames++ == 0) m.first_frame_ms = Ms(Clock::now() - t0);
    m.audio_ms += f.duration_ms();
  });
  if (!s.ok() || !(*s)->Push(text).ok()) {
    fmt::print(stderr, "synthesis failed\n");
    std::exit(1);
  }
  m.total_ms = Ms(Clock::now() - t0);
  return m;
}
}  // namespace

int main() {
  SetLogLevel(LogLevel::kWarn);
  // Each distinct text is synthesized once uncached (cache_bytes 0) and then with a cache.
  auto uncached = ProviderRegistry::Builtin().Make<Synthesizer>(nlohmann::json{{"name", "flite"}, {"cache_bytes", 0}});
  auto cached = ProviderRegistry::Builtin().Make<Synthesizer>("flite");
  if (!uncached.ok() || !cached.ok()) return 1;
  const std::string prompt =
      "Thank you for calling Luna Hair and Spa. I can book a haircut, color, blowout or massage. "
      "We have an opening on Tuesday at three p m with Marco. Would that work for you?";
  (void)Speak(**uncached, "slt", 16000, "warm up");  // voice registration happens once per process

  fmt::print("text: {} characters, {} sentences\n\n", prompt.size(), SplitSentences(prompt).size());
  fmt::print("| {:<6} | {:>6} | {:>14} | {:>14} | {:>8} | {:>6} | {:>16} |\n", "voice", "rate", "first frame ms",
             "whole text ms", "audio s", "RTF", "cache hit, ms");
  fmt::print("|{:-<8}|{:-<8}|{:-<16}|{:-<16}|{:-<10}|{:-<8}|{:-<18}|\n", "", "", "", "", "", "", "");
  for (const char* voice : {"kal", "kal16", "slt", "rms", "awb"}) {
    for (int rate : {8000, 16000, 24000}) {
      // median of 3 uncached runs
      std::vector<Measure> runs;
      for (int i = 0; i < 3; ++i) runs.push_back(Speak(**uncached, voice, rate, prompt));
      std::sort(runs.begin(), runs.end(), [](auto& a, auto& b) { return a.total_ms < b.total_ms; });
      const Measure& m = runs[1];
      (void)Speak(**cached, voice, rate, prompt);  // fill the cache
      std::vector<double> hits;
      for (int i = 0; i < 5; ++i) hits.push_back(Speak(**cached, voice, rate, prompt).total_ms);
      std::sort(hits.begin(), hits.end());
      fmt::print("| {:<6} | {:>6} | {:>14.1f} | {:>14.1f} | {:>8.2f} | {:>6.3f} | {:>16.3f} |\n", voice, rate,
                 m.first_frame_ms, m.total_ms, m.audio_ms / 1000, m.total_ms / m.audio_ms, hits[2]);
    }
  }
  fmt::print("\nfirst frame = Start()+Push() until the first 20 ms frame reaches the callback (first sentence\n"
             "synthesized and resampled); RTF = synthesis time / audio time; cache hit = the whole text from\n"
             "the prompt cache (all sentences), delivered as frames.\n");
  return 0;
}
