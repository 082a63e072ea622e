// Streaming resampler between 8, 16, 24 and 48 kHz (mono PCM16).
//
//   auto r = infini::Resampler::Create({.from_hz = 8000, .to_hz = 16000});
//   if (!r.ok()) ...;
//   std::vector<int16_t> out;
//   (*r)->Process(frame.samples, out);   // appends; state carries across calls
//
// State is kept across Process() calls, so a stream cut into 20 ms frames sounds
// the same as the whole signal resampled at once. One instance per stream; not
// thread-safe. Backends: libsoxr, libsamplerate, and a half-band FIR for exact 2:1 ratios
// (see ResamplerBackend).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "infini/status.h"

namespace infini {

enum class ResamplerBackend {
  kDefault,        // the fastest at speech quality on our benchmark (bench/bench_resampler)
  kSoxr,           // libsoxr
  kLibsamplerate,  // libsamplerate (SINC_FASTEST)
  // Exactly 2:1 (8000<->16000, 24000<->48000) only: a linear-phase half-band FIR (Kaiser
  // windowed sinc, polyphase: half the taps are zero and the center one is 1/2), ~0.5 µs per
  // 20 ms frame with ~100 bytes of state, holding back 2 ms at most. For thousands of concurrent
  // calls: soxr's per-instance DFT buffers cost ~4 µs per frame once they no longer fit the
  // caches (bench_concurrency). Other ratios: InvalidArgument.
  kHalfband,
};

// Filter quality. soxr: kLow=LQ, kMedium=MQ, kHigh=HQ; libsamplerate: kLow=SINC_FASTEST,
// kMedium=SINC_MEDIUM_QUALITY, kHigh=SINC_BEST_QUALITY; half-band: 63, 95, 127 taps (transition
// band ~1.1, 0.75, 0.55 kHz wide around a quarter of the higher rate; stopband < -70 dB).
enum class ResamplerQuality { kLow, kMedium, kHigh };

struct ResamplerOptions {
  int from_hz = 8000;
  int to_hz = 16000;
  ResamplerBackend backend = ResamplerBackend::kDefault;
  // kDefault backend + kLow = soxr LQ (16-bit precision: ample for G.711 speech) with
  // small DFT blocks, so it holds back ~25 ms instead of ~60 ms at MQ/HQ.
  // bench/bench_resampler prints the cost and buffering of each choice.
  ResamplerQuality quality = ResamplerQuality::kLow;
};

const char* ResamplerBackendName(ResamplerBackend backend);
bool IsSupportedSampleRate(int hz);  // 8000, 16000, 24000, 48000

class Resampler {
 public:
  virtual ~Resampler() = default;
  // Unsupported rates (anything but 8000/16000/24000/48000) give InvalidArgument.
  static Result<std::unique_ptr<Resampler>> Create(const ResamplerOptions& options);

  // Appends the resampled output of `in` to `out`. Output lags input by the
  // filter delay; Flush() drains what is held back at the end of a stream.
  virtual Status Process(std::span<const int16_t> in, std::vector<int16_t>& out) = 0;
  virtual Status Flush(std::vector<int16_t>& out) = 0;
  virtual void Reset() = 0;
  virtual const ResamplerOptions& options() const = 0;
};

}  // namespace infini
