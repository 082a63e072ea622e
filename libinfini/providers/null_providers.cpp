// Null speech providers for load tests (bench/bench_concurrency) and pipeline tests that
// must not pay for real speech:
//  - recognizer "null": accepts every frame at 8 or 16 kHz, never gives a partial, and its
//    EndTurn final is empty (the dialogue engine reprompts on an empty final).
//  - synthesizer "silence": speaks every text as digital silence, `ms_per_char` (default 60,
//    bounded to 10 s per sentence) long, in 20 ms frames; Cancel stops at the next frame.
#include <algorithm>
#include <atomic>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infini/recognizer.h"
#include "infini/synthesizer.h"

namespace infini::providers {
namespace {

class NullSession final : public RecognizerSession {
 public:
  explicit NullSession(int rate) : rate_(rate) {}
  Status Push(const AudioFrame& frame) override {
    if (frame.sample_rate != rate_)
      return Status::InvalidArgument(fmt::format("null recognizer: frame at {} Hz pushed to a {} Hz session",
                                                 frame.sample_rate, rate_));
    return Status::OK();
  }
  Result<Transcript> EndTurn() override {
    Transcript t;
    t.is_final = true;
    t.source = "null";
    return t;
  }
  void Reset() override {}

 private:
  int rate_;
};

class NullRecognizer final : public Recognizer {
 public:
  Result<std::unique_ptr<RecognizerSession>> Start(const RecognizerOptions& options, TranscriptCallback) override {
    if (options.sample_rate != 8000 && options.sample_rate != 16000)
      return Status::InvalidArgument(fmt::format("null recognizer: sample_rate {} Hz (8000 or 16000)", options.sample_rate));
    return std::unique_ptr<RecognizerSession>(std::make_unique<NullSession>(options.sample_rate));
  }
  std::string name() const override { return "null"; }
};

class SilenceSession final : public SynthesisSession {
 public:
  SilenceSession(const SynthesisOptions& o, FrameCallback cb, int ms_per_char)
      : options_(o), on_frame_(std::move(cb)), ms_per_char_(ms_per_char) {}
  Status Push(std::string_view text) override {
    for (const auto& sentence : SplitSentences(text)) {
      const int ms = std::min<int>(10000, static_cast<int>(sentence.size()) * ms_per_char_);
      for (int t = 0; t < ms; t += options_.frame_ms) {
        if (cancelled_.load()) return Status::Cancelled("silence synthesizer: cancelled");
        AudioFrame f = AudioFrame::Silence(options_.sample_rate, options_.frame_ms);
        f.timestamp_ms = elapsed_ms_;
        elapsed_ms_ += options_.frame_ms;
        on_frame_(std::move(f));
      }
    }
    return cancelled_.load() ? Status::Cancelled("silence synthesizer: cancelled") : Status::OK();
  }
  void Cancel() override { cancelled_.store(true); }
  void Reset() override { cancelled_.store(false); }

 private:
  SynthesisOptions options_;
  FrameCallback on_frame_;
  int ms_per_char_;
  std::atomic<bool> cancelled_{false};
  int64_t elapsed_ms_ = 0;
};

class SilenceSynthesizer final : public Synthesizer {
 public:
  explicit SilenceSynthesizer(int ms_per_char) : ms_per_char_(ms_per_char) {}
  Result<std::unique_ptr<SynthesisSession>> Start(const SynthesisOptions& options, FrameCallback on_frame) override {
    if (options.sample_rate != 8000 && options.sample_rate != 16000 && options.sample_rate != 24000)
      return Status::InvalidArgument(fmt::format("silence synthesizer: sample_rate {} Hz", options.sample_rate));
    if (options.frame_ms <= 0) return Status::InvalidArgument("silence synthesizer: frame_ms must be > 0");
    if (!on_frame) return Status::InvalidArgument("silence synthesizer: no frame callback");
    return std::unique_ptr<SynthesisSession>(std::make_unique<SilenceSession>(options, std::move(on_frame), ms_per_char_));
  }
  std::vector<std::string> voices() const override { return {"silence"}; }
  std::string name() const override { return "silence"; }

 private:
  int ms_per_char_;
};

}  // namespace

Result<std::unique_ptr<Recognizer>> MakeNullRecognizer(const nlohmann::json&) {
  return std::unique_ptr<Recognizer>(std::make_unique<NullRecognizer>());
}

Result<std::unique_ptr<Synthesizer>> MakeSilenceSynthesizer(const nlohmann::json& config) {
  const int ms = config.value("ms_per_char", 60);
  if (ms < 0 || ms > 1000) return Status::InvalidArgument("silence synthesizer: ms_per_char must be 0..1000");
  return std::unique_ptr<Synthesizer>(std::make_unique<SilenceSynthesizer>(ms));
}

}  // namespace infini::providers
