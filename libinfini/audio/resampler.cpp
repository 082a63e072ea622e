// Two streaming resampler backends behind include/infini/resampler.h.
// soxr works on int16 directly; libsamplerate needs float, so it converts through
// member buffers that grow once and are reused (no per-frame allocation after warm-up).
#include "infini/resampler.h"

#include <samplerate.h>
#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>

namespace infini {

const char* ResamplerBackendName(ResamplerBackend backend) {
  switch (backend) {
    case ResamplerBackend::kDefault: return "default";
    case ResamplerBackend::kSoxr: return "soxr";
    case ResamplerBackend::kLibsamplerate: return "libsamplerate";
    case ResamplerBackend::kHalfband: return "halfband";
  }
  return "?";
}

bool IsSupportedSampleRate(int hz) { return hz == 8000 || hz == 16000 || hz == 24000 || hz == 48000; }

namespace {

// Upper bound on output samples for `in` input samples, plus filter slack.
size_t OutputCapacity(size_t in, int from_hz, int to_hz) {
  return static_cast<size_t>(std::ceil(static_cast<double>(in) * to_hz / from_hz)) + 64;
}

class SoxrResampler final : public Resampler {
 public:
  explicit SoxrResampler(const ResamplerOptions& options) : options_(options) {}
  ~SoxrResampler() override {
    if (soxr_) soxr_delete(soxr_);
  }

  Status Init() {
    unsigned long recipe = SOXR_MQ;
    if (options_.quality == ResamplerQuality::kLow) recipe = SOXR_LQ;
    if (options_.quality == ResamplerQuality::kHigh) recipe = SOXR_HQ;
    soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
    soxr_quality_spec_t q = soxr_quality_spec(recipe, 0);
    // Smaller DFT blocks: output arrives in ~25 ms bursts rather than ~60 ms ones,
    // at no measurable cost per frame (bench_resampler).
    soxr_runtime_spec_t rt = soxr_runtime_spec(1);
    rt.log2_min_dft_size = 7;
    soxr_error_t err = nullptr;
    soxr_ = soxr_create(options_.from_hz, options_.to_hz, 1, &err, &io, &q, &rt);
    if (err || !soxr_) return Status::Internal(fmt::format("soxr_create failed: {}", err ? err : "?"));
    return Status::OK();
  }

  Status Process(std::span<const int16_t> in, std::vector<int16_t>& out) override {
    if (in.empty()) return Status::OK();
    return Run(in.data(), in.size(), out);
  }

  Status Flush(std::vector<int16_t>& out) override { return Run(nullptr, 0, out); }

  void Reset() override { soxr_clear(soxr_); }
  const ResamplerOptions& options() const override { return options_; }

 private:
  // soxr may hold output back when the buffer is full: call again until it has
  // consumed all input and no longer fills the buffer. in == nullptr means flush.
  Status Run(const int16_t* in, size_t n, std::vector<int16_t>& out) {
    size_t cap = OutputCapacity(n == 0 ? 256 : n, options_.from_hz, options_.to_hz);
    size_t consumed = 0;
    for (int guard = 0; guard < 1024; ++guard) {
      size_t base = out.size();
      out.resize(base + cap);
      size_t idone = 0, odone = 0;
      const int16_t* at = in ? in + consumed : nullptr;
      soxr_error_t err = soxr_process(soxr_, at, in ? n - consumed : 0, &idone, out.data() + base, cap, &odone);
      out.resize(base + odone);
      if (err) return Status::Internal(fmt::format("soxr_process failed: {}", err));
      consumed += idone;
      if ((!in || consumed >= n) && odone < cap) break;
    }
    return Status::OK();
  }

  ResamplerOptions options_;
  soxr_t soxr_ = nullptr;
};

class SrcResampler final : public Resampler {
 public:
  explicit SrcResampler(const ResamplerOptions& options) : options_(options) {}
  ~SrcResampler() override {
    if (state_) src_delete(state_);
  }

  Status Init() {
    int type = SRC_SINC_FASTEST;
    if (options_.quality == ResamplerQuality::kMedium) type = SRC_SINC_MEDIUM_QUALITY;
    if (options_.quality == ResamplerQuality::kHigh) type = SRC_SINC_BEST_QUALITY;
    int err = 0;
    state_ = src_new(type, 1, &err);
    if (!state_) return Status::Internal(fmt::format("src_new failed: {}", src_strerror(err)));
    return Status::OK();
  }

  Status Process(std::span<const int16_t> in, std::vector<int16_t>& out) override {
    if (in.empty()) return Status::OK();
    return Run(in, false, out);
  }
  Status Flush(std::vector<int16_t>& out) override { return Run({}, true, out); }
  void Reset() override { src_reset(state_); }
  const ResamplerOptions& options() const override { return options_; }

 private:
  Status Run(std::span<const int16_t> in, bool end, std::vector<int16_t>& out) {
    in_f_.resize(in.size());
    src_short_to_float_array(in.data(), in_f_.data(), static_cast<int>(in.size()));
    size_t cap = OutputCapacity(in.empty() ? 512 : in.size(), options_.from_hz, options_.to_hz);
    out_f_.resize(cap);
    SRC_DATA d{};
    d.data_in = in_f_.data();
    d.input_frames = static_cast<long>(in.size());
    d.src_ratio = static_cast<double>(options_.to_hz) / options_.from_hz;
    d.end_of_input = end ? 1 : 0;
    size_t base = out.size();
    // libsamplerate may not take all input (or drain all output) in one call.
    for (int guard = 0; guard < 64; ++guard) {
      d.data_out = out_f_.data();
      d.output_frames = static_cast<long>(cap);
      int err = src_process(state_, &d);
      if (err) return Status::Internal(fmt::format("src_process failed: {}", src_strerror(err)));
      size_t got = static_cast<size_t>(d.output_frames_gen);
      out.resize(base + got);
      src_float_to_short_array(out_f_.data(), out.data() + base, static_cast<int>(got));
      base += got;
      d.data_in += d.input_frames_used;
      d.input_frames -= d.input_frames_used;
      if (d.input_frames == 0 && (!end || got == 0)) break;
    }
    return Status::OK();
  }

  ResamplerOptions options_;
  SRC_STATE* state_ = nullptr;
  std::vector<float> in_f_, out_f_;
};

// 2:1 up or down with a half-band FIR h (length 4T-1, h[0] = 1/2, h[even != 0] = 0), so only
// the T odd taps on each side are stored (`c_`, symmetric). Works in float on a buffer of
// pending input; the same samples in any chunking give the same output.
// acc[i] = sum_j c[j] * (lo0[i - j] + hi0[i + j]) for i < n: blocks of 16 outputs kept in
// (GCC/Clang vector-extension) registers across all taps, so there is no dependency chain per
// output and no store per tap. On x86-64 an AVX2/FMA clone is picked at load time when the CPU
// has it (the 8 <-> 16 kHz path runs this for every frame of every Twilio call).
using F8 = float __attribute__((vector_size(32)));
#define INFINI_LOAD8(dst, p) std::memcpy(&(dst), (p), sizeof(F8))  // unaligned; a macro: no vector ABI
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void HalfbandFir(const float* c, size_t t, const float* lo0, const float* hi0, size_t n, float* acc) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    F8 a0 = {}, a1 = {};
    for (size_t j = 0; j < t; ++j) {
      const float* lo = lo0 + i - j;
      const float* hi = hi0 + i + j;
      const F8 cj = {c[j], c[j], c[j], c[j], c[j], c[j], c[j], c[j]};
      F8 l0, h0, l1, h1;
      INFINI_LOAD8(l0, lo);
      INFINI_LOAD8(h0, hi);
      INFINI_LOAD8(l1, lo + 8);
      INFINI_LOAD8(h1, hi + 8);
      a0 += cj * (l0 + h0);
      a1 += cj * (l1 + h1);
    }
    std::memcpy(acc + i, &a0, sizeof a0);
    std::memcpy(acc + i + 8, &a1, sizeof a1);
  }
  for (; i < n; ++i) {
    float a = 0;
    for (size_t j = 0; j < t; ++j) a += c[j] * (lo0[i - j] + hi0[i + j]);
    acc[i] = a;
  }
}

// float -> int16, rounded half away from zero and saturated, 8 at a time: the scalar form
// (min/max/copysign per sample) does not vectorize and was ~40 % of the resampler at 4000 calls.
using I8 = int32_t __attribute__((vector_size(32)));
#define INFINI_ROUND_CLAMP8(v)                                  \
  do {                                                          \
    const F8 lo = {-32768.f, -32768.f, -32768.f, -32768.f, -32768.f, -32768.f, -32768.f, -32768.f}; \
    const F8 hi = {32767.f, 32767.f, 32767.f, 32767.f, 32767.f, 32767.f, 32767.f, 32767.f};         \
    const F8 half = {.5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f};   \
    const F8 zero = {};                                         \
    (v) = (v) < lo ? lo : (v);                                  \
    (v) = (v) > hi ? hi : (v);                                  \
    (v) += (v) < zero ? -half : half;                           \
  } while (0)

int16_t ClampToInt16(float v) {
  v = std::min(std::max(v, -32768.f), 32767.f);
  return static_cast<int16_t>(v + std::copysign(0.5f, v));
}

// out[2i] = even[i], out[2i+1] = odd[i] (the upsampler's output), as int16.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void InterleaveToInt16(const float* even, const float* odd, size_t n, int16_t* out) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    F8 e, o;
    INFINI_LOAD8(e, even + i);
    INFINI_LOAD8(o, odd + i);
    INFINI_ROUND_CLAMP8(e);
    INFINI_ROUND_CLAMP8(o);
    const I8 ei = __builtin_convertvector(e, I8), oi = __builtin_convertvector(o, I8);
    for (size_t k = 0; k < 8; ++k) {
      out[2 * (i + k)] = static_cast<int16_t>(ei[k]);
      out[2 * (i + k) + 1] = static_cast<int16_t>(oi[k]);
    }
  }
  for (; i < n; ++i) {
    out[2 * i] = ClampToInt16(even[i]);
    out[2 * i + 1] = ClampToInt16(odd[i]);
  }
}

// out[i] = in[i] as int16 (the downsampler's output).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void ToInt16(const float* in, size_t n, int16_t* out) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    F8 v;
    INFINI_LOAD8(v, in + i);
    INFINI_ROUND_CLAMP8(v);
    const I8 vi = __builtin_convertvector(v, I8);
    for (size_t k = 0; k < 8; ++k) out[i + k] = static_cast<int16_t>(vi[k]);
  }
  for (; i < n; ++i) out[i] = ClampToInt16(in[i]);
}
#undef INFINI_ROUND_CLAMP8
#undef INFINI_LOAD8

class HalfbandResampler final : public Resampler {
 public:
  explicit HalfbandResampler(const ResamplerOptions& options) : options_(options) {}

  Status Init() {
    up_ = options_.to_hz == 2 * options_.from_hz;
    if (!up_ && options_.from_hz != 2 * options_.to_hz)
      return Status::InvalidArgument(fmt::format("resampler: the halfband backend does only 2:1 ratios, not {} Hz -> {} Hz",
                                                 options_.from_hz, options_.to_hz));
    taps_ = options_.quality == ResamplerQuality::kLow ? 16 : options_.quality == ResamplerQuality::kMedium ? 24 : 32;
    // Kaiser-windowed sinc at half band: h[k] = sinc(k/2)/2 * w(k), k odd, |k| <= 2T-1.
    const double beta = 7.5, m = 2.0 * taps_;
    c_.resize(static_cast<size_t>(taps_));
    double sum = 0;
    for (int j = 0; j < taps_; ++j) {
      const double k = 2.0 * j + 1;
      const double x = M_PI * k / 2;
      const double r = k / m;
      const double w = std::cyl_bessel_i(0.0, beta * std::sqrt(1 - r * r)) / std::cyl_bessel_i(0.0, beta);
      c_[static_cast<size_t>(j)] = static_cast<float>(std::sin(x) / x / 2 * w);
      sum += 2 * c_[static_cast<size_t>(j)];
    }
    // Odd taps must sum to 1/2 (DC gain 1 with the center tap); windowing leaves a tiny error.
    for (auto& c : c_) c = static_cast<float>(c * 0.5 / sum);
    if (up_)
      for (auto& c : c_) c *= 2;  // zero-stuffing halves the level: the interpolator has gain 2
    Reset();
    return Status::OK();
  }

  Status Process(std::span<const int16_t> in, std::vector<int16_t>& out) override {
    float* b = Append(in.size());  // int16 -> float, one pass (a plain loop: vectorizes)
    for (size_t i = 0; i < in.size(); ++i) b[i] = static_cast<float>(in[i]);
    Run(out);
    return Status::OK();
  }

  Status Flush(std::vector<int16_t>& out) override {
    const size_t zeros = static_cast<size_t>(up_ ? taps_ : 2 * taps_);
    std::fill_n(Append(zeros), zeros, 0.f);
    Run(out);
    return Status::OK();
  }

  void Reset() override {
    // History of zeros: the first output sample is the first input sample's (after the delay).
    len_ = static_cast<size_t>(up_ ? taps_ - 1 : 2 * taps_ - 1);
    buf_.assign(len_, 0.f);
    pos_ = len_;
  }
  const ResamplerOptions& options() const override { return options_; }

 private:
  void Fir(const float* lo0, const float* hi0, size_t n, float* acc) const {
    HalfbandFir(c_.data(), static_cast<size_t>(taps_), lo0, hi0, n, acc);
  }

  void Run(std::vector<int16_t>& out) {
    const size_t t = static_cast<size_t>(taps_);
    if (up_) {
      // Input p gives output 2p (the sample itself) and 2p+1 (between p and p+1: the odd taps
      // over p-j and p+1+j), once the taps reach p+T.
      if (pos_ + t >= len_) return;
      const size_t n = len_ - t - pos_;
      acc_.resize(n);
      const float* b = buf_.data();
      Fir(b + pos_, b + pos_ + 1, n, acc_.data());
      const size_t at = out.size();
      out.resize(at + 2 * n);
      InterleaveToInt16(b + pos_, acc_.data(), n, out.data() + at);
      pos_ += n;
      Consume(pos_ - (t - 1));
    } else {
      // Output i is centered on input pos_ + 2i; its odd taps reach 2T-1 input samples either
      // side. Those are every other sample from q = pos_ - (2T-1): taken apart into odd_
      // (odd_[k] = b[q + 2k]), tap j of output i reads odd_[T-1+i-j] and odd_[T+i+j].
      const size_t reach = 2 * t - 1;
      if (pos_ + reach >= len_) return;
      const size_t n = (len_ - reach - pos_ + 1) / 2;
      const float* b = buf_.data();
      const size_t q = pos_ - reach;
      odd_.resize(n + 2 * t - 1);
      for (size_t k = 0; k < odd_.size(); ++k) odd_[k] = b[q + 2 * k];
      acc_.resize(n);
      Fir(odd_.data() + t - 1, odd_.data() + t, n, acc_.data());
      const size_t at = out.size();
      out.resize(at + n);
      for (size_t i = 0; i < n; ++i) acc_[i] += 0.5f * b[pos_ + 2 * i];
      ToInt16(acc_.data(), n, out.data() + at);
      pos_ += 2 * n;
      Consume(pos_ - reach);
    }
  }

  ResamplerOptions options_;
  bool up_ = true;
  int taps_ = 16;            // odd taps on each side
  std::vector<float> c_;     // c_[j]: tap at distance 2j+1 (output-rate samples)
  // buf_[0, len_) is history + pending input; buf_ only grows, so appending a frame neither
  // reallocates nor zeroes (vector::resize would, on every frame of every call).
  float* Append(size_t n) {
    if (buf_.size() < len_ + n) buf_.resize(len_ + n);
    len_ += n;
    return buf_.data() + len_ - n;
  }
  // Drops the first `count` samples, which no later output reaches.
  void Consume(size_t count) {
    std::memmove(buf_.data(), buf_.data() + count, (len_ - count) * sizeof(float));
    len_ -= count;
    pos_ -= count;
  }

  std::vector<float> buf_;
  size_t len_ = 0;
  std::vector<float> acc_;   // one block's odd-tap sums
  std::vector<float> odd_;   // (down) every other input sample of the block
  size_t pos_ = 0;           // next center sample in buf_
};

}  // namespace

Result<std::unique_ptr<Resampler>> Resampler::Create(const ResamplerOptions& options) {
  if (!IsSupportedSampleRate(options.from_hz) || !IsSupportedSampleRate(options.to_hz)) {
    return Status::InvalidArgument(fmt::format(
        "resampler: unsupported rate {} Hz -> {} Hz (supported: 8000, 16000, 24000, 48000)",
        options.from_hz, options.to_hz));
  }
  ResamplerOptions resolved = options;
  if (resolved.backend == ResamplerBackend::kDefault) resolved.backend = ResamplerBackend::kSoxr;
  if (resolved.backend == ResamplerBackend::kHalfband) {
    auto r = std::make_unique<HalfbandResampler>(resolved);
    INFINI_RETURN_IF_ERROR(r->Init());
    return std::unique_ptr<Resampler>(std::move(r));
  }
  if (resolved.backend == ResamplerBackend::kSoxr) {
    auto r = std::make_unique<SoxrResampler>(resolved);
    INFINI_RETURN_IF_ERROR(r->Init());
    return std::unique_ptr<Resampler>(std::move(r));
  }
  auto r = std::make_unique<SrcResampler>(resolved);
  INFINI_RETURN_IF_ERROR(r->Init());
  return std::unique_ptr<Resampler>(std::move(r));
}

}  // namespace infini
