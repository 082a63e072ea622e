// Resampler backends compared per 20 ms frame, and how much audio each holds back.
// Usage: bench_resampler
#include <cmath>
#include <cstdio>
#include <span>
#include <vector>

#include "bench_timing.h"
#include "infini/resampler.h"

int main() {
  using infini::ResamplerBackend;
  using infini::ResamplerQuality;
  std::printf("%-14s %-7s %-10s %12s %10s %10s %16s\n", "backend", "quality", "rates", "mean/frame",
              "p50", "p95", "max held back");
  const char* qname[] = {"low", "medium", "high"};
  for (auto backend : {ResamplerBackend::kHalfband, ResamplerBackend::kSoxr, ResamplerBackend::kLibsamplerate}) {
    for (auto q : {ResamplerQuality::kLow, ResamplerQuality::kMedium, ResamplerQuality::kHigh}) {
      for (auto [from, to] : {std::pair{8000, 16000}, std::pair{16000, 8000}}) {
        auto r = infini::Resampler::Create({.from_hz = from, .to_hz = to, .backend = backend, .quality = q});
        if (!r.ok()) return 1;
        const int n = from / 50;
        // One second of a sine, made before timing: the loop measures the resampler only.
        std::vector<int16_t> tone(static_cast<size_t>(from)), out;
        for (size_t i = 0; i < tone.size(); ++i) tone[i] = static_cast<int16_t>(4000 * std::sin(i * 0.05));
        out.reserve(8192);
        long produced = 0, consumed = 0, max_held = 0;
        int frame = 0;
        auto s = infini::bench::TimePerCall(200, 100, [&] {
          const std::span<const int16_t> in(tone.data() + (frame % 50) * n, static_cast<size_t>(n));
          out.clear();
          (void)(*r)->Process(in, out);
          ++frame;
          consumed += n;
          produced += static_cast<long>(out.size());
          long expected = consumed * to / from;
          max_held = std::max(max_held, expected - produced);
        });
        std::printf("%-14s %-7s %5d->%-5d %9.2f us %7.2f us %7.2f us %10.1f ms\n",
                    infini::ResamplerBackendName(backend), qname[static_cast<int>(q)], from, to,
                    s.mean_ns / 1000, s.p50_ns / 1000, s.p95_ns / 1000, max_held * 1000.0 / to);
      }
    }
  }
  auto def = infini::Resampler::Create({});
  std::printf("default: %s, quality %s\n", infini::ResamplerBackendName((*def)->options().backend),
              qname[static_cast<int>((*def)->options().quality)]);
  return 0;
}
