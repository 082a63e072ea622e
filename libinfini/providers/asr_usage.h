// Metering for recognizer sessions (internal to libinfini): the audio a session was given,
// added to the call's meter (RecognizerOptions::usage) as "<provider>/asr_seconds".
//
// Push runs every 20 ms frame, and UsageMeter::Add takes a mutex, builds two key strings and
// looks up a map: so Count() only adds samples, and Flush() hands what was counted since the
// last flush to the meter. A session flushes at the end of each turn (EndTurn, Reset) and is
// flushed once more when destroyed (the tail after its last turn): whoever reads a call's final
// totals destroys the recognizer session first (the server frees the pipeline before it stores
// the call's cost).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "infini/cost.h"

namespace infini::providers {

class AsrUsage {
 public:
  explicit AsrUsage(std::string provider) : provider_(std::move(provider)) {}
  ~AsrUsage() { Flush(); }
  AsrUsage(const AsrUsage&) = delete;
  AsrUsage& operator=(const AsrUsage&) = delete;

  // `meter` may be null (nothing is metered); a non-empty `price_as` replaces the provider
  // name the meter sees; `sample_rate` is the rate of the samples Count() is given.
  void Attach(UsageMeter* meter, std::string price_as, int sample_rate) {
    meter_ = meter;
    if (!price_as.empty()) provider_ = std::move(price_as);
    sample_rate_ = sample_rate > 0 ? sample_rate : 1;
  }

  void Count(size_t samples) { pending_ += static_cast<int64_t>(samples); }

  void Flush() {
    if (pending_ == 0) return;
    if (meter_) meter_->Add(provider_, usage::kAsrSeconds, static_cast<double>(pending_) / sample_rate_);
    flushed_ += pending_;
    pending_ = 0;
  }

  double seconds() const { return static_cast<double>(flushed_ + pending_) / sample_rate_; }  // flushed or not
  const std::string& provider() const { return provider_; }

 private:
  std::string provider_;
  UsageMeter* meter_ = nullptr;
  int sample_rate_ = 1;
  int64_t pending_ = 0;  // samples counted since the last flush
  int64_t flushed_ = 0;
};

}  // namespace infini::providers
