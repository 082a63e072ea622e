#include <doctest/doctest.h>

#include <algorithm>
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

// The float -> int16 step runs 8 samples at a time with a scalar tail: both must round to the
// nearest and saturate (a full-scale square wave overshoots past int16 after filtering; a
// conversion without the clamp would wrap to the opposite sign).
TEST_CASE("halfband 2:1: output rounds to nearest and saturates instead of wrapping") {
  for (auto [from, to] : {std::pair{8000, 16000}, std::pair{16000, 8000}}) {
    for (size_t chunk : {size_t{37}, static_cast<size_t>(from / 50)}) {
      CAPTURE(from);
      CAPTURE(chunk);
      ResamplerOptions o{.from_hz = from, .to_hz = to, .backend = ResamplerBackend::kHalfband};
      const size_t half_period = static_cast<size_t>(from / 100);  // a 50 Hz square wave
      std::vector<int16_t> square(static_cast<size_t>(from));
      for (size_t i = 0; i < square.size(); ++i) square[i] = (i / half_period) % 2 ? -32768 : 32767;
      auto out = Run(o, square, chunk);
      REQUIRE(out.size() > static_cast<size_t>(to / 2));
      const auto [lo, hi] = std::minmax_element(out.begin(), out.end());
      MESSAGE("square wave out: " << *lo << " .. " << *hi);
      CHECK(*hi == 32767);  // the overshoot reached the rail...
      CHECK(*lo == -32768);
      // ...and never wrapped: away from the edges (and the filter's delay) each half keeps its sign.
      const size_t out_half = half_period * static_cast<size_t>(to) / static_cast<size_t>(from);
      int wrong_sign = 0;
      for (size_t i = 2 * out_half; i + out_half < out.size(); ++i) {
        const size_t phase = i % out_half;
        if (phase < out_half / 4 || phase > 3 * out_half / 4) continue;  // near a step (plus delay)
        const bool positive = (i / out_half) % 2 == 0;  // the filter's delay is a few samples
        if (positive ? out[i] < 30000 : out[i] > -30000) ++wrong_sign;
      }
      CHECK(wrong_sign == 0);
      // A linear ramp (step 2) stays a linear ramp: a symmetric filter keeps straight lines, so
      // every output is an integer give or take float error (~1e-3 at 30000), and only rounding
      // to the nearest gets each one exactly; truncation drops about half of them by one.
      std::vector<int16_t> ramp;
      for (int v = -30000; v <= 30000; v += 2) ramp.push_back(static_cast<int16_t>(v));
      auto ramp_out = Run(o, ramp, chunk);
      REQUIRE(ramp_out.size() > 400);
      const int step = from < to ? 1 : 4;
      int off_by_one = 0;
      for (size_t i = 200; i + 200 < ramp_out.size(); ++i) off_by_one += ramp_out[i + 1] - ramp_out[i] != step;
      CHECK(off_by_one == 0);
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
