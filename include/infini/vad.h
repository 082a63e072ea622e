// Voice activity detection: is this 20 ms frame speech?
//
//   auto vad = infini::Vad::CreateEnergy({});
//   infini::VadResult r = vad->Process(frame.samples);   // r.speech, r.energy_dbfs
//
// Raw per-frame signal only; deciding when a caller's turn starts and ends is the
// TurnDetector's job (turn.h). One instance per stream; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

namespace infini {

struct VadOptions {
  // A frame is speech when its energy is this far above the tracked noise floor...
  double threshold_db = 12.0;
  // ...and above this absolute level (dBFS), so that near-digital silence never counts.
  double min_energy_dbfs = -55.0;
  // Floor assumed before the first frame (then: the quietest frame of the last ~2 s).
  double initial_floor_dbfs = -60.0;
};

struct VadResult {
  bool speech = false;
  float energy_dbfs = -100.0f;
  float noise_floor_dbfs = -100.0f;
};

class Vad {
 public:
  virtual ~Vad() = default;
  // Energy detector over a minimum-statistics noise floor: one pass over the frame.
  static std::unique_ptr<Vad> CreateEnergy(const VadOptions& options = {});
  virtual VadResult Process(std::span<const int16_t> frame) = 0;
  virtual void Reset() = 0;
};

// RMS level of a frame in dBFS (-100 for empty or silent input).
float FrameEnergyDbfs(std::span<const int16_t> frame);

}  // namespace infini
