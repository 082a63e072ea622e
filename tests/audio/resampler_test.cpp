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
