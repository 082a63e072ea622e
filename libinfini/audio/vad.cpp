#include "infini/vad.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace infini {

float FrameEnergyDbfs(std::span<const int16_t> frame) {
  if (frame.empty()) return -100.0f;
  int64_t sum = 0;  // integer sum of squares: exact, and the compiler vectorises it
  for (int16_t s : frame) sum += static_cast<int32_t>(s) * s;
  double mean_square = static_cast<double>(sum) / static_cast<double>(frame.size()) / (32768.0 * 32768.0);
  if (mean_square <= 1e-10) return -100.0f;
  return static_cast<float>(10.0 * std::log10(mean_square));
}

namespace {

// The noise floor is the quietest frame of the last ~2 s (minimum statistics over
// blocks of 10 frames), so steady background noise sets it from the first frame on and
// speech, which always has quieter gaps between words, does not drag it up.
class EnergyVad final : public Vad {
 public:
  explicit EnergyVad(const VadOptions& o) : options_(o) { Reset(); }

  VadResult Process(std::span<const int16_t> frame) override {
    VadResult r;
    r.energy_dbfs = FrameEnergyDbfs(frame);
    const double e = r.energy_dbfs;
    if (frame.empty()) {
      r.noise_floor_dbfs = static_cast<float>(Floor());
      return r;
    }
    block_min_ = std::min(block_min_, e);
    if (++in_block_ == kFramesPerBlock) {
      blocks_[next_block_] = block_min_;
      next_block_ = (next_block_ + 1) % kBlocks;
      filled_ = std::min(filled_ + 1, kBlocks);
      block_min_ = 1000.0;
      in_block_ = 0;
    }
    const double floor = Floor();
    r.noise_floor_dbfs = static_cast<float>(floor);
    r.speech = e > floor + options_.threshold_db && e > options_.min_energy_dbfs;
    return r;
  }

  void Reset() override {
    blocks_.fill(1000.0);
    filled_ = 0;
    next_block_ = 0;
    block_min_ = 1000.0;
    in_block_ = 0;
  }

 private:
  static constexpr int kFramesPerBlock = 10;
  static constexpr int kBlocks = 10;

  double Floor() const {
    double m = block_min_;
    for (int i = 0; i < filled_; ++i) m = std::min(m, blocks_[i]);
    return m >= 1000.0 ? options_.initial_floor_dbfs : m;
  }

  VadOptions options_;
  std::array<double, kBlocks> blocks_{};
  int filled_ = 0, next_block_ = 0, in_block_ = 0;
  double block_min_ = 1000.0;
};

}  // namespace

std::unique_ptr<Vad> Vad::CreateEnergy(const VadOptions& options) {
  return std::make_unique<EnergyVad>(options);
}

}  // namespace infini
