#include <doctest/doctest.h>

#include <cmath>

#include "infini/resampler.h"
#include "test_signals.h"

using infini::Resampler;
using infini::ResamplerBackend;
using infini::ResamplerOptions;

namespace {

std::vector<int16_t> Run(const ResamplerOptions& o, const std::vector<int16_t>& in, size_t chunk) {
  auto r = Resampler::Create(o);
  REQUIRE(r.ok());
  std::vector<int16_t> out;
  for (size_t i = 0; i < in.size(); i += chunk) {
    size_t n = std::min(chunk, in.size() - i);
    REQUIRE((*r)->Process(std::span<const int16_t>(in.data() + i, n), out).ok());
  }
  REQUIRE((*r)->Flush(out).ok());
  return out;
}

// The middle 80 % of a signal: no start-up or end-of-input transients in a tone measurement.
std::vector<int16_t> Mid(const std::vector<int16_t>& x) {
  return std::vector<int16_t>(x.begin() + static_cast<long>(x.size() / 10), x.end() - static_cast<long>(x.size() / 10));
}

}  // namespace

TEST_CASE("streaming in 20 ms frames equals resampling the whole signal") {
  const std::pair<int, int> rates[] = {{8000, 16000}, {16000, 8000}, {16000, 24000}, {48000, 16000}, {8000, 48000}};
  for (auto backend : {ResamplerBackend::kSoxr, ResamplerBackend::kLibsamplerate}) {
    for (auto [from, to] : rates) {
      CAPTURE(infini::ResamplerBackendName(backend));
      CAPTURE(from);
      CAPTURE(to);
      ResamplerOptions o{.from_hz = from, .to_hz = to, .backend = backend};
      auto sine = infini::test::Sine(440, from, from);  // 1 s
      auto whole = Run(o, sine, sine.size());
      auto framed = Run(o, sine, static_cast<size_t>(from / 50));
      // Same length within a couple of samples, and sample-wise equal within a tight tolerance.
      REQUIRE(std::abs(static_cast<long>(whole.size()) - static_cast<long>(framed.size())) <= 2);
      CHECK(std::abs(static_cast<long>(whole.size()) - static_cast<long>(to)) <= to / 50);
      size_t n = std::min(whole.size(), framed.size());
      int max_diff = 0;
      for (size_t i = 0; i < n; ++i) max_diff = std::max(max_diff, std::abs(whole[i] - framed[i]));
      CHECK(max_diff <= 4);  // of an 8000-amplitude sine
      // The tone is still 440 Hz at the new rate, far above a neighbour frequency.
      double at = infini::test::ToneLevel(framed, 440, to, n / 10);
      double off = infini::test::ToneLevel(framed, 1000, to, n / 10);
      CHECK(at > 3500);
      CHECK(off < at / 50);
    }
  }
}

TEST_CASE("halfband 2:1: streaming equals whole, unity passband, images and aliases below -60 dB") {
  for (auto q : {infini::ResamplerQuality::kLow, infini::ResamplerQuality::kHigh}) {
    for (auto [from, to] : {std::pair{8000, 16000}, std::pair{16000, 8000}, std::pair{24000, 48000}}) {
      CAPTURE(from);
      CAPTURE(to);
      CAPTURE(static_cast<int>(q));
      ResamplerOptions o{.from_hz = from, .to_hz = to, .backend = ResamplerBackend::kHalfband, .quality = q};
      auto sine = infini::test::Sine(440, from, from);  // 1 s
      auto whole = Run(o, sine, sine.size());
      auto framed = Run(o, sine, static_cast<size_t>(from / 50));
      auto odd = Run(o, sine, 37);
      REQUIRE(whole.size() == framed.size());
      REQUIRE(whole.size() == odd.size());
      CHECK(whole == framed);  // bit-identical whatever the chunking
      CHECK(whole == odd);
      CHECK(std::abs(static_cast<long>(whole.size()) - static_cast<long>(to)) <= to / 50);
      const size_t n = whole.size();
      (void)n;
      const double in_level = infini::test::ToneLevel(Mid(sine), 440, from);
      const double at = infini::test::ToneLevel(Mid(whole), 440, to);
      CHECK(std::abs(20 * std::log10(at / in_level)) < 0.1);  // passband gain 1 (±0.1 dB)
    }
  }
  // Upsampling 8 -> 16 kHz: a 3 kHz tone keeps its level, its 5 kHz image is gone.
  {
    ResamplerOptions o{.from_hz = 8000, .to_hz = 16000, .backend = ResamplerBackend::kHalfband};
    auto tone = infini::test::Sine(3000, 8000, 8000);
    auto up = Run(o, tone, 160);
    const double in = infini::test::ToneLevel(Mid(tone), 3000, 8000);
    const double kept = infini::test::ToneLevel(Mid(up), 3000, 16000);
    const double image = infini::test::ToneLevel(Mid(up), 5000, 16000);
    MESSAGE("halfband 8->16 kHz: 3 kHz gain " << 20 * std::log10(kept / in) << " dB, 5 kHz image "
                                                << 20 * std::log10(image / kept) << " dB");
    CHECK(std::abs(20 * std::log10(kept / in)) < 0.5);
    CHECK(20 * std::log10(image / kept) < -60);
  }
  // Downsampling 16 -> 8 kHz: a 5 kHz tone (would alias to 3 kHz) is removed.
  {
    ResamplerOptions o{.from_hz = 16000, .to_hz = 8000, .backend = ResamplerBackend::kHalfband};
    auto tone = infini::test::Sine(5000, 16000, 16000);
    auto down = Run(o, tone, 320);
    const double in = infini::test::ToneLevel(Mid(tone), 5000, 16000);
    const double alias = infini::test::ToneLevel(Mid(down), 3000, 8000);
    MESSAGE("halfband 16->8 kHz: 5 kHz -> 3 kHz alias " << 20 * std::log10(std::max(alias, 1e-3) / in) << " dB");
    CHECK(20 * std::log10(std::max(alias, 1e-3) / in) < -60);
  }
  // Only 2:1.
  auto bad = Resampler::Create({.from_hz = 8000, .to_hz = 48000, .backend = ResamplerBackend::kHalfband});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().IsInvalidArgument());
  CHECK(bad.status().message().find("2:1") != std::string::npos);
}

TEST_CASE("unsupported sample rates are refused with a clear message") {
  auto r = Resampler::Create({.from_hz = 11025, .to_hz = 16000});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  CHECK(r.status().message().find("11025") != std::string::npos);
  CHECK_FALSE(Resampler::Create({.from_hz = 8000, .to_hz = 0}).ok());
}

TEST_CASE("empty input produces nothing and keeps the stream usable; Reset starts afresh") {
  auto r = Resampler::Create({.from_hz = 8000, .to_hz = 16000});
  REQUIRE(r.ok());
  std::vector<int16_t> out;
  CHECK((*r)->Process({}, out).ok());
  CHECK(out.empty());
  auto sine = infini::test::Sine(300, 8000, 1600);
  CHECK((*r)->Process(sine, out).ok());
  CHECK(out.size() > 1600);  // 0.2 s at 16 kHz is 3200, minus the filter delay held back
  (*r)->Reset();
  std::vector<int16_t> again;
  CHECK((*r)->Process(sine, again).ok());
  CHECK(again.size() == out.size());
  CHECK((*r)->options().backend == ResamplerBackend::kSoxr);  // the benchmarked default
}
