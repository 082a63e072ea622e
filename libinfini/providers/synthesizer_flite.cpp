// flite: the embedded, offline speech synthesizer (Debian flite1-dev).
// Config keys: "voice" (default voice: kal, kal16, slt, rms, awb; default "slt"),
//              "cache_bytes" (prompt cache bound, default 32 MiB; 0 disables it).
#include <atomic>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

extern "C" {
#include <flite/flite.h>
cst_voice* register_cmu_us_kal(const char* voxdir);
cst_voice* register_cmu_us_kal16(const char* voxdir);
cst_voice* register_cmu_us_slt(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
}

#include "infini/cost.h"
#include "infini/log.h"
#include "infini/resampler.h"
#include "infini/synthesizer.h"
#include "providers/prompt_cache.h"

namespace infini::providers {
namespace {

// Voice registration mutates flite globals: done once per process, under call_once.
// Synthesis with one voice is serialized by that voice's mutex (flite keeps per-voice
// feature state); different voices synthesize in parallel.
struct FliteVoice {
  cst_voice* voice = nullptr;
  std::mutex mu;
};

std::map<std::string, FliteVoice>& Voices() {
  static std::map<std::string, FliteVoice> voices;
  static std::once_flag once;
  std::call_once(once, [] {
    flite_init();
    voices["kal"].voice = register_cmu_us_kal(nullptr);
    voices["kal16"].voice = register_cmu_us_kal16(nullptr);
    voices["slt"].voice = register_cmu_us_slt(nullptr);
    voices["rms"].voice = register_cmu_us_rms(nullptr);
    voices["awb"].voice = register_cmu_us_awb(nullptr);
  });
  return voices;
}

std::string KnownVoices() {
  std::string known;
  for (const auto& [name, v] : Voices()) known += (known.empty() ? "" : ", ") + name;
  return known;
}

bool SupportedRate(int hz) { return hz == 8000 || hz == 16000 || hz == 24000; }

class FliteSynthesizer;

class FliteSession : public SynthesisSession {
 public:
  FliteSession(FliteSynthesizer* owner, std::string voice, SynthesisOptions options, FrameCallback cb)
      : owner_(owner), voice_(std::move(voice)), options_(std::move(options)), on_frame_(std::move(cb)) {}
  Status Push(std::string_view text) override;
  void Cancel() override { cancelled_.store(true); }
  void Reset() override { cancelled_.store(false); }

 private:
  FliteSynthesizer* owner_;
  std::string voice_;
  SynthesisOptions options_;
  FrameCallback on_frame_;
  std::atomic<bool> cancelled_{false};
  int64_t position_samples_ = 0;
};

class FliteSynthesizer : public Synthesizer {
 public:
  FliteSynthesizer(std::string default_voice, size_t cache_bytes)
      : default_voice_(std::move(default_voice)), cache_(cache_bytes) {}

  Result<std::unique_ptr<SynthesisSession>> Start(const SynthesisOptions& options,
                                                  FrameCallback on_frame) override {
    std::string voice = options.voice.empty() ? default_voice_ : options.voice;
    if (!Voices().count(voice))
      return Status::NotFound(fmt::format("flite: unknown voice '{}' (known: {})", voice, KnownVoices()));
    if (!SupportedRate(options.sample_rate))
      return Status::InvalidArgument(fmt::format(
          "flite: sample_rate {} Hz not supported (use 8000, 16000 or 24000)", options.sample_rate));
    if (options.frame_ms <= 0 || options.frame_ms > 1000)
      return Status::InvalidArgument(fmt::format("flite: frame_ms {} out of range (1..1000)", options.frame_ms));
    if (!on_frame) return Status::InvalidArgument("flite: on_frame callback is empty");
    return std::unique_ptr<SynthesisSession>(
        std::make_unique<FliteSession>(this, voice, options, std::move(on_frame)));
  }

  std::vector<std::string> voices() const override {
    std::vector<std::string> names;
    for (const auto& [name, v] : Voices()) names.push_back(name);
    return names;
  }
  std::string name() const override { return "flite"; }

  // One sentence at the requested rate, from the cache when possible.
  Result<PromptCache::Audio> Sentence(const std::string& voice, int rate, const std::string& text) {
    const std::string key = PromptCache::Key(voice, rate, text);
    if (auto hit = cache_.Get(key)) return hit;
    FliteVoice& v = Voices().at(voice);
    std::vector<int16_t> native;
    int native_rate = 0;
    {
      std::lock_guard lock(v.mu);
      cst_wave* wave = flite_text_to_wave(text.c_str(), v.voice);
      if (!wave) return Status::Internal(fmt::format("flite: voice '{}' produced no audio for \"{}\"", voice, text));
      native.assign(wave->samples, wave->samples + wave->num_samples);
      native_rate = wave->sample_rate;
      delete_wave(wave);
    }
    auto audio = std::make_shared<std::vector<int16_t>>();
    if (native_rate == rate) {
      *audio = std::move(native);
    } else {
      auto resampler =
          Resampler::Create({.from_hz = native_rate, .to_hz = rate, .quality = ResamplerQuality::kHigh});
      if (!resampler.ok()) return resampler.status();
      INFINI_RETURN_IF_ERROR((*resampler)->Process(native, *audio));
      INFINI_RETURN_IF_ERROR((*resampler)->Flush(*audio));
    }
    cache_.Put(key, audio);
    return PromptCache::Audio(std::move(audio));
  }

 private:
  std::string default_voice_;
  PromptCache cache_;
};

Status FliteSession::Push(std::string_view text) {
  const int per_frame = AudioFrame::SamplesPerFrame(options_.sample_rate, options_.frame_ms);
  for (const std::string& sentence : SplitSentences(text)) {
    if (cancelled_.load()) return Status::Cancelled("flite: cancelled (barge-in)");
    auto audio = owner_->Sentence(voice_, options_.sample_rate, sentence);
    if (!audio.ok()) return audio.status();
    const std::vector<int16_t>& samples = **audio;
    if (options_.usage) options_.usage->Add("flite", usage::kTtsCharacters, double(sentence.size()));  // priced 0
    for (size_t at = 0; at < samples.size(); at += per_frame) {
      if (cancelled_.load()) return Status::Cancelled("flite: cancelled (barge-in)");
      AudioFrame frame;
      frame.sample_rate = options_.sample_rate;
      frame.timestamp_ms = position_samples_ * 1000 / options_.sample_rate;
      const size_t n = std::min<size_t>(per_frame, samples.size() - at);
      frame.samples.assign(samples.begin() + at, samples.begin() + at + n);
      frame.samples.resize(per_frame, 0);  // the last frame of a sentence is padded
      position_samples_ += per_frame;
      on_frame_(std::move(frame));
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Synthesizer>> MakeFliteSynthesizer(const nlohmann::json& config) {
  const std::string voice = config.value("voice", std::string("slt"));
  if (!Voices().count(voice))
    return Status::NotFound(fmt::format("flite: unknown voice '{}' in config (known: {})", voice, KnownVoices()));
  const auto cache_bytes = config.value("cache_bytes", int64_t{32} << 20);
  if (cache_bytes < 0) return Status::InvalidArgument("flite: cache_bytes must be >= 0");
  return std::unique_ptr<Synthesizer>(std::make_unique<FliteSynthesizer>(voice, static_cast<size_t>(cache_bytes)));
}

}  // namespace infini::providers
